/**
 * `nn.Module`: the base of every layer and model. Submodules, parameters and
 * buffers are registered by assignment in the constructor, in assignment
 * order (as PyTorch's `__setattr__` does); instances are callable
 * (`model(x)`), print as PyTorch prints them, and save/load state dicts with
 * PyTorch's keys and errors.
 * @module
 */
import {
  NotImplementedError as NotImplementedError_,
  RuntimeError,
  TorchTypeError,
  ValueError as ValueError_,
} from "../errors.ts";
import { Tensor } from "../tensor/tensor.ts";
import { no_grad } from "../autograd/grad_mode.ts";
import { ParameterClass } from "./parameter.ts";
import { Size } from "../tensor/size.ts";
import { scalarTypeName } from "../tensor/dispatch.ts";
import { callable } from "./callable.ts";

/** A state dict: PyTorch's `OrderedDict` of names to tensors, as an insertion-ordered object. */
export type StateDict = Record<string, Tensor>;

/** What `load_state_dict` reports (PyTorch's `_IncompatibleKeys`). */
export class IncompatibleKeys {
  constructor(readonly missing_keys: string[], readonly unexpected_keys: string[]) {}
  /** `<All keys matched successfully>` or the two lists. */
  toString(): string {
    if (!this.missing_keys.length && !this.unexpected_keys.length) return "<All keys matched successfully>";
    const q = (l: string[]) => `[${l.map((k) => `'${k}'`).join(", ")}]`;
    return `_IncompatibleKeys(missing_keys=${q(this.missing_keys)}, unexpected_keys=${
      q(this.unexpected_keys)
    })`;
  }
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

function hidden(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: false });
}

/** Module instances are callable: `model(x)` runs `forward`. */
export interface ModuleClass {
  (...args: unknown[]): Tensor;
}

/**
 * Base class of all neural network modules.
 * @example A two-layer net
 * ```ts
 * import { nn, type Tensor, torch } from "../../mod.ts";
 * class Net extends nn.Module {
 *   fc1 = nn.Linear(4, 3);
 *   fc2 = nn.Linear(3, 2);
 *   override forward(x: Tensor) {
 *     return this.fc2(this.fc1(x).relu());
 *   }
 * }
 * const net = new Net();
 * console.log(String(net(torch.rand(1, 4)).shape)); // torch.Size([1, 2])
 * ```
 */
export class ModuleClass {
  /** Train or eval mode. */
  declare training: boolean;
  declare _bufferNames: Set<string>;
  declare _nonPersistent: Set<string>;
  declare _nullModules: Set<string>;
  declare _forwardHooks: ((m: ModuleClass, input: unknown[], output: unknown) => unknown)[];
  declare _forwardPreHooks: ((m: ModuleClass, input: unknown[]) => unknown)[];

  constructor() {
    // The instance is a function so that `model(x)` works; its prototype is the subclass's.
    const self =
      ((...args: unknown[]) => (self as unknown as ModuleClass).__call__(...args)) as unknown as Record<
        string,
        unknown
      >;
    delete self.name;
    delete self.length;
    Object.setPrototypeOf(self, new.target.prototype);
    hidden(self, "training", true);
    hidden(self, "_bufferNames", new Set<string>());
    hidden(self, "_nonPersistent", new Set<string>());
    hidden(self, "_nullModules", new Set<string>());
    hidden(self, "_forwardHooks", []);
    hidden(self, "_forwardPreHooks", []);
    return self as unknown as ModuleClass;
  }

  /** Runs forward (with hooks); what `model(x)` calls. */
  __call__(...args: unknown[]): unknown {
    let input = args;
    for (const h of this._forwardPreHooks) {
      const r = h(this, input);
      if (r !== undefined) input = Array.isArray(r) ? r : [r];
    }
    let out = this.forward(...input);
    for (const h of this._forwardHooks) {
      const r = h(this, input, out);
      if (r !== undefined) out = r;
    }
    return out;
  }

  /** The computation; subclasses define it. */
  forward(..._args: unknown[]): unknown {
    throw new NotImplementedError_(
      `Module [${this._get_name()}] is missing the required "forward" function`,
    );
  }

  /** Registers `hook(module, input, output)` to run after forward. */
  register_forward_hook(
    hook: (m: ModuleClass, input: unknown[], output: unknown) => unknown,
  ): { remove(): void } {
    this._forwardHooks.push(hook);
    return { remove: () => this._forwardHooks.splice(this._forwardHooks.indexOf(hook), 1) };
  }

  /** Registers `hook(module, input)` to run before forward. */
  register_forward_pre_hook(hook: (m: ModuleClass, input: unknown[]) => unknown): { remove(): void } {
    this._forwardPreHooks.push(hook);
    return { remove: () => this._forwardPreHooks.splice(this._forwardPreHooks.indexOf(hook), 1) };
  }

