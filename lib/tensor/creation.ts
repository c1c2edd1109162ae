/**
 * Tensor creation: `tensor`, `zeros`, `ones`, `empty`, `full`, `arange`,
 * `linspace`, `eye`, the random creators (PyTorch's CPU streams, bit for
 * bit), and the `*_like` variants.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { RuntimeError, TorchTypeError, ValueError } from "../errors.ts";
import { bool, checkSupported, type dtype, float32, int32, int64, scalarDtype, toDtype } from "./dtype.ts";
import { CPU, defaultDevice, device, useDevice } from "./device.ts";
import { isKw, type Kw, pyType, run, sizesOf, splitKw, wrap } from "./dispatch.ts";
import { numelOf } from "./geometry.ts";
import { Tensor } from "./tensor.ts";
import { default_generator, Generator } from "../random/generator.ts";
import { Size } from "./size.ts";

/** Options every creator takes. */
export interface TensorOptions {
  dtype?: dtype | string;
  device?: device | string;
  requires_grad?: boolean;
  generator?: Generator;
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

function optDtype(kw: Kw): dtype | null {
  return kw.dtype != null ? toDtype(kw.dtype as dtype) : null;
}

/** The dtype a creator uses: explicit, else float32 when requires_grad, else the inferred one. */
function chooseDtype(kw: Kw, inferred: dtype): dtype {
  const d = optDtype(kw);
  if (d) return d;
  if (kw.requires_grad && !inferred.is_floating_point) return float32;
  return inferred;
}

function finish(t: Tensor, kw: Kw): Tensor {
  if (kw.requires_grad && !t.dtype.is_floating_point) {
    // an explicit integer dtype with requires_grad: PyTorch's creation-time wording
    throw new RuntimeError("Only Tensors of floating point and complex dtype can require gradients");
  }
  if (kw.requires_grad) t.requires_grad_(true);
  return t;
}

function devOf(kw: Kw): device {
  return kw.device != null ? useDevice(kw.device as string) : defaultDevice();
}

/** Checks values fit the engine's 32-bit integers (int64 is stored in 32 bits). */
export function checkIntRange(values: ArrayLike<number>, dt: dtype): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < INT_MIN || v > INT_MAX) {
      throw new RuntimeError(
        `Cannot store ${v} in a ${dt} tensor as the engine keeps ${dt} in 32 bits: values must lie in [${INT_MIN}, ${INT_MAX}]`,
      );
    }
  }
}

/** Makes a tensor of `dt` from flat JS numbers (booleans as 0/1), converting as PyTorch would. */
export function fromValues(values: ArrayLike<number>, shape: number[], dt: dtype, dev: device = CPU): Tensor {
  checkSupported(dt);
  let data: Float32Array | Int32Array | Uint8Array;
  if (dt === float32) data = values instanceof Float32Array ? values.slice() : Float32Array.from(values);
  else if (dt === bool) data = Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
  else {
    checkIntRange(values, dt);
    data = Int32Array.from(values, (v) => Math.trunc(v));
  }
  return run("tensor", () => wrap(tf.tensor(data, shape, dt.engine!), dt, dev));
}

/** PyTorch's errors for data that is neither a number, a bool nor a nested list. */
function badElement(x: unknown, depth: number): never {
  if (typeof x === "string") {
    if (depth === 0) throw new TorchTypeError("new(): invalid data type 'str'");
    throw new ValueError("too many dimensions 'str'");
  }
  throw new RuntimeError(`Could not infer dtype of ${isKw(x) ? "dict" : pyType(x)}`);
}

