/**
 * Tensor methods: every op module's functions installed on
 * `Tensor.prototype`, plus conversions (`to`, `float`, `long` …) and the
 * in-place fills (`fill_`, `zero_`, `copy_`, `uniform_`, `normal_`).
 * Integer keys (`t[0]`, `t[-1]`) and index expressions (`t["1:3, 0"]`)
 * reach `getitem`/`setitem` through a Proxy at the end of the prototype
 * chain, so ordinary property access never pays for it.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { RuntimeError, TorchTypeError } from "../errors.ts";
import { bool, type dtype, float32, int32, int64, toDtype } from "./dtype.ts";
import { CPU, device, toDevice, useDevice } from "./device.ts";
import { deviceOf, isKw, type Kw, readAs, run, splitKw } from "./dispatch.ts";
import { broadcastShapes } from "./geometry.ts";
import { getitem, type IndexItem, isIndexKey, parseExpression, parseItem, setitem } from "./indexing.ts";
import {
  BINARY,
  binary,
  BINARY_ALIASES,
  binaryInPlace,
  checkInPlace,
  clamp,
  clamp_,
  nonzero,
  UNARY,
  unary,
  UNARY_ALIASES,
  unaryInPlace,
  where,
} from "./pointwise.ts";
import * as R from "./reduce.ts";
import * as S from "./shape.ts";
import { temp } from "./storage.ts";
import { Tensor, type TensorLike } from "./tensor.ts";
import { default_generator, type Generator } from "../random/generator.ts";
import { gradMode, no_grad } from "../autograd/grad_mode.ts";
import * as AG from "../autograd/api.ts";
import type { BackwardOptions } from "../autograd/api.ts";
import { type GradHook, needsGrad, record } from "../autograd/node.ts";
import { applyInPlace, overwrite } from "../autograd/inplace.ts";
import { fromValues } from "./creation.ts";

// ---- conversions ---------------------------------------------------------------------------

/** `to(dtype)`, `to(device)`, `to(other)`, `to(device, dtype)`, with `{dtype, device, copy}`. */
export function to(x: Tensor, ...args: unknown[]): Tensor {
  const { dt, dev, kw } = toArgs(args);
  const sameDt = !dt || dt === x.dtype;
  const sameDev = !dev || dev.equals(x.device);
  if (sameDt && sameDev && !kw.copy) return x;
  if (dev && dev.type === "cpu" && x._storage.slot.gpu) {
    throw new RuntimeError(
      `Cannot copy a tensor from ${x.device} to the cpu synchronously (Deno's WebGPU has no synchronous readback): use \`await t.to_async("cpu")\``,
    );
  }
  const target = dt ?? x.dtype;
  const dest = dev ?? x.device;
  const out = run("to", () => {
    const v = readAs(x, target);
    return Tensor._wrap(v === x._storage.slot.t ? tf.clone(v) : take(v), target, dest);
  });
  if (!sameDev) copyGrad(x, out, target);
  return out;
}

/**
 * `to_async(...)`: as `to(...)` on every device, the webgpu → cpu copy included (read back
 * asynchronously, the one way Deno's WebGPU reads).
 */
export async function to_async(x: Tensor, ...args: unknown[]): Promise<Tensor> {
  if (!x._storage.slot.gpu || toArgs(args).dev?.type !== "cpu") return to(x, ...args);
  const values = await x._hostAsync();
  const moved = no_grad(() => fromValues(values, x._shape.slice(), x.dtype, CPU));
  copyGrad(x, moved, x.dtype);
  // any dtype asked for is a cpu conversion now
  return to(moved, ...args);
}

/** The dtype and device `to(...)` asks for (null: unchanged), the device checked as usable. */
function toArgs(args: unknown[]): { dt: dtype | null; dev: device | null; kw: Kw } {
  const [a, kw] = splitKw(args);
  let dt: dtype | null = kw.dtype ? toDtype(kw.dtype as dtype) : null;
  let dev: device | null = kw.device ? toDevice(kw.device as string) : null;
  for (const v of a) {
    if (v instanceof Tensor) {
      dt = v.dtype;
      dev = v.device;
    } else if (typeof v === "string" && /^(torch\.)?(float|int|long|bool|double|half)/.test(v)) {
      dt = toDtype(v);
    } else if (typeof v === "string" || (v && typeof v === "object" && "type" in v && "index" in v)) {
      dev = toDevice(v as string);
    } else if (v && typeof v === "object" && "is_floating_point" in v) dt = toDtype(v as dtype);
  }
  return { dt, dev: dev && useDevice(dev), kw };
}