  /** The class name, as PyTorch's `_get_name()`. */
  _get_name(): string {
    const n = this.constructor.name;
    return n === "ModuleClass" ? "Module" : n;
  }

  // ---- registration ------------------------------------------------------------------------

  /** Own entries in assignment order (child modules, parameters, buffers, other). */
  protected _entries(): [string, unknown][] {
    return Object.entries(this);
  }

  /** Adds a child module under `name` (as `self.name = module`). */
  add_module(name: string, module: ModuleClass | null): void {
    if (module !== null && !(module instanceof ModuleClass)) {
      throw new TorchTypeError(`${typeName(module)} is not a Module subclass`);
    }
    if (name.includes(".")) throw new KeyError_(pyRepr(`module name can't contain ".", got: ${name}`));
    if (module === null) this._nullModules.add(name);
    (this as unknown as Record<string, unknown>)[name] = module;
  }

  /** Same as `add_module`. */
  register_module(name: string, module: ModuleClass | null): void {
    this.add_module(name, module);
  }

  /** Adds a parameter under `name`. */
  register_parameter(name: string, param: ParameterClass | null): void {
    if (param !== null && !(param instanceof ParameterClass)) {
      throw new TorchTypeError(
        `cannot assign '${
          typeName(param)
        }' object to parameter '${name}' (torch.nn.Parameter or None required)`,
      );
    }
    (this as unknown as Record<string, unknown>)[name] = param;
  }