/** Walks nested data: its shape, flat values and inferred dtype. */
function flattenData(data: unknown): { shape: number[]; flat: number[]; dt: dtype } {
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe) || probe instanceof Tensor) {
    if (probe instanceof Tensor) {
      shape.push(...probe._shape);
      break;
    }
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const flat: number[] = [];
  let kind = 0 as number;
  let any = false;
  let tensorDt: dtype | null = null;
  const walk = (x: unknown, d: number): void => {
    if (x instanceof Tensor) {
      const want = shape.slice(d);
      if (x._shape.length !== want.length || x._shape.some((v, i) => v !== want[i])) {
        throw new ValueError(`expected sequence of length ${want[0]} at dim ${d} (got ${x._shape[0]})`);
      }
      const v = x._host("torch.tensor(tensors)");
      for (let i = 0; i < v.length; i++) flat.push(v[i]);
      tensorDt = tensorDt && tensorDt.category >= x.dtype.category ? tensorDt : x.dtype;
      any = true;
      return;
    }
    if (d === shape.length) {
      if (Array.isArray(x)) {
        throw new ValueError(
          `expected sequence of length ${shape[d - 1]} at dim ${d - 1} (got ${x.length})`,
        );
      }
      if (typeof x === "boolean") flat.push(x ? 1 : 0);
      else if (typeof x === "number") {
        flat.push(x);
        const c = Number.isInteger(x) ? 1 : 2;
        if (c > kind) kind = c;
      } else badElement(x, d);
      any = true;
      if (typeof x === "number" && kind === 0) kind = 1;
      return;
    }
    if (!Array.isArray(x)) {
      // a number where a nested list was expected (`[[1, 2], 3]`)
      if (typeof x === "number" || typeof x === "boolean") throw new TorchTypeError("not a sequence");
      badElement(x, d);
    }
    if (x.length !== shape[d]) {
      throw new ValueError(`expected sequence of length ${shape[d]} at dim ${d} (got ${x.length})`);
    }
    for (const e of x) walk(e, d + 1);
  };
  walk(data, 0);
  let dt: dtype = !any ? float32 : kind === 2 ? float32 : kind === 1 ? int64 : bool;
  if (tensorDt !== null) {
    const td = tensorDt as dtype;
    dt = td.category >= dt.category ? td : dt;
  }
  return { shape, flat, dt };
}

/**
 * `torch.tensor(data, {dtype, device, requires_grad})`: copies nested
 * arrays, numbers or booleans. Integer data gives int64, any non-integer
 * float32 (see CONTRACT.md), booleans bool.
 * @example Integer data is int64
 * ```ts
 * import { torch } from "../../mod.ts";
 * console.log(String(torch.tensor([[5, 3], [0, 9]]).dtype)); // torch.int64
 * ```
 */
export function tensor(data: unknown, opts: TensorOptions = {}): Tensor {
  const kw = opts as Kw;
  if (data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array) {
    const inferred = data instanceof Float32Array ? float32 : data instanceof Int32Array ? int32 : bool;
    const dt = chooseDtype(kw, inferred);
    return finish(fromValues(data, [data.length], dt, devOf(kw)), kw);
  }
  if (data instanceof Tensor) {
    const dt = chooseDtype(kw, data.dtype);
    return finish(fromValues(data._host("torch.tensor(tensor)"), [...data._shape], dt, devOf(kw)), kw);
  }
  const { shape, flat, dt: inferred } = flattenData(data);
  const dt = chooseDtype(kw, inferred);
  return finish(fromValues(flat, shape, dt, devOf(kw)), kw);
}

/** Splits `(…sizes, {opts})`. */
function sizeArgs(args: unknown[], what: string): [number[], Kw] {
  const [a, kw] = splitKw(args);
  const sizes = a.length === 0 && kw.size ? sizesOf([kw.size]) : sizesOf(a, what);
  for (const d of sizes) {
    if (d < 0) {
      throw new RuntimeError(`Trying to create tensor with negative dimension ${d}: [${sizes.join(", ")}]`);
    }
  }
  return [sizes, kw];
}

function filled(shape: number[], value: number, kw: Kw, dt: dtype): Tensor {
  const dev = devOf(kw);
  if (!dt.is_floating_point) checkIntRange([value], dt);
  return finish(
    run("full", () => wrap(tf.fill(shape, dt === bool ? (value ? 1 : 0) : value, dt.engine!), dt, dev)),
    kw,
  );
}

/** `torch.zeros(*size, {dtype, device, requires_grad})`. */
export function zeros(...args: unknown[]): Tensor {
  const [shape, kw] = sizeArgs(args, "zeros(): argument 'size'");
  return filled(shape, 0, kw, chooseDtype(kw, float32));
}

/** `torch.ones(*size, …)`. */
export function ones(...args: unknown[]): Tensor {
  const [shape, kw] = sizeArgs(args, "ones(): argument 'size'");
  return filled(shape, 1, kw, chooseDtype(kw, float32));
}

/** `torch.empty(*size, …)`: zero-filled here (PyTorch leaves memory uninitialised). */
export function empty(...args: unknown[]): Tensor {
  const [shape, kw] = sizeArgs(args, "empty(): argument 'size'");
  return filled(shape, 0, kw, chooseDtype(kw, float32));
}