/** Device copies are one autograd node (ToCopyBackward0) that copies the gradient back. */
function copyGrad(x: Tensor, out: Tensor, target: dtype): void {
  if (!needsGrad(x) || !target.is_floating_point) return;
  // the closure keeps the source's device and dtype, not the source (it would pin it after backward)
  const home = x.device, dt = x.dtype;
  record("ToCopyBackward0", [x], out, (gs) => [to(gs[0]!, home, dt)]);
}

function take(v: tf.Tensor): tf.Tensor {
  // readAs returned either a temporary (take it over) or a view of storage (clone)
  return tf.clone(v);
}

/** `type(dtype)`: a converted copy; with no argument, PyTorch's type string. */
export function type_(x: Tensor, dt?: dtype | string): Tensor | string {
  if (dt === undefined) {
    return ({
      float32: "torch.FloatTensor",
      int64: "torch.LongTensor",
      int32: "torch.IntTensor",
      bool: "torch.BoolTensor",
    } as Record<string, string>)[x.dtype.name];
  }
  return to(x, toDtype(dt));
}

// ---- in-place fills ------------------------------------------------------------------------

/** `fill_(value)`. */
export function fill_(x: Tensor, value: TensorLike, node?: string): Tensor {
  checkInPlace(x);
  if (value instanceof Tensor && value._shape.length !== 0) {
    throw new RuntimeError(
      `fill_ only supports 0-dimension value tensor but got tensor with ${value._shape.length} dimensions.`,
    );
  }
  if (gradMode.enabled && (x._requires_grad || (value instanceof Tensor && value._requires_grad))) {
    // PyTorch's nodes: fill_.Scalar, fill_.Tensor, zero_
    const name = node ?? (value instanceof Tensor ? "FillBackward3" : "FillBackward2");
    return applyInPlace(x, (old) => overwrite(old, value, name));
  }
  const v = value instanceof Tensor ? (value.item() as number) : value;
  return run("fill_", () => {
    const n = typeof v === "boolean" ? (v ? 1 : 0) : x.dtype === bool ? (v !== 0 ? 1 : 0) : v;
    x._write(tf.fill(x._shape, n, x.dtype.engine!), true);
    return x;
  });
}

/** `zero_()`. */
export function zero_(x: Tensor): Tensor {
  return fill_(x, 0, "ZeroBackward0");
}

/** `copy_(src)`: broadcasts and converts src into x. */
export function copy_(x: Tensor, src: Tensor): Tensor {
  checkInPlace(x);
  if (!(src instanceof Tensor)) {
    throw new TorchTypeError(`copy_(): argument 'src' (position 1) must be Tensor, not ${typeof src}`);
  }
  const b = broadcastShapes(x._shape, src._shape);
  if (b.length !== x._shape.length || b.some((d, i) => d !== x._shape[i])) {
    throw new RuntimeError(
      `output with shape [${x._shape.join(", ")}] doesn't match the broadcast shape [${b.join(", ")}]`,
    );
  }
  if (gradMode.enabled && (x._requires_grad || src._requires_grad)) {
    deviceOf(x, src);
    return applyInPlace(x, (old) => overwrite(old, src, "CopyBackwards"));
  }
  return run("copy_", () => {
    deviceOf(x, src);
    const v = temp(tf.broadcastTo(readAs(src, x.dtype), x._shape));
    x._write(v, false);
    return x;
  });
}

function randomFill(x: Tensor, values: ArrayLike<number>, node: string): Tensor {
  checkInPlace(x);
  const t = fromValues(values, [...x._shape], x.dtype, x.device);
  if (gradMode.enabled && x._requires_grad) {
    return applyInPlace(x, (old) => overwrite(old, t, node));
  }
  return run("random_", () => {
    x._write(t._read(), false);
    return x;
  });
}

/** `uniform_(from=0, to=1)`: PyTorch's stream. */
export function uniform_(x: Tensor, ...args: unknown[]): Tensor {
  const [a, kw] = splitKw(args);
  const lo = (a[0] ?? kw.from ?? kw.a ?? 0) as number;
  const hi = (a[1] ?? kw.to ?? kw.b ?? 1) as number;
  if (!x.dtype.is_floating_point) {
    throw new RuntimeError(
      `"check_uniform_bounds" not implemented for '${x.dtype === int64 ? "Long" : "Int"}'`,
    );
  }
  if (lo > hi) {
    throw new RuntimeError(`uniform_ expects to return a [from, to) range, but found from=${lo} > to=${hi}`);
  }
  const g = (kw.generator as Generator | undefined) ?? default_generator;
  return randomFill(x, g.uniform(x.numel(), lo, hi), "UniformBackward0");
}

