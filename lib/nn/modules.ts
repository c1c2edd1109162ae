/**
 * The layers: each constructor stores its config and creates parameters,
 * then `reset_parameters()` initialises them as PyTorch does; `forward` is
 * one line over `F`; `extra_repr()` feeds the printed tree.
 * @module
 */
import { IndexError, TorchError, TorchTypeError, ValueError } from "../errors.ts";
import type { Tensor } from "../tensor/tensor.ts";
import * as F from "./functional.ts";
import * as init from "./init.ts";
import { ModuleClass } from "./module.ts";
import { pyFloat } from "../python.ts";
import { Parameter, type ParameterClass } from "./parameter.ts";
import { no_grad } from "../autograd/grad_mode.ts";

/** Creates uninitialised tensors (wired by the torch namespace to `torch.empty`). */
export const factory: {
  empty: (shape: number[]) => Tensor;
  zeros: (shape: number[], int?: boolean) => Tensor;
  ones: (shape: number[]) => Tensor;
} = {
  empty: () => {
    throw new Error("factory not wired");
  },
  zeros: () => {
    throw new Error("factory not wired");
  },
  ones: () => {
    throw new Error("factory not wired");
  },
};

/** Python's `AssertionError` (PyTorch asserts some constructor arguments). */
class AssertionError extends TorchError {
  override name = "AssertionError";
  override pyName = "AssertionError";
}

type Pair = [number, number];
function pair(v: number | number[]): Pair {
  return typeof v === "number" ? [v, v] : [v[0], v[1] ?? v[0]];
}
function tup(v: number | number[] | string): string {
  if (typeof v === "string") return v;
  const p = pair(v);
  return `(${p[0]}, ${p[1]})`;
}
function kwOf(args: unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1];
  if (
    last && typeof last === "object" && !Array.isArray(last) &&
    Object.getPrototypeOf(last) === Object.prototype
  ) {
    return [args.slice(0, -1), last as Record<string, unknown>];
  }
  return [args, {}];
}
/** PyTorch's parameters by name: positional values first, then keywords. */
function sig(args: unknown[], names: string[]): Record<string, unknown> {
  const [a, kw] = kwOf(args);
  const out: Record<string, unknown> = { ...kw };
  names.forEach((n, i) => {
    if (a[i] !== undefined) out[n] = a[i];
  });
  return out;
}
function arg<T>(a: unknown[], i: number, kw: Record<string, unknown>, name: string, dflt: T): T {
  return (a[i] !== undefined ? a[i] : kw[name] !== undefined ? kw[name] : dflt) as T;
}
function py(v: unknown): string {
  if (Array.isArray(v)) return v.length === 1 ? `(${py(v[0])},)` : `(${v.map(py).join(", ")})`;
  if (v === true) return "True";
  if (v === false) return "False";
  if (v === null || v === undefined) return "None";
  return String(v);
}

// ---- Linear --------------------------------------------------------------------------------------