/** `torch.full(size, fill_value, …)`: the dtype follows the fill value, as in PyTorch. */
export function full(size: number[] | Size, fill_value: number | boolean, opts: TensorOptions = {}): Tensor {
  const shape = sizesOf([size], "full(): argument 'size'");
  const kw = opts as Kw;
  if (typeof fill_value !== "number" && typeof fill_value !== "boolean") {
    throw new TorchTypeError(`full(): argument 'fill_value' must be Number, not ${pyType(fill_value)}`);
  }
  return filled(shape, Number(fill_value), kw, chooseDtype(kw, scalarDtype(fill_value)));
}

/** `torch.arange(end)`, `arange(start, end, step=1)`: int64 when all arguments are integers. */
export function arange(...args: unknown[]): Tensor {
  const [a, kw] = splitKw(args);
  const nums = a as number[];
  for (const n of nums) {
    if (typeof n !== "number") {
      throw new TorchTypeError(`arange(): argument 'end' must be Number, not ${pyType(n)}`);
    }
  }
  let start = 0;
  let end: number;
  let step = 1;
  if (nums.length === 1) end = nums[0];
  else {
    [start, end] = nums;
    step = nums[2] ?? (kw.step as number) ?? 1;
  }
  if (kw.start !== undefined) start = kw.start as number;
  if (kw.end !== undefined) end = kw.end as number;
  if (step === 0) throw new RuntimeError("step must be nonzero");
  if ((step > 0 && end < start) || (step < 0 && end > start)) {
    throw new RuntimeError("upper bound and larger bound inconsistent with step sign");
  }
  const allInt = [start, end, step].every(Number.isInteger);
  const dt = chooseDtype(kw, allInt ? int64 : float32);
  const n = Math.ceil((end - start) / step);
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) vals[i] = start + i * step;
  return finish(fromValues(vals, [n], dt, devOf(kw)), kw);
}

/** `torch.linspace(start, end, steps)`: PyTorch's symmetric float32 formula. */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  const kw = opts as Kw;
  if (!Number.isInteger(steps) || steps < 0) throw new RuntimeError("number of steps must be non-negative");
  const dt = chooseDtype(kw, float32);
  const vals = new Float64Array(steps);
  if (steps === 1) vals[0] = start;
  else if (steps > 1) {
    const f = Math.fround;
    const s = f(start);
    const e = f(end);
    const step = f(f(e - s) / (steps - 1));
    const half = Math.floor(steps / 2);
    for (let i = 0; i < steps; i++) {
      vals[i] = i < half ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
    }
  }
  if (!dt.is_floating_point) {
    const lin = new Float64Array(steps);
    const step = steps > 1 ? (end - start) / (steps - 1) : 0;
    for (let i = 0; i < steps; i++) lin[i] = Math.trunc(start + step * i);
    return finish(fromValues(lin, [steps], dt, devOf(kw)), kw);
  }
  return finish(fromValues(vals, [steps], dt, devOf(kw)), kw);
}

/** `torch.eye(n, m?)`. */
export function eye(n: number, ...rest: unknown[]): Tensor {
  const [a, kw] = splitKw(rest);
  const m = (a[0] as number | undefined) ?? n;
  if (n < 0) throw new RuntimeError(`n must be greater or equal to 0, got ${n}`);
  if (m < 0) throw new RuntimeError(`m must be greater or equal to 0, got ${m}`);
  const vals = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) vals[i * m + i] = 1;
  return finish(fromValues(vals, [n, m], chooseDtype(kw, float32), devOf(kw)), kw);
}

function genOf(kw: Kw): Generator {
  return (kw.generator as Generator | undefined) ?? default_generator;
}

function floatOnly(name: string, dt: dtype): void {
  if (!dt.is_floating_point) {
    const n = dt === int64 ? "Long" : dt === int32 ? "Int" : "Bool";
    throw new RuntimeError(`"${name}" not implemented for '${n}'`);
  }
}

/** `torch.rand(*size, {generator, dtype, …})`: uniform on [0, 1), PyTorch's stream. */
export function rand(...args: unknown[]): Tensor {
  const [shape, kw] = sizeArgs(args, "rand(): argument 'size'");
  const dt = chooseDtype(kw, float32);
  floatOnly("check_uniform_bounds", dt);
  const v = genOf(kw).uniform(numelOf(shape), 0, 1);
  return finish(fromValues(v, shape, dt, devOf(kw)), kw);
}