  /** Adds a buffer (state that is not a parameter, e.g. BatchNorm's running mean). */
  register_buffer(
    name: string,
    tensor: Tensor | null,
    persistent: boolean | { persistent?: boolean } = true,
  ): void {
    if (typeof persistent === "object") persistent = persistent.persistent ?? true;
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new TorchTypeError(
        `cannot assign '${typeName(tensor)}' object to buffer '${name}' (torch Tensor or None required)`,
      );
    }
    this._bufferNames.add(name);
    if (!persistent) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    (this as unknown as Record<string, unknown>)[name] = tensor;
  }

  // ---- traversal ------------------------------------------------------------------------------

  /** `(name, child)` pairs of direct submodules. */
  *named_children(): IterableIterator<[string, ModuleClass]> {
    const seen = new Set<ModuleClass>();
    for (const [k, v] of this._entries()) {
      if (v instanceof ModuleClass && !seen.has(v)) {
        seen.add(v);
        yield [k, v];
      }
    }
  }

  /** Direct submodules. */
  *children(): IterableIterator<ModuleClass> {
    for (const [, m] of this.named_children()) yield m;
  }

  /** `(name, module)` for this module and every descendant (each once). */
  *named_modules(memo = new Set<ModuleClass>(), prefix = ""): IterableIterator<[string, ModuleClass]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, m] of this._childEntries()) {
      if (m === null) continue;
      yield* m.named_modules(memo, prefix ? `${prefix}.${name}` : name);
    }
  }

  /** This module and every descendant. */
  *modules(): IterableIterator<ModuleClass> {
    for (const [, m] of this.named_modules()) yield m;
  }

  /** Child modules including `null` placeholders, in order. */
  _childEntries(): [string, ModuleClass | null][] {
    // a None child shows only when registered as one with add_module (as in PyTorch)
    return this._entries().filter(([k, v]) =>
      v instanceof ModuleClass || (v === null && this._nullModules.has(k))
    ) as [
      string,
      ModuleClass | null,
    ][];
  }

  /** Own parameters (not descendants'), in order. */
  _ownParameters(): [string, ParameterClass][] {
    return this._entries().filter(([, v]) => v instanceof ParameterClass) as [string, ParameterClass][];
  }

  /** Own buffers, in registration order. */
  _ownBuffers(): [string, Tensor][] {
    const self = this as unknown as Record<string, unknown>;
    return [...this._bufferNames].filter((n) => self[n] instanceof Tensor).map((n) => [n, self[n] as Tensor]);
  }

  /** `(name, parameter)` pairs, e.g. `fc1.weight` (each parameter once). */
  *named_parameters(prefix = "", recurse = true): IterableIterator<[string, ParameterClass]> {
    const seen = new Set<Tensor>();
    const mods = recurse
      ? [...this.named_modules(new Set(), prefix)]
      : [[prefix, this] as [string, ModuleClass]];
    for (const [mp, m] of mods) {
      for (const [n, p] of m._ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        yield [mp ? `${mp}.${n}` : n, p];
      }
    }
  }

  /** Every parameter (what optimizers take). */
  *parameters(recurse = true): IterableIterator<ParameterClass> {
    for (const [, p] of this.named_parameters("", recurse)) yield p;
  }

  /** `(name, buffer)` pairs. */
  *named_buffers(prefix = "", recurse = true): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods = recurse
      ? [...this.named_modules(new Set(), prefix)]
      : [[prefix, this] as [string, ModuleClass]];
    for (const [mp, m] of mods) {
      for (const [n, b] of m._ownBuffers()) {
        if (seen.has(b)) continue;
        seen.add(b);
        yield [mp ? `${mp}.${n}` : n, b];
      }
    }
  }

  /** Every buffer. */
  *buffers(recurse = true): IterableIterator<Tensor> {
    for (const [, b] of this.named_buffers("", recurse)) yield b;
  }

  // ---- modes and bulk changes ----------------------------------------------------------------

  /** Sets training mode here and below. */
  train(mode = true): this {
    if (typeof mode !== "boolean") throw new ValueError_("training mode is expected to be boolean");
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Same as `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Sets `requires_grad` on every parameter. */
  requires_grad_(requires_grad = true): this {
    for (const p of this.parameters()) p.requires_grad_(requires_grad);
    return this;
  }

  /** Clears every parameter's gradient (to `null` by default, as PyTorch 2.x). */
  zero_grad(set_to_none: boolean | { set_to_none?: boolean } = true): void {
    const none = typeof set_to_none === "object" ? set_to_none.set_to_none ?? true : set_to_none;
    for (const p of this.parameters()) {
      if (p._grad === null) continue;
      if (none) p._grad = null;
      else {
        if (p._grad.grad_fn) p._grad = p._grad.detach();
        else p._grad.requires_grad_(false);
        p._grad.zero_();
      }
    }
  }

  /** Calls `fn` on every submodule, then on this module. */
  apply(fn: (m: ModuleClass) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /** Moves or converts parameters and buffers in place (`to(device)`, `to(dtype)`). */
  to(...args: unknown[]): this {
    no_grad(() => {
      for (const m of this.modules()) {
        const self = m as unknown as Record<string, unknown>;
        for (const [n, p] of m._ownParameters()) {
          const moved = (p as unknown as { to(...a: unknown[]): Tensor }).to(...args);
          if (moved !== p) p.data = moved;
          if (p._grad) {
            const g = (p._grad as unknown as { to(...a: unknown[]): Tensor }).to(...args);
            if (g !== p._grad) p._grad = g;
          }
          self[n] = p;
        }
        for (const [n, b] of m._ownBuffers()) {
          self[n] = (b as unknown as { to(...a: unknown[]): Tensor }).to(...args);
        }
      }
    });
    return this;
  }

  /**
   * `to(...)` on every device, the webgpu → cpu move included (read back asynchronously,
   * the one way Deno's WebGPU reads): `await model.to_async("cpu")`.
   */
  async to_async(...args: unknown[]): Promise<this> {
    type Movable = { to_async(...a: unknown[]): Promise<Tensor> };
    for (const m of this.modules()) {
      const self = m as unknown as Record<string, unknown>;
      for (const [n, p] of m._ownParameters()) {
        const moved = await (p as unknown as Movable).to_async(...args);
        if (moved !== p) no_grad(() => (p.data = moved.detach()));
        if (p._grad) p._grad = await (p._grad as unknown as Movable).to_async(...args);
        self[n] = p;
      }
      for (const [n, b] of m._ownBuffers()) self[n] = await (b as unknown as Movable).to_async(...args);
    }
    return this;
  }

  /** Same as `to("cpu")`. */
  cpu(): this {
    return this.to("cpu");
  }

  /** `to(torch.float32)`. */
  float(): this {
    return this.to("float32");
  }

  // ---- state dicts ---------------------------------------------------------------------------

  /** Parameters and persistent buffers by dotted name (detached, sharing storage). */
  state_dict(opts: { destination?: StateDict; prefix?: string; keep_vars?: boolean } = {}): StateDict {
    const out: StateDict = opts.destination ?? {};
    const prefix = opts.prefix ?? "";
    for (const [mp, m] of this.named_modules(new Set(), prefix.replace(/\.$/, ""))) {
      const p = mp ? mp + "." : "";
      for (const [n, t] of m._ownParameters()) out[p + n] = opts.keep_vars ? t : t.detach();
      for (const [n, b] of m._ownBuffers()) {
        if (!m._nonPersistent.has(n)) out[p + n] = opts.keep_vars ? b : b.detach();
      }
    }
    return out;
  }

  /**
   * Copies a state dict into the parameters and buffers (in place). Every
   * problem is collected, then reported at once as PyTorch does.
   */
  load_state_dict(
    state: StateDict | Map<string, Tensor>,
    opts: { strict?: boolean } | boolean = {},
  ): IncompatibleKeys {
    const strict = typeof opts === "boolean" ? opts : opts.strict ?? true;
    const sd: Record<string, Tensor> = state instanceof Map ? Object.fromEntries(state) : state;
    const own = this.state_dict({ keep_vars: true });
    const missing: string[] = [];
    const errors: string[] = [];
    const expected = new Set(Object.keys(own));
    no_grad(() => {
      for (const [k, target] of Object.entries(own)) {
        if (!(k in sd)) {
          // a state dict without version metadata (all of ours) may lack BatchNorm's
          // num_batches_tracked: PyTorch keeps the module's own value then
          if (k.endsWith("num_batches_tracked") && this._isBatchNormCounter(k)) continue;
          missing.push(k);
          continue;
        }
        const src = sd[k];
        if (!(src instanceof Tensor)) {
          errors.push(
            `While copying the parameter named "${k}", expected torch.Tensor or Tensor-like object from checkpoint but received <class '${
              typeName(src)
            }'>`,
          );
          continue;
        }
        if (!sameShape(src._shape, target._shape)) {
          errors.push(
            `size mismatch for ${k}: copying a param with shape ${
              Size.from_(src._shape)
            } from checkpoint, the shape in current model is ${Size.from_(target._shape)}.`,
          );
          continue;
        }
        target.copy_(src);
      }
    });
    const unexpected = Object.keys(sd).filter((k) => !expected.has(k));
    if (strict) {
      if (unexpected.length) {
        errors.unshift(`Unexpected key(s) in state_dict: ${unexpected.map((k) => `"${k}"`).join(", ")}. `);
      }
      if (missing.length) {
        errors.unshift(`Missing key(s) in state_dict: ${missing.map((k) => `"${k}"`).join(", ")}. `);
      }
    }
    if (errors.length) {
      throw new RuntimeError(
        `Error(s) in loading state_dict for ${this._get_name()}:\n\t${errors.join("\n\t")}`,
      );
    }
    return new IncompatibleKeys(missing, unexpected);
  }

  /** Whether `key` names a BatchNorm's `num_batches_tracked` buffer (tracking running stats). */
  _isBatchNormCounter(key: string): boolean {
    const path = key.split(".").slice(0, -1).join(".");
    for (const [name, m] of this.named_modules()) {
      if (name === path) {
        return (m as unknown as { track_running_stats?: boolean }).track_running_stats === true;
      }
    }
    return false;
  }

  // ---- printing ---------------------------------------------------------------------------------

  /** Extra text inside the parentheses (layers override it). */
  extra_repr(): string {
    return "";
  }

  /** PyTorch's module tree text. */
  toString(): string {
    const extra = this.extra_repr();
    const extraLines = extra ? extra.split("\n") : [];
    const childLines: string[] = [];
    for (const [key, m] of this._childEntries()) {
      const text = m === null ? "None" : addIndent(String(m), 2);
      childLines.push(`(${key}): ${text}`);
    }
    const lines = [...extraLines, ...childLines];
    let main = this._get_name() + "(";
    if (lines.length) {
      if (extraLines.length === 1 && childLines.length === 0) main += extraLines[0];
      else main += "\n  " + lines.join("\n  ") + "\n";
    }
    return main + ")";
  }

  /** Deno's console shows PyTorch's text. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

function addIndent(s: string, n: number): string {
  const lines = s.split("\n");
  if (lines.length === 1) return s;
  const first = lines.shift();
  return first + "\n" + lines.map((l) => " ".repeat(n) + l).join("\n");
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Python's `torch.typename(x)`: `int`, `str`, `torch.FloatTensor`, a class name. */
function typeName(x: unknown): string {
  if (x === null || x === undefined) return "NoneType";
  if (typeof x === "number") return Number.isInteger(x) ? "int" : "float";
  if (typeof x === "boolean") return "bool";
  if (typeof x === "string") return "str";
  if (Array.isArray(x)) return "list";
  if (x instanceof ParameterClass) return "torch.nn.parameter.Parameter";
  if (x instanceof Tensor) return `torch.${scalarTypeName(x.dtype)}Tensor`;
  if (typeof x === "object" || typeof x === "function") return (x as object).constructor?.name ?? typeof x;
  return typeof x;
}

/** Python's repr of a string (str() of a KeyError shows its message so). */
function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  return q + s.replace(/\\/g, "\\\\").replace(q === "'" ? /'/g : /"/g, `\\${q}`) + q;
}

class KeyError_ extends RuntimeError {
  override name = "KeyError";
  override pyName = "KeyError";
}

/** `nn.Module`, constructible with or without `new`, and subclassable. */
export const Module = callable(ModuleClass);
/** The type of a Module. */
export type Module = ModuleClass;