/** `normal_(mean=0, std=1)`: PyTorch's stream. */
export function normal_(x: Tensor, ...args: unknown[]): Tensor {
  const [a, kw] = splitKw(args);
  const mean = (a[0] ?? kw.mean ?? 0) as number;
  const std = (a[1] ?? kw.std ?? 1) as number;
  if (std < 0) throw new RuntimeError(`normal expects std >= 0.0, but found std ${std}`);
  const g = (kw.generator as Generator | undefined) ?? default_generator;
  return randomFill(x, g.normal(x.numel(), mean, std), "NormalBackward0");
}

/** `random_(from, to)`. */
export function random_(x: Tensor, ...args: unknown[]): Tensor {
  const [a, kw] = splitKw(args);
  let lo = 0;
  let hi: number;
  if (a.length >= 2) [lo, hi] = a as number[];
  else hi = (a[0] as number) ?? 2 ** 24;
  const g = (kw.generator as Generator | undefined) ?? default_generator;
  // random_(from, to), random_(to), random_()
  const node = a.length >= 2 ? "RandomBackward0" : a.length === 1 ? "RandomBackward1" : "RandomBackward2";
  return randomFill(x, g.random_(x.numel(), lo, hi), node);
}

/** `bernoulli_(p)`: seeded and reproducible (not PyTorch's MKL stream). */
export function bernoulli_(x: Tensor, p: number = 0.5): Tensor {
  return randomFill(x, default_generator.bernoulli(x.numel(), p), "BernoulliBackward2");
}

// ---- comparisons of whole tensors -----------------------------------------------------------

/** `torch.equal(a, b)`: same shape and same values. */
export function equal(a: Tensor, b: Tensor): boolean {
  if (a._shape.length !== b._shape.length || a._shape.some((d, i) => d !== b._shape[i])) return false;
  return R.all(binary("eq", a, b))._host("torch.equal()")[0] !== 0;
}

/** `torch.allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=false)`. */
export function allclose(a: Tensor, b: Tensor, ...rest: unknown[]): boolean {
  return isclose(a, b, ...rest).all()._host("torch.allclose()")[0] !== 0;
}

/** `torch.isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=false)`. */
export function isclose(a: Tensor, b: Tensor, ...rest: unknown[]): Tensor {
  const [p, kw] = splitKw(rest);
  const rtol = (p[0] ?? kw.rtol ?? 1e-5) as number;
  const atol = (p[1] ?? kw.atol ?? 1e-8) as number;
  const equalNan = Boolean(p[2] ?? kw.equal_nan ?? false);
  if (a.dtype !== b.dtype) {
    throw new RuntimeError(`${a.dtype} did not match ${b.dtype}`);
  }
  const diff = a.sub(b).abs();
  const tol = b.abs().mul(rtol).add(atol);
  let close = diff.le(tol).logical_or(a.eq(b));
  if (equalNan && a.dtype.is_floating_point) close = close.logical_or(a.isnan().logical_and(b.isnan()));
  return close;
}

// ---- installing methods ------------------------------------------------------------------------

type Fn = (this: Tensor, ...args: never[]) => unknown;
const proto = Tensor.prototype as unknown as Record<string, Fn>;

for (const name of Object.keys(BINARY)) {
  proto[name] = function (this: Tensor, other: TensorLike, kw?: Kw) {
    return binary(name, this, other, kw);
  } as Fn;
  proto[name + "_"] = function (this: Tensor, other: TensorLike, kw?: Kw) {
    return binaryInPlace(name, this, other, kw);
  } as Fn;
}
for (const [alias, name] of Object.entries(BINARY_ALIASES)) {
  proto[alias] = proto[name];
  proto[alias + "_"] = proto[name + "_"];
}
for (const name of Object.keys(UNARY)) {
  proto[name] = function (this: Tensor, kw?: Kw) {
    return unary(name, this, kw);
  } as Fn;
  proto[name + "_"] = function (this: Tensor, kw?: Kw) {
    return unaryInPlace(name, this, kw);
  } as Fn;
}
for (const [alias, name] of Object.entries(UNARY_ALIASES)) {
  proto[alias] = proto[name];
  proto[alias + "_"] = proto[name + "_"];
}