/** `torch.randn(*size, …)`: standard normal, PyTorch's stream (both of its paths). */
export function randn(...args: unknown[]): Tensor {
  const [shape, kw] = sizeArgs(args, "randn(): argument 'size'");
  const dt = chooseDtype(kw, float32);
  floatOnly("normal_kernel_cpu", dt);
  const v = genOf(kw).normal(numelOf(shape), 0, 1);
  return finish(fromValues(v, shape, dt, devOf(kw)), kw);
}

/** `torch.randint(low=0, high, size, …)`: int64 by default. */
export function randint(...args: unknown[]): Tensor {
  const [a, kw] = splitKw(args);
  let low = 0;
  let high: number;
  let size: unknown;
  if (a.length >= 3) [low, high, size] = a as [number, number, unknown];
  else [high, size] = a as [number, unknown];
  if (kw.low !== undefined) low = kw.low as number;
  if (kw.high !== undefined) high = kw.high as number;
  if (kw.size !== undefined) size = kw.size;
  if (!Array.isArray(size) && !(size instanceof Size)) {
    throw new TorchTypeError(
      "randint(): argument 'size' must be tuple of ints, but found element of type int",
    );
  }
  const shape = sizesOf([size]);
  if (!(low < high)) {
    throw new RuntimeError(`random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  }
  const dt = chooseDtype(kw, int64);
  const v = genOf(kw).randint(numelOf(shape), low, high);
  return finish(fromValues(v, shape, dt, devOf(kw)), kw);
}

/** `torch.randperm(n, …)`: PyTorch's permutation for the same seed. */
export function randperm(n: number, opts: TensorOptions = {}): Tensor {
  const kw = opts as Kw;
  if (!Number.isInteger(n) || n < 0) {
    throw new RuntimeError(`n must be non-negative, got${n}`);
  }
  const dt = chooseDtype(kw, int64);
  const v = genOf(kw).randperm(n);
  return finish(fromValues(v, [n], dt, devOf(kw)), kw);
}

/** Options of a `*_like` call: the source's dtype and device unless given. */
function likeKw(x: Tensor, rest: unknown[]): Kw {
  const [, kw] = splitKw(rest);
  return { dtype: x.dtype, device: x.device, ...kw };
}

/** `torch.zeros_like(x, …)`. */
export function zeros_like(x: Tensor, ...rest: unknown[]): Tensor {
  return zeros(x._shape, likeKw(x, rest));
}
/** `torch.ones_like(x, …)`. */
export function ones_like(x: Tensor, ...rest: unknown[]): Tensor {
  return ones(x._shape, likeKw(x, rest));
}
/** `torch.empty_like(x, …)`. */
export function empty_like(x: Tensor, ...rest: unknown[]): Tensor {
  return empty(x._shape, likeKw(x, rest));
}
/** `torch.full_like(x, fill_value, …)`. */
export function full_like(x: Tensor, fill_value: number | boolean, ...rest: unknown[]): Tensor {
  return full(x._shape, fill_value, likeKw(x, rest) as TensorOptions);
}
/** `torch.rand_like(x, …)`. */
export function rand_like(x: Tensor, ...rest: unknown[]): Tensor {
  return rand(x._shape, likeKw(x, rest));
}
/** `torch.randn_like(x, …)`. */
export function randn_like(x: Tensor, ...rest: unknown[]): Tensor {
  return randn(x._shape, likeKw(x, rest));
}
/** `torch.randint_like(x, low=0, high, …)`. */
export function randint_like(x: Tensor, ...rest: unknown[]): Tensor {
  const [a, kw] = splitKw(rest);
  const [low, high] = a.length >= 2 ? (a as number[]) : [0, a[0] as number];
  return randint(low, high, x._shape, { dtype: x.dtype, device: x.device, ...kw });
}

/** `torch.manual_seed(seed)`: seeds the default generator; returns it. */
export function manual_seed(seed: number | bigint): Generator {
  if (typeof seed !== "number" && typeof seed !== "bigint") {
    throw new TorchTypeError(`manual_seed expected a long, but got ${pyType(seed)}`);
  }
  return default_generator.manual_seed(seed);
}

/** `torch.seed()`: a non-deterministic seed for the default generator. */
export function seed(): number | bigint {
  return default_generator.seed();
}

/** `torch.initial_seed()`. */
export function initial_seed(): number | bigint {
  return default_generator.initial_seed();
}

export { Generator, isKw };
