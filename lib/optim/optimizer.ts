/**
 * `torch.optim.Optimizer`: parameter groups, per-parameter state,
 * `zero_grad`, `state_dict` / `load_state_dict`, `add_param_group` and the
 * printed form, with PyTorch 2.x's semantics and messages.
 * @module
 */
import { NotImplementedError, TorchError, TorchTypeError, ValueError } from "../errors.ts";
import { Tensor } from "../tensor/tensor.ts";
import { enable_grad } from "../autograd/grad_mode.ts";
import { isKw, pyType } from "../tensor/dispatch.ts";
import { fromHost } from "../tensor/tensor.ts";
import { float32 } from "../tensor/dtype.ts";
import { to } from "../tensor/methods.ts";

/** A parameter group: `params` plus the optimizer's options (PyTorch's dict). */
export interface ParamGroup {
  params: Tensor[];
  // deno-lint-ignore no-explicit-any
  [option: string]: any;
}

/** What the constructor accepts: tensors, or dicts each with `params`. */
export type Params = Iterable<Tensor> | Iterable<Record<string, unknown>>;

/** Per-parameter state (`momentum_buffer`, `exp_avg`, `step` …). */
export type ParamState = Record<string, unknown>;

/** PyTorch's `optimizer.state_dict()`: state keyed by parameter index, and the groups with indices. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: Record<string, unknown>[];
}

/**
 * `optimizer.state`: PyTorch's `defaultdict(dict)` keyed by parameter.
 * `get(p)` creates an empty entry, as `state[p]` does; `has(p)` does not.
 */
export class OptimizerState extends Map<Tensor | number | string, ParamState> {
  /** The state of `p`, created empty on first use (as `defaultdict`). */
  override get(p: Tensor | number | string): ParamState {
    let s = super.get(p);
    if (s === undefined) {
      s = {};
      this.set(p, s);
    }
    return s;
  }
}

/** Python's `KeyError` (a missing dict key; the message is the key's repr). */
export class KeyError extends TorchError {
  override name = "KeyError";
  override pyName = "KeyError";
}

/** Keyword arguments of an optimizer (or scheduler), with positional ones folded in. */
export type Options = Record<string, unknown>;

/**
 * Reads `(params, a, b, …, {kw})` by PyTorch's parameter names: positional
 * values in order, then keywords; defaults for the rest. Unknown keywords
 * and surplus positionals raise Python's TypeError.
 */