const METHODS: Record<string, (x: Tensor, ...a: never[]) => unknown> = {
  clamp,
  clamp_,
  clip: clamp,
  clip_: clamp_,
  where: (x: Tensor, cond: Tensor, other: TensorLike) => where(cond, x, other),
  nonzero,
  sum: R.sum,
  mean: R.mean,
  prod: R.prod,
  std: R.std,
  var: R.var_,
  max: R.max,
  min: R.min,
  amax: R.amax,
  amin: R.amin,
  argmax: R.argmax,
  argmin: R.argmin,
  all: R.all,
  any: R.any,
  matmul: R.matmul,
  mm: R.mm,
  bmm: R.bmm,
  dot: R.dot,
  mv: R.mv,
  outer: R.outer,
  view: S.view,
  reshape: S.reshape,
  flatten: S.flatten,
  unsqueeze: S.unsqueeze,
  squeeze: S.squeeze,
  permute: S.permute,
  transpose: S.transpose,
  swapaxes: S.transpose,
  t: S.t,
  expand: S.expand,
  expand_as: (x: Tensor, o: Tensor) => S.expand(x, o._shape),
  view_as: (x: Tensor, o: Tensor) => S.view(x, o._shape),
  reshape_as: (x: Tensor, o: Tensor) => S.reshape(x, o._shape),
  narrow: (x: Tensor, d: number, s: number, n: number) => S.narrow(x, d, s, n),
  select: (x: Tensor, d: number, i: number) => S.select(x, d, i),
  split: S.split,
  chunk: S.chunk,
  unbind: S.unbind,
  contiguous: S.contiguous,
  clone: S.clone,
  detach: S.detach,
  repeat: S.repeat,
  to,
  type: type_,
  float: (x: Tensor) => to(x, float32),
  long: (x: Tensor) => to(x, int64),
  int: (x: Tensor) => to(x, int32),
  bool: (x: Tensor) => to(x, bool),
  double: (x: Tensor) => to(x, toDtype("float64")),
  half: (x: Tensor) => to(x, toDtype("float16")),
  cpu: (x: Tensor) => to(x, "cpu"),
  to_async,
  cpu_async: (x: Tensor) => to_async(x, "cpu"),
  webgpu: (x: Tensor) => to(x, "webgpu"),
  fill_,
  zero_,
  copy_,
  uniform_,
  normal_,
  random_,
  bernoulli_,
  equal,
  allclose,
  isclose,
  index: (x: Tensor, ...items: unknown[]) => getitem(x, items.map(parseItem)),
  index_put_: (x: Tensor, items: unknown[], value: TensorLike) => {
    setitem(x, items.map(parseItem), value);
    return x;
  },
  __getitem__: (x: Tensor, key: unknown) => getitem(x, keyItems(key)),
  __setitem__: (x: Tensor, key: unknown, value: TensorLike) => setitem(x, keyItems(key), value),
  detach_: (x: Tensor) => {
    x.grad_fn = null;
    x._requires_grad = false;
    return x;
  },
  exp_: (x: Tensor) => unaryInPlace("exp", x),
  backward: (x: Tensor, gradient?: Tensor | null | BackwardOptions, opts?: BackwardOptions) =>
    AG.backward(x, gradient, opts),
  retain_grad: (x: Tensor) => AG.retain_grad(x),
  register_hook: (x: Tensor, fn: GradHook) => AG.register_hook(x, fn),
  size_: (x: Tensor) => x.shape,
  logical_not_: (x: Tensor) => unaryInPlace("logical_not", x),
};

function keyItems(key: unknown): IndexItem[] {
  if (typeof key === "string") return parseExpression(key);
  if (Array.isArray(key)) return key.map(parseItem);
  return [parseItem(key)];
}

for (const [name, f] of Object.entries(METHODS)) {
  proto[name] = function (this: Tensor, ...a: never[]) {
    return f(this, ...a);
  } as Fn;
}

Object.defineProperty(Tensor.prototype, "retains_grad", {
  get(this: Tensor) {
    return this._retains_grad;
  },
});
Object.defineProperty(Tensor.prototype, "T", {
  get(this: Tensor) {
    return S.T(this);
  },
});
Object.defineProperty(Tensor.prototype, "mT", {
  get(this: Tensor) {
    return S.mT(this);
  },
});
Object.defineProperty(Tensor.prototype, "data", {
  get(this: Tensor) {
    return S.detach(this);
  },
  set(this: Tensor, v: Tensor) {
    this._storage = v._storage;
    this._shape = [...v._shape];
    this._strides = [...v._strides];
    this._offset = v._offset;
  },
});