/** `nn.Linear(in_features, out_features, bias=true)`. */
export class Linear extends ModuleClass {
  in_features: number;
  out_features: number;
  weight: ParameterClass;
  bias: ParameterClass | null;
  constructor(...args: unknown[]) {
    super();
    const o = sig(args, ["in_features", "out_features", "bias"]);
    const in_features = o.in_features as number;
    const out_features = o.out_features as number;
    const bias = o.bias ?? true;
    if (!Number.isInteger(in_features) || !Number.isInteger(out_features)) {
      throw new TorchTypeError("Linear(): in_features and out_features must be integers");
    }
    this.in_features = in_features;
    this.out_features = out_features;
    this.weight = Parameter(factory.empty([out_features, in_features]));
    this.bias = bias ? Parameter(factory.empty([out_features])) : null;
    if (!bias) this.register_parameter("bias", null);
    this.reset_parameters();
  }
  /** kaiming_uniform_(a=√5) on the weight, then the bias uniform on ±1/√fan_in. */
  reset_parameters(): void {
    init.kaiming_uniform_(this.weight, Math.sqrt(5));
    if (this.bias) {
      const [fanIn] = init._calculate_fan_in_and_fan_out(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }
  override forward(input: Tensor): Tensor {
    return F.linear(input, this.weight, this.bias);
  }
  override extra_repr(): string {
    return `in_features=${this.in_features}, out_features=${this.out_features}, bias=${
      py(this.bias !== null)
    }`;
  }
}

// ---- Conv2d --------------------------------------------------------------------------------------

/** `nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=true)`. */
export class Conv2d extends ModuleClass {
  in_channels: number;
  out_channels: number;
  kernel_size: Pair;
  stride: Pair;
  padding: Pair | string;
  dilation: Pair;
  groups: number;
  padding_mode: string;
  weight: ParameterClass;
  bias: ParameterClass | null;
  constructor(...args: unknown[]) {
    super();
    const o = sig(args, ["in_channels", "out_channels", "kernel_size"]);
    const in_channels = o.in_channels as number;
    const out_channels = o.out_channels as number;
    const kernel_size = o.kernel_size as number | number[];
    const [a0, kw] = kwOf(args);
    const a = a0.slice(3);
    const groups = arg(a, 3, kw, "groups", 1);
    if (groups <= 0) throw new ValueError("groups must be a positive integer");
    if (in_channels % groups !== 0) throw new ValueError("in_channels must be divisible by groups");
    if (out_channels % groups !== 0) throw new ValueError("out_channels must be divisible by groups");
    const padding = arg<number | number[] | string>(a, 1, kw, "padding", 0);
    if (typeof padding === "string" && padding !== "same" && padding !== "valid") {
      throw new ValueError(`Invalid padding string '${padding}', should be one of {'valid', 'same'}`);
    }
    const stride = pair(arg(a, 0, kw, "stride", 1));
    if (padding === "same" && (stride[0] !== 1 || stride[1] !== 1)) {
      throw new ValueError("padding='same' is not supported for strided convolutions");
    }
    const padding_mode = arg(a, 5, kw, "padding_mode", "zeros");
    if (padding_mode !== "zeros") {
      throw new ValueError(`Cannot use padding_mode='${padding_mode}': only 'zeros' is supported here`);
    }
    this.in_channels = in_channels;
    this.out_channels = out_channels;
    this.kernel_size = pair(kernel_size);
    this.stride = stride;
    this.padding = typeof padding === "string" ? padding : pair(padding);
    this.dilation = pair(arg(a, 2, kw, "dilation", 1));
    this.groups = groups;
    this.padding_mode = padding_mode;
    this.weight = Parameter(factory.empty([out_channels, in_channels / groups, ...this.kernel_size]));
    const bias = arg(a, 4, kw, "bias", true);
    this.bias = bias ? Parameter(factory.empty([out_channels])) : null;
    if (!bias) this.register_parameter("bias", null);
    this.reset_parameters();
  }
  /** As Linear: kaiming_uniform_(a=√5), bias uniform on ±1/√fan_in. */
  reset_parameters(): void {
    init.kaiming_uniform_(this.weight, Math.sqrt(5));
    if (this.bias) {
      const [fanIn] = init._calculate_fan_in_and_fan_out(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        init.uniform_(this.bias, -bound, bound);
      }
    }
  }
  override forward(input: Tensor): Tensor {
    return F.conv2d(input, this.weight, this.bias, this.stride, this.padding, this.dilation, this.groups);
  }
  override extra_repr(): string {
    let s = `${this.in_channels}, ${this.out_channels}, kernel_size=${tup(this.kernel_size)}, stride=${
      tup(this.stride)
    }`;
    const p = this.padding;
    if (typeof p === "string" || p[0] !== 0 || p[1] !== 0) s += `, padding=${tup(p)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${tup(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    return s;
  }
}

// ---- pooling ---------------------------------------------------------------------------------------

/** `nn.MaxPool2d(kernel_size, stride=kernel_size, padding=0, dilation=1, return_indices=false, ceil_mode=false)`. */
export class MaxPool2d extends ModuleClass {
  kernel_size: number | number[];
  stride: number | number[];
  padding: number | number[];
  dilation: number | number[];
  return_indices: boolean;
  ceil_mode: boolean;
  constructor(...args: unknown[]) {
    super();
    const o = sig(args, ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"]);
    this.kernel_size = o.kernel_size as number | number[];
    this.stride = (o.stride ?? this.kernel_size) as number | number[];
    this.padding = (o.padding ?? 0) as number | number[];
    this.dilation = (o.dilation ?? 1) as number | number[];
    this.return_indices = Boolean(o.return_indices ?? false);
    this.ceil_mode = Boolean(o.ceil_mode ?? false);
  }
  override forward(input: Tensor): Tensor {
    return F.max_pool2d(
      input,
      this.kernel_size,
      this.stride,
      this.padding,
      this.dilation,
      this.ceil_mode,
      this.return_indices,
    );
  }
  override extra_repr(): string {
    return `kernel_size=${py(this.kernel_size)}, stride=${py(this.stride)}, padding=${
      py(this.padding)
    }, dilation=${py(this.dilation)}, ceil_mode=${py(this.ceil_mode)}`;
  }
}

/** `nn.AvgPool2d(kernel_size, stride=kernel_size, padding=0, ceil_mode=false, count_include_pad=true, divisor_override=None)`. */
export class AvgPool2d extends ModuleClass {
  kernel_size: number | number[];
  stride: number | number[];
  padding: number | number[];
  ceil_mode: boolean;
  count_include_pad: boolean;
  divisor_override: number | null;
  constructor(...args: unknown[]) {
    super();
    const o = sig(args, [
      "kernel_size",
      "stride",
      "padding",
      "ceil_mode",
      "count_include_pad",
      "divisor_override",
    ]);
    this.kernel_size = o.kernel_size as number | number[];
    this.stride = (o.stride ?? this.kernel_size) as number | number[];
    this.padding = (o.padding ?? 0) as number | number[];
    this.ceil_mode = Boolean(o.ceil_mode ?? false);
    this.count_include_pad = Boolean(o.count_include_pad ?? true);
    this.divisor_override = (o.divisor_override ?? null) as number | null;
  }
  override forward(input: Tensor): Tensor {
    return F.avg_pool2d(
      input,
      this.kernel_size,
      this.stride,
      this.padding,
      this.ceil_mode,
      this.count_include_pad,
      this.divisor_override,
    );
  }
  override extra_repr(): string {
    return `kernel_size=${py(this.kernel_size)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

/** `nn.AdaptiveAvgPool2d(output_size)`. */
export class AdaptiveAvgPool2d extends ModuleClass {
  output_size: number | (number | null)[];
  constructor(...args: unknown[]) {
    super();
    this.output_size = sig(args, ["output_size"]).output_size as number | (number | null)[];
  }
  override forward(input: Tensor): Tensor {
    return F.adaptive_avg_pool2d(input, this.output_size);
  }
  override extra_repr(): string {
    const o = this.output_size;
    return `output_size=${Array.isArray(o) ? `(${o.map(py).join(", ")})` : o}`;
  }
}

// ---- normalisation and dropout ---------------------------------------------------------------

/** Shared BatchNorm1d/2d machinery. */
class BatchNormBase extends ModuleClass {
  num_features: number;
  eps: number;
  momentum: number | null;
  affine: boolean;
  track_running_stats: boolean;
  weight: ParameterClass | null;
  bias: ParameterClass | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  constructor(...args: unknown[]) {
    super();
    const num_features = sig(args, ["num_features"]).num_features as number;
    const [a0, kw] = kwOf(args);
    const a = a0.slice(1);
    this.num_features = num_features;
    this.eps = arg(a, 0, kw, "eps", 1e-5);
    this.momentum = arg(a, 1, kw, "momentum", 0.1);
    this.affine = arg(a, 2, kw, "affine", true);
    this.track_running_stats = arg(a, 3, kw, "track_running_stats", true);
    this.weight = this.affine ? Parameter(factory.empty([num_features])) : null;
    this.bias = this.affine ? Parameter(factory.empty([num_features])) : null;
    if (!this.affine) {
      this.register_parameter("weight", null);
      this.register_parameter("bias", null);
    }
    if (this.track_running_stats) {
      this.register_buffer("running_mean", factory.zeros([num_features]));
      this.register_buffer("running_var", factory.ones([num_features]));
      this.register_buffer("num_batches_tracked", factory.zeros([], true));
    } else {
      this.register_buffer("running_mean", null);
      this.register_buffer("running_var", null);
      this.register_buffer("num_batches_tracked", null);
    }
    this.reset_parameters();
  }
  /** Zeroes the running stats (variance to one). */
  reset_running_stats(): void {
    if (this.track_running_stats) {
      this.running_mean!.zero_();
      this.running_var!.fill_(1);
      this.num_batches_tracked!.zero_();
    }
  }
  /** Weight one, bias zero. */
  reset_parameters(): void {
    this.reset_running_stats();
    if (this.affine) {
      init.ones_(this.weight!);
      init.zeros_(this.bias!);
    }
  }
  protected _check_input_dim(_input: Tensor): void {}
  override forward(input: Tensor): Tensor {
    this._check_input_dim(input);
    let factor: number | Tensor = this.momentum ?? 0;
    const n = this.num_batches_tracked;
    if (this.training && this.track_running_stats && n) {
      n.add_(1);
      // a cumulative average: 1/n (on webgpu computed there, as it cannot read n back synchronously)
      if (this.momentum !== null) factor = this.momentum;
      else factor = n._storage.slot.gpu ? no_grad(() => n.float().reciprocal()) : 1 / (n.item() as number);
    }
    const useBatch = this.training || (this.running_mean === null && this.running_var === null);
    return F.batch_norm(
      input,
      !this.training || this.track_running_stats ? this.running_mean : null,
      !this.training || this.track_running_stats ? this.running_var : null,
      this.weight,
      this.bias,
      useBatch,
      factor,
      this.eps,
    );
  }
  override extra_repr(): string {
    return `${this.num_features}, eps=${pyFloat(this.eps)}, momentum=${
      this.momentum === null ? "None" : pyFloat(this.momentum)
    }, affine=${py(this.affine)}, track_running_stats=${py(this.track_running_stats)}`;
  }
}

/** `nn.BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=true, track_running_stats=true)`. */
export class BatchNorm1d extends BatchNormBase {
  protected override _check_input_dim(input: Tensor): void {
    const r = input._shape.length;
    if (r !== 2 && r !== 3) throw new ValueError(`expected 2D or 3D input (got ${r}D input)`);
  }
}

/** `nn.BatchNorm2d(num_features, …)`. */
export class BatchNorm2d extends BatchNormBase {
  protected override _check_input_dim(input: Tensor): void {
    const r = input._shape.length;
    if (r !== 4) throw new ValueError(`expected 4D input (got ${r}D input)`);
  }
}

/** `nn.Dropout(p=0.5, inplace=false)`. */
export class Dropout extends ModuleClass {
  p: number;
  inplace: boolean;
  constructor(...rest: unknown[]) {
    super();
    const [a, kw] = kwOf(rest);
    this.p = arg(a, 0, kw, "p", 0.5);
    this.inplace = arg(a, 1, kw, "inplace", false);
    if (this.p < 0 || this.p > 1) {
      throw new ValueError(`dropout probability has to be between 0 and 1, but got ${this.p}`);
    }
  }
  override forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training, this.inplace);
  }
  override extra_repr(): string {
    return `p=${pyFloat(this.p)}, inplace=${py(this.inplace)}`;
  }
}

// ---- activations -------------------------------------------------------------------------------

/** `nn.ReLU(inplace=false)`. */
export class ReLU extends ModuleClass {
  inplace: boolean;
  constructor(...rest: unknown[]) {
    super();
    const [a, kw] = kwOf(rest);
    this.inplace = arg(a, 0, kw, "inplace", false);
  }
  override forward(input: Tensor): Tensor {
    return F.relu(input, this.inplace);
  }
  override extra_repr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}

/** `nn.LeakyReLU(negative_slope=0.01, inplace=false)`. */
export class LeakyReLU extends ModuleClass {
  negative_slope: number;
  inplace: boolean;
  constructor(...rest: unknown[]) {
    super();
    const [a, kw] = kwOf(rest);
    this.negative_slope = arg(a, 0, kw, "negative_slope", 0.01);
    this.inplace = arg(a, 1, kw, "inplace", false);
  }
  override forward(input: Tensor): Tensor {
    return F.leaky_relu(input, this.negative_slope, this.inplace);
  }
  override extra_repr(): string {
    return `negative_slope=${this.negative_slope}${this.inplace ? ", inplace=True" : ""}`;
  }
}

/** `nn.GELU(approximate='none')`. */
export class GELU extends ModuleClass {
  approximate: string;
  constructor(...rest: unknown[]) {
    super();
    const [a, kw] = kwOf(rest);
    this.approximate = arg(a, 0, kw, "approximate", "none");
  }
  override forward(input: Tensor): Tensor {
    return F.gelu(input, this.approximate);
  }
  override extra_repr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** `nn.Sigmoid()`. */
export class Sigmoid extends ModuleClass {
  override forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

/** `nn.Tanh()`. */
export class Tanh extends ModuleClass {
  override forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

/** What Softmax and LogSoftmax share: the `dim` they normalise over. */
class AlongDim extends ModuleClass {
  dim: number | null;
  constructor(...rest: unknown[]) {
    super();
    const [a, kw] = kwOf(rest);
    this.dim = arg(a, 0, kw, "dim", null);
  }
  override extra_repr(): string {
    return `dim=${py(this.dim)}`;
  }
}

/** `nn.Softmax(dim=None)`. */
export class Softmax extends AlongDim {
  override forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim ?? undefined);
  }
}

/** `nn.LogSoftmax(dim=None)`. */
export class LogSoftmax extends AlongDim {
  override forward(input: Tensor): Tensor {
    return F.log_softmax(input, this.dim ?? undefined);
  }
}

/** `nn.Flatten(start_dim=1, end_dim=-1)`. */
export class Flatten extends ModuleClass {
  start_dim: number;
  end_dim: number;
  constructor(...rest: unknown[]) {
    super();
    const [a, kw] = kwOf(rest);
    this.start_dim = arg(a, 0, kw, "start_dim", 1);
    this.end_dim = arg(a, 1, kw, "end_dim", -1);
  }
  override forward(input: Tensor): Tensor {
    return input.flatten(this.start_dim, this.end_dim);
  }
  override extra_repr(): string {
    return `start_dim=${this.start_dim}, end_dim=${this.end_dim}`;
  }
}

/** `nn.Identity()`: returns its input. */
export class Identity extends ModuleClass {
  constructor(..._args: unknown[]) {
    super();
  }
  override forward(input: Tensor): Tensor {
    return input;
  }
}

/** `nn.Embedding(num_embeddings, embedding_dim, padding_idx=None)`. */
export class Embedding extends ModuleClass {
  num_embeddings: number;
  embedding_dim: number;
  padding_idx: number | null;
  weight: ParameterClass;
  constructor(...args: unknown[]) {
    super();
    const o = sig(args, ["num_embeddings", "embedding_dim"]);
    const num_embeddings = o.num_embeddings as number;
    const embedding_dim = o.embedding_dim as number;
    const [a0, kw] = kwOf(args);
    const a = a0.slice(2);
    let pad = arg<number | null>(a, 0, kw, "padding_idx", null);
    if (pad !== null) {
      if (pad >= num_embeddings || pad < -num_embeddings) {
        throw new AssertionError("Padding_idx must be within num_embeddings");
      }
      if (pad < 0) pad += num_embeddings;
    }
    this.num_embeddings = num_embeddings;
    this.embedding_dim = embedding_dim;
    this.padding_idx = pad;
    this.weight = Parameter(factory.empty([num_embeddings, embedding_dim]));
    this.reset_parameters();
  }
  /** Standard normal, with the padding row zeroed. */
  reset_parameters(): void {
    init.normal_(this.weight);
    if (this.padding_idx !== null) {
      const row = this.weight.index(this.padding_idx);
      init.zeros_(row);
    }
  }
  override forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, this.padding_idx);
  }
  override extra_repr(): string {
    return `${this.num_embeddings}, ${this.embedding_dim}${
      this.padding_idx !== null ? `, padding_idx=${this.padding_idx}` : ""
    }`;
  }
}

// ---- containers --------------------------------------------------------------------------------

/** What Sequential and ModuleList share: modules named 0, 1, 2 … in order. */
class ModuleSequence extends ModuleClass {
  /** Number of modules. */
  __len__(): number {
    return this._childEntries().length;
  }
  /** The i-th module (negative counts from the end). */
  at(i: number): ModuleClass {
    const list = this._childEntries();
    const n = list.length;
    if (i < -n || i >= n) throw new IndexError(`index ${i} is out of range`);
    return list[i < 0 ? i + n : i][1]!;
  }
  /** Appends a module. */
  append(m: ModuleClass): this {
    this.add_module(String(this._childEntries().length), m);
    return this;
  }
  *[Symbol.iterator](): IterableIterator<ModuleClass> {
    yield* this.children();
  }
}

/** `nn.Sequential(*modules)` or `nn.Sequential({name: module, …})` (PyTorch's OrderedDict form). */
export class Sequential extends ModuleSequence {
  constructor(...mods: (ModuleClass | Record<string, ModuleClass>)[]) {
    super();
    if (mods.length === 1 && !(mods[0] instanceof ModuleClass) && typeof mods[0] === "object") {
      for (const [k, m] of Object.entries(mods[0])) this.add_module(k, m);
    } else mods.forEach((m, i) => this.add_module(String(i), m as ModuleClass));
  }
  override forward(input: unknown): unknown {
    let x = input;
    for (const m of this.children()) x = m(x);
    return x;
  }
}

/** `nn.ModuleList(modules)`. */
export class ModuleList extends ModuleSequence {
  constructor(mods: Iterable<ModuleClass> = []) {
    super();
    for (const m of mods) this.append(m);
  }
  /** Appends several modules. */
  extend(ms: Iterable<ModuleClass>): this {
    for (const m of ms) this.append(m);
    return this;
  }
}

/** `nn.ModuleDict({name: module})`. */
export class ModuleDict extends ModuleClass {
  constructor(mods: Record<string, ModuleClass> = {}) {
    super();
    for (const [k, m] of Object.entries(mods)) this.add_module(k, m);
  }
  /** Module names. */
  keys(): string[] {
    return this._childEntries().map(([k]) => k);
  }
  /** Modules. */
  values(): ModuleClass[] {
    return this._childEntries().map(([, m]) => m!);
  }
  /** `[name, module]` pairs. */
  items(): [string, ModuleClass][] {
    return this._childEntries() as [string, ModuleClass][];
  }
  /** Number of modules. */
  __len__(): number {
    return this._childEntries().length;
  }
}