export function parseOptions(
  owner: string,
  args: unknown[],
  positional: string[],
  defaults: Options,
): Options {
  let kw: Options = {};
  let pos = args;
  if (args.length && isKw(args[args.length - 1])) {
    kw = args[args.length - 1] as Options;
    pos = args.slice(0, -1);
  }
  if (pos.length > positional.length) {
    throw new TorchTypeError(
      `${owner}.__init__() takes from 2 to ${positional.length + 2} positional arguments but ${
        pos.length + 2
      } were given`,
    );
  }
  const out: Options = { ...defaults };
  pos.forEach((v, i) => {
    if (v !== undefined) out[positional[i]] = v;
  });
  for (const [k, v] of Object.entries(kw)) {
    if (!(k in defaults)) {
      throw new TorchTypeError(`${owner}.__init__() got an unexpected keyword argument '${k}'`);
    }
    const at = positional.indexOf(k);
    if (at >= 0 && pos[at] !== undefined) {
      throw new TorchTypeError(`${owner}.__init__() got multiple values for argument '${k}'`);
    }
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** A number option (a 1-element tensor is read as its value, as 2.x's `_to_scalar`). */
export function num(v: unknown): number {
  if (v instanceof Tensor) return Number(v.item());
  return Number(v);
}

// ---- Python's text of values --------------------------------------------------------------------

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const [mant, e] = x.toExponential().split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 16) {
    return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

/** A JS number as Python shows it: integral values as ints (JS has one number type), others as floats. */
export function pyNum(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? String(x) : pyFloat(x);
}

/** `str(v)` of an option value, as `Optimizer.__repr__` formats it (arrays are Python tuples). */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return pyNum(v);
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    const items = v.map((x) => (typeof x === "string" ? `'${x}'` : pyStr(x)));
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }
  return String(v);
}

/** Python's type name of a value (a plain object is a dict). */
export function pyTypeName(x: unknown): string {
  return isKw(x) ? "dict" : pyType(x);
}

/** Python's `torch.typename(x)` for the messages that name a value's type. */
function typename(x: unknown): string {
  if (x instanceof Tensor) {
    return ({ float32: "torch.FloatTensor", int64: "torch.LongTensor", int32: "torch.IntTensor" } as Record<
      string,
      string
    >)[x.dtype.name] ?? "torch.BoolTensor";
  }
  return pyTypeName(x);
}

function warn(message: string): void {
  console.warn(`UserWarning: ${message}`);
}

// ---- the base class -----------------------------------------------------------------------------

/**
 * Base class of all optimizers, as `torch.optim.Optimizer`.
 *
 * Subclasses pass their `defaults` to the constructor and implement
 * `step()`; `param_groups` holds the groups (each a plain object with
 * `params` and every option), `state` the per-parameter state.
 * @example A custom optimizer
 * ```ts
 * import { type Tensor, torch } from "../../mod.ts";
 * import { Optimizer } from "./optimizer.ts";
 * class PlainSGD extends Optimizer {
 *   constructor(params: Iterable<Tensor>, lr = 0.1) {
 *     super(params, { lr });
 *   }
 *   override step(): null {
 *     torch.no_grad(() => {
 *       for (const g of this.param_groups) {
 *         for (const p of g.params) if (p.grad) p.sub_(p.grad.mul(g.lr));
 *       }
 *     });
 *     return null;
 *   }
 * }
 * const w = torch.ones(2, { requires_grad: true });
 * const opt = new PlainSGD([w]);
 * w.sum().backward();
 * opt.step();
 * console.log(String(w)); // tensor([0.9000, 0.9000], requires_grad=True)
 * ```
 */
export class Optimizer {
  /** The options a group gets when it does not set them. */
  declare defaults: Options;
  /** Per-parameter state (PyTorch's `defaultdict(dict)`). */
  declare state: OptimizerState;
  /** The parameter groups. */
  declare param_groups: ParamGroup[];

  /**
   * @param params tensors, or groups (`{ params, ...options }`)
   * @param defaults the optimizer's options
   */
  constructor(params: Params | Tensor, defaults: Options) {
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new TorchTypeError(
        "params argument given to the optimizer should be an iterable of Tensors or dicts, but got " +
          typename(params),
      );
    }
    if (
      params === null || params === undefined ||
      typeof (params as Iterable<unknown>)[Symbol.iterator] !== "function"
    ) {
      throw new TorchTypeError(`'${pyTypeName(params)}' object is not iterable`);
    }
    this.state = new OptimizerState();
    this.param_groups = [];
    let groups = [...(params as Iterable<unknown>)];
    if (groups.length === 0) throw new ValueError("optimizer got an empty parameter list");
    if (!isKw(groups[0])) groups = [{ params: groups }];
    for (const g of groups) this.add_param_group(g as Record<string, unknown>);
  }

  /** Python's class name (PyTorch prints it). */
  get _name(): string {
    return this.constructor.name.replace(/Class$/, "");
  }

  /**
   * Adds a group; its missing options come from `defaults`. The dict is
   * kept as given (PyTorch mutates it in place), with `params` made a list.
   */
  add_param_group(param_group: Record<string, unknown>): void {
    if (!isKw(param_group)) {
      throw new TorchTypeError(
        `param_group must be a dict, but got <class '${
          (param_group as unknown) instanceof Tensor ? "torch.Tensor" : pyTypeName(param_group)
        }'>`,
      );
    }
    const params = param_group.params;
    let list: unknown[];
    if (params instanceof Tensor) list = [params];
    else if (params instanceof Set) {
      throw new TorchTypeError(
        "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.",
      );
    } else if (
      params !== null && params !== undefined &&
      typeof (params as Iterable<unknown>)[Symbol.iterator] === "function"
    ) {
      list = [...(params as Iterable<unknown>)];
    } else if (params === undefined) {
      throw new KeyError("'params'");
    } else throw new TorchTypeError(`'${pyTypeName(params)}' object is not iterable`);
    param_group.params = list;

    for (const p of list) {
      if (!(p instanceof Tensor)) {
        throw new TorchTypeError(
          "optimizer can only optimize Tensors, but one of the params is " + typename(p),
        );
      }
      if (!this.defaults.differentiable && !(p.is_leaf || p.retains_grad)) {
        throw new ValueError("can't optimize a non-leaf Tensor");
      }
    }
    for (const [name, dflt] of Object.entries(this.defaults)) {
      if (dflt === required && !(name in param_group)) {
        throw new ValueError(
          `parameter group didn't specify a value of required optimization parameter ${name}`,
        );
      }
      if (!(name in param_group)) param_group[name] = dflt;
    }
    if (new Set(list).size !== list.length) {
      warn(
        "optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
      );
    }
    const seen = new Set<unknown>();
    for (const g of this.param_groups) for (const p of g.params) seen.add(p);
    if (list.some((p) => seen.has(p))) {
      throw new ValueError("some parameters appear in more than one parameter group");
    }
    this.param_groups.push(param_group as ParamGroup);
  }

  /**
   * Clears the gradients of every optimized tensor: to `null` by default
   * (PyTorch 2.x), or to zeros in place with `set_to_none: false`.
   */
  zero_grad(set_to_none: boolean | { set_to_none?: boolean } = true): void {
    const none = typeof set_to_none === "object" && set_to_none !== null
      ? set_to_none.set_to_none ?? true
      : set_to_none;
    for (const group of this.param_groups) {
      for (const p of group.params) {
        const g = p._grad;
        if (g === null) continue;
        if (none) p._grad = null;
        else {
          if (g.grad_fn !== null) g.detach_();
          else g.requires_grad_(false);
          g.zero_();
        }
      }
    }
  }

  /** Performs one optimization step; `closure` re-evaluates the model and returns the loss. */
  step(_closure?: (() => unknown) | null): unknown {
    throw new NotImplementedError("Optimizer subclasses implement step()");
  }

  /** Runs the closure (with gradients enabled), as every `step(closure)` does first. */
  protected _closure(closure?: (() => unknown) | null): unknown {
    if (closure === undefined || closure === null) return null;
    return enable_grad(() => closure());
  }

  /**
   * The state as PyTorch returns it: `state` keyed by parameter index
   * (in group order), `param_groups` with indices instead of tensors.
   * The state's tensors are the live ones (not copies), as in PyTorch.
   */
  state_dict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let start = 0;
    const param_groups = this.param_groups.map((group) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(group)) if (k !== "params") packed[k] = v;
      group.params.forEach((p, i) => {
        if (!index.has(p)) index.set(p, start + i);
      });
      packed.params = group.params.map((p) => index.get(p)!);
      start += group.params.length;
      return packed;
    });
    const state: Record<number | string, ParamState> = {};
    for (const [k, v] of this.state) {
      const key = k instanceof Tensor ? index.get(k) : k;
      if (key === undefined) continue;
      state[key] = v;
    }
    return { state, param_groups };
  }

  /**
   * Loads a state from `state_dict()` (groups are matched in order).
   * As in PyTorch 2.x, the state's tensors are taken as they are (moved
   * to the parameter's dtype/device if needed), not copied.
   */
  load_state_dict(state_dict: OptimizerStateDict): void {
    const groups = this.param_groups;
    const saved = state_dict.param_groups.map((g) => structuredCloneGroup(g));
    if (groups.length !== saved.length) {
      throw new ValueError("loaded state dict has a different number of parameter groups");
    }
    if (groups.some((g, i) => g.params.length !== (saved[i].params as unknown[]).length)) {
      throw new ValueError(
        "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
      );
    }
    const idMap = new Map<string, Tensor>();
    saved.forEach((g, i) => {
      (g.params as unknown[]).forEach((id, j) => idMap.set(String(id), groups[i].params[j]));
    });
    const state = new OptimizerState();
    for (const [k, v] of Object.entries(state_dict.state)) {
      const p = idMap.get(k);
      if (p) state.set(p, castState(p, v));
      else state.set(k, v);
    }
    this.state = state;
    this.param_groups = saved.map((g, i) => {
      (g as Record<string, unknown>).params = groups[i].params;
      return g as ParamGroup;
    });
    this._setstate();
  }

  /** Fills options a loaded state lacks (subclasses add theirs, as PyTorch's `__setstate__`). */
  protected _setstate(): void {
    for (const g of this.param_groups) {
      if (!("differentiable" in g) && "differentiable" in this.defaults) g.differentiable = false;
    }
  }

  /** PyTorch's printed form: the class name, then each group's options sorted by name. */
  toString(): string {
    let s = this._name + " (";
    this.param_groups.forEach((group, i) => {
      s += "\n";
      s += `Parameter Group ${i}\n`;
      for (const key of Object.keys(group).sort()) {
        if (key !== "params") s += `    ${key}: ${pyStr(group[key])}\n`;
      }
    });
    return s + ")";
  }

  /** Deno's console shows PyTorch's text. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** PyTorch's `required` marker: an option a group must set when the optimizer has no default. */
export const required: unique symbol = Symbol("required parameter");

function structuredCloneGroup(g: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(g)) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

/** A loaded state entry: tensors follow the parameter's dtype and device (`step` keeps its own). */
function castState(p: Tensor, v: ParamState): ParamState {
  const out: ParamState = {};
  for (const [k, x] of Object.entries(v)) {
    if (x instanceof Tensor) {
      out[k] = k === "step" ? x : to(x, p.is_floating_point() ? p.dtype : x.dtype, p.device);
    } else if (k === "step" && typeof x === "number") {
      out[k] = fromHost([x], [], float32);
    } else out[k] = x;
  }
  return out;
}

/** Validation shared by the optimizers: `0 <= value`, with PyTorch's message. */
export function checkNonNegative(value: unknown, message: string): void {
  const v = num(value);
  if (!(0 <= v)) throw new ValueError(`${message}: ${pyNum(v)}`);
}