// Integer keys and index expressions: a Proxy placed after Tensor.prototype in
// the chain sees only the property names that nothing else defines.
const tail = Object.getPrototypeOf(Tensor.prototype) as object;
Object.setPrototypeOf(
  Tensor.prototype,
  new Proxy(tail, {
    get(target, key, receiver) {
      if (typeof key === "string" && receiver instanceof Tensor && isIndexKey(key)) {
        return getitem(receiver, parseExpression(key));
      }
      return Reflect.get(target, key, receiver);
    },
    set(target, key, value, receiver) {
      if (typeof key === "string" && receiver instanceof Tensor && isIndexKey(key)) {
        setitem(receiver, parseExpression(key), value);
        return true;
      }
      return Reflect.set(target, key, value, receiver);
    },
  }),
);

/** Method signatures, merged into the Tensor class. */
declare module "./tensor.ts" {
  interface Tensor {
    [key: number]: Tensor;
    add(other: TensorLike, kw?: { alpha?: number }): Tensor;
    add_(other: TensorLike, kw?: { alpha?: number }): Tensor;
    sub(other: TensorLike, kw?: { alpha?: number }): Tensor;
    sub_(other: TensorLike, kw?: { alpha?: number }): Tensor;
    subtract(other: TensorLike, kw?: { alpha?: number }): Tensor;
    mul(other: TensorLike): Tensor;
    mul_(other: TensorLike): Tensor;
    multiply(other: TensorLike): Tensor;
    div(other: TensorLike, kw?: { rounding_mode?: "floor" | "trunc" | null }): Tensor;
    div_(other: TensorLike, kw?: { rounding_mode?: "floor" | "trunc" | null }): Tensor;
    divide(other: TensorLike, kw?: { rounding_mode?: "floor" | "trunc" | null }): Tensor;
    true_divide(other: TensorLike): Tensor;
    pow(exponent: TensorLike): Tensor;
    pow_(exponent: TensorLike): Tensor;
    maximum(other: Tensor): Tensor;
    minimum(other: Tensor): Tensor;
    remainder(other: TensorLike): Tensor;
    remainder_(other: TensorLike): Tensor;
    fmod(other: TensorLike): Tensor;
    atan2(other: TensorLike): Tensor;
    eq(other: TensorLike): Tensor;
    ne(other: TensorLike): Tensor;
    lt(other: TensorLike): Tensor;
    le(other: TensorLike): Tensor;
    gt(other: TensorLike): Tensor;
    ge(other: TensorLike): Tensor;
    greater(other: TensorLike): Tensor;
    greater_equal(other: TensorLike): Tensor;
    less(other: TensorLike): Tensor;
    less_equal(other: TensorLike): Tensor;
    not_equal(other: TensorLike): Tensor;
    logical_and(other: TensorLike): Tensor;
    logical_or(other: TensorLike): Tensor;
    logical_xor(other: TensorLike): Tensor;
    logical_not(): Tensor;
    exp(): Tensor;
    exp_(): Tensor;
    log(): Tensor;
    log_(): Tensor;
    log2(): Tensor;
    log10(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    sqrt(): Tensor;
    sqrt_(): Tensor;
    rsqrt(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tan(): Tensor;
    asin(): Tensor;
    acos(): Tensor;
    atan(): Tensor;
    sinh(): Tensor;
    cosh(): Tensor;
    tanh(): Tensor;
    tanh_(): Tensor;
    sigmoid(): Tensor;
    sigmoid_(): Tensor;
    erf(): Tensor;
    reciprocal(): Tensor;
    abs(): Tensor;
    abs_(): Tensor;
    neg(): Tensor;
    neg_(): Tensor;
    negative(): Tensor;
    square(): Tensor;
    sign(): Tensor;
    relu(): Tensor;
    relu_(): Tensor;
    floor(): Tensor;
    floor_(): Tensor;
    ceil(): Tensor;
    ceil_(): Tensor;
    trunc(): Tensor;
    frac(): Tensor;
    round(kw?: { decimals?: number }): Tensor;
    round_(kw?: { decimals?: number }): Tensor;
    isnan(): Tensor;
    isinf(): Tensor;
    isfinite(): Tensor;
    clamp(min?: TensorLike | null, max?: TensorLike | null): Tensor;
    clamp(kw: { min?: TensorLike | null; max?: TensorLike | null }): Tensor;
    clamp_(min?: TensorLike | null, max?: TensorLike | null): Tensor;
    clip(min?: TensorLike | null, max?: TensorLike | null): Tensor;
    where(condition: Tensor, other: TensorLike): Tensor;
    nonzero(): Tensor;
    sum(...args: unknown[]): Tensor;
    mean(...args: unknown[]): Tensor;
    prod(...args: unknown[]): Tensor;
    std(...args: unknown[]): Tensor;
    var(...args: unknown[]): Tensor;
    max(): Tensor;
    max(other: Tensor): Tensor;
    max(dim: number, keepdim?: boolean): R.ReturnTypes;
    min(): Tensor;
    min(other: Tensor): Tensor;
    min(dim: number, keepdim?: boolean): R.ReturnTypes;
    amax(...args: unknown[]): Tensor;
    amin(...args: unknown[]): Tensor;
    argmax(dim?: number | null, keepdim?: boolean): Tensor;
    argmin(dim?: number | null, keepdim?: boolean): Tensor;
    all(...args: unknown[]): Tensor;
    any(...args: unknown[]): Tensor;
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    bmm(other: Tensor): Tensor;
    dot(other: Tensor): Tensor;
    mv(other: Tensor): Tensor;
    outer(other: Tensor): Tensor;
    view(...shape: (number | number[])[]): Tensor;
    reshape(...shape: (number | number[])[]): Tensor;
    flatten(start_dim?: number, end_dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    squeeze(dim?: number | number[]): Tensor;
    permute(...dims: (number | number[])[]): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    swapaxes(dim0: number, dim1: number): Tensor;
    t(): Tensor;
    readonly T: Tensor;
    readonly mT: Tensor;
    data: Tensor;
    expand(...sizes: (number | number[])[]): Tensor;
    expand_as(other: Tensor): Tensor;
    view_as(other: Tensor): Tensor;
    reshape_as(other: Tensor): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    /** A view of index `index` along `dim` (that dim removed). */
    select(dim: number, index: number): Tensor;
    split(split_size_or_sections: number | number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    unbind(dim?: number): Tensor[];
    contiguous(): Tensor;
    clone(): Tensor;
    detach(): Tensor;
    detach_(): Tensor;
    repeat(...sizes: (number | number[])[]): Tensor;
    to(...args: unknown[]): Tensor;
    type(): string;
    type(dtype: dtype | string): Tensor;
    float(): Tensor;
    long(): Tensor;
    int(): Tensor;
    bool(): Tensor;
    double(): Tensor;
    half(): Tensor;
    cpu(): Tensor;
    /** `to(...)` on every device: `await t.to_async("cpu")` reads a webgpu tensor back. */
    to_async(...args: unknown[]): Promise<Tensor>;
    /** `await t.cpu_async()`: `to_async("cpu")`. */
    cpu_async(): Promise<Tensor>;
    /** `to("webgpu")` (as PyTorch's `t.cuda()`). */
    webgpu(): Tensor;
    fill_(value: TensorLike): Tensor;
    zero_(): Tensor;
    copy_(src: Tensor): Tensor;
    uniform_(from?: number, to?: number): Tensor;
    normal_(mean?: number, std?: number): Tensor;
    random_(from?: number, to?: number): Tensor;
    bernoulli_(p?: number): Tensor;
    equal(other: Tensor): boolean;
    allclose(other: Tensor, rtol?: number, atol?: number, equal_nan?: boolean): boolean;
    isclose(other: Tensor, rtol?: number, atol?: number, equal_nan?: boolean): Tensor;
    /** PyTorch's `t[...]`: items are integers, slice strings (`"1:3"`, `":"`), `"..."`, `null` or index tensors. */
    index(...items: unknown[]): Tensor;
    /** PyTorch's `t[...] = value`. */
    index_put_(items: unknown[], value: TensorLike): Tensor;
    __getitem__(key: unknown): Tensor;
    /** Computes gradients of this tensor with respect to graph leaves. */
    backward(gradient?: Tensor | null | BackwardOptions, opts?: BackwardOptions): void;
    /** Keeps `.grad` for this non-leaf after backward. */
    retain_grad(): void;
    /** Whether `retain_grad()` was called. */
    readonly retains_grad: boolean;
    /** Calls `fn(grad)` when this tensor's gradient is computed; `fn` may return a replacement. */
    register_hook(fn: GradHook): { remove(): void };
    __setitem__(key: unknown, value: TensorLike): void;
  }
}

export { isKw };
