/**
 * The dispatch path every op takes: argument helpers, dtype resolution,
 * device checks, engine casts, and the run/wrap step that turns engine
 * failures into PyTorch-style errors and disposes temporaries.
 * @module
 */
import { onGpu, tf } from "../engine/backend.ts";
import { RuntimeError, TorchError, TorchTypeError } from "../errors.ts";
import {
  bool,
  type dtype,
  type EngineDType,
  float32,
  promoteTypes as promote,
  resultType,
  scalarDtype,
} from "./dtype.ts";
import { adopt, flushTemps, temp } from "./storage.ts";
import { type Scalar, Tensor, type TensorLike } from "./tensor.ts";
import { device } from "./device.ts";
import { Size } from "./size.ts";

/** Keyword arguments: a trailing plain object. */
export type Kw = Record<string, unknown>;

/** Whether a value is a plain object of keyword arguments. */
export function isKw(x: unknown): x is Kw {
  if (typeof x !== "object" || x === null) return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
}

/** Splits a trailing keyword object off an argument list. */
export function splitKw(args: unknown[]): [unknown[], Kw] {
  if (args.length && isKw(args[args.length - 1])) {
    return [args.slice(0, -1), args[args.length - 1] as Kw];
  }
  return [args, {}];
}

/** Reads sizes given as `f(5, 4)`, `f([5, 4])` or `f(torch.Size([5, 4]))`. */
export function sizesOf(args: unknown[], what = "size"): number[] {
  const list = args.length === 1 && (Array.isArray(args[0]) || args[0] instanceof Size)
    ? [...(args[0] as number[])]
    : args;
  for (const d of list) {
    if (typeof d !== "number" || !Number.isInteger(d)) {
      throw new TorchTypeError(
        `${what} must be a tuple of ints, but got an element of type ${pyType(d)}`,
      );
    }
  }
  return list as number[];
}

/** Python's name for a JS value's type, for error messages. */
export function pyType(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "str";
  if (Array.isArray(v)) return "list";
  if (v instanceof Tensor) return "Tensor";
  return typeof v === "object" ? (v.constructor?.name ?? "object") : typeof v;
}

/** Runs an op body, disposing its temporaries; engine errors become RuntimeErrors. */
export function run<T>(op: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof TorchError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new RuntimeError(`${op}: the engine failed: ${msg}`);
  } finally {
    flushTemps();
  }
}

/** Wraps a kernel's fresh output as a tensor of `dt` on `dev`. */
export function wrap(t: tf.Tensor, dt: dtype, dev: device): Tensor {
  if (t.dtype !== dt.engine) {
    temp(t);
    t = castE(t, dt.engine as EngineDType);
  }
  return Tensor._wrap(adopt(t, true), dt, dev);
}

/** Casts an engine tensor (as a temporary), with PyTorch's value semantics. */
export function castE(t: tf.Tensor, to: EngineDType): tf.Tensor {
  if (t.dtype === to) return t;
  // the engine's cast to bool truncates (0.5 -> false); PyTorch tests != 0
  if (to === "bool") return temp(tf.notEqual(t, tf.scalar(0, t.dtype)));
  return temp(tf.cast(t, to));
}

/**
 * int64 lives in 32 bits in the engine, whose integer kernels wrap around on
 * overflow. A wrapped result differs from the float32 estimate of the same op
 * by about 2**32, an exact one by at most float32 rounding: so a difference
 * past 2**31 means the true int64 result does not fit, and that is an error,
 * never a silent wrap (CONTRACT.md).
 */
export function checkNoWrap(op: string, result: tf.Tensor, estimate: tf.Tensor): void {
  // webgpu cannot read back synchronously: there int64 overflow wraps (README, Differences)
  if (result.size === 0 || onGpu(result)) return;
  const diff = temp(tf.abs(temp(tf.sub(estimate, castE(result, "float32")))));
  if (temp(tf.max(diff)).dataSync()[0] > 2 ** 31) {
    throw new RuntimeError(
      `${op}: the result does not fit torch.int64 as the engine keeps torch.int64 in 32 bits: values must lie in [-2147483648, 2147483647]`,
    );
  }
}

/** A tensor operand's values in the compute dtype. */
export function readAs(x: Tensor, dt: dtype): tf.Tensor {
  return castE(x._read(), dt.engine as EngineDType);
}

/** An operand (tensor or scalar) in the compute dtype. */
export function operand(x: TensorLike, dt: dtype): tf.Tensor {
  if (x instanceof Tensor) return readAs(x, dt);
  const v = typeof x === "boolean" ? (x ? 1 : 0) : x;
  return temp(tf.scalar(v, dt.engine as EngineDType));
}

/** PyTorch's result type over operands (dimensioned tensors, 0-d tensors, scalars). */
export function resultTypeOf(...xs: TensorLike[]): dtype {
  let dim: dtype | null = null;
  let zero: dtype | null = null;
  let wrapped: dtype | null = null;
  for (const x of xs) {
    if (x instanceof Tensor) {
      if (x._shape.length > 0) dim = dim ? promote(dim, x.dtype) : x.dtype;
      else zero = zero ? promote(zero, x.dtype) : x.dtype;
    } else {
      checkScalar(x);
      const s = scalarDtype(x as Scalar);
      wrapped = wrapped ? promote(wrapped, s) : s;
    }
  }
  return resultType(dim, zero, wrapped);
}

/** Rejects values that are neither tensors nor numbers, as PyTorch does. */
export function checkScalar(x: unknown): void {
  if (typeof x !== "number" && typeof x !== "boolean") {
    throw new TorchTypeError(
      `expected Tensor or Number as argument, but got ${pyType(x)}`,
    );
  }
}

/** The device of an op's tensor operands, with PyTorch's mixed-device error. */
export function deviceOf(...xs: unknown[]): device {
  let dev: device | null = null;
  for (const x of xs) {
    if (x instanceof Tensor) {
      const d = x.device;
      if (dev && !(dev.type === d.type && (dev.index ?? 0) === (d.index ?? 0))) {
        // 0-d cpu tensors mix with any device in PyTorch
        if (d.type === "cpu" && x._shape.length === 0) continue;
        throw new RuntimeError(
          `Expected all tensors to be on the same device, but found at least two devices, ${
            devName(dev)
          } and ${devName(d)}!`,
        );
      }
      dev = dev ?? d;
    }
  }
  return dev ?? new device("cpu");
}

function devName(d: device): string {
  return d.type === "cpu" ? "cpu" : `${d.type}:${d.index ?? 0}`;
}

/** PyTorch's `can_cast`: no cast to a lower category (float to int, int to bool). */
export function canCast(from: dtype, to: dtype): boolean {
  return from.category <= to.category;
}

/** PyTorch's capitalised scalar type name for messages (`Float`, `Long`). */
export function scalarTypeName(dt: dtype): string {
  return ({ float32: "Float", int64: "Long", int32: "Int", bool: "Bool", float64: "Double" } as Record<
    string,
    string
  >)[dt.name] ?? dt.name;
}

export { bool, float32 };
