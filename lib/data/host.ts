/**
 * The few places where the data and vision code moves pixels between JavaScript typed arrays and
 * tensors. Everything goes through the public tensor API; this is the one spot to change if the
 * tensor core gains a faster constructor from typed arrays.
 * @module
 */
import { torch } from "../torch.ts";
import { Tensor } from "../tensor/tensor.ts";
import { int64 } from "../tensor/dtype.ts";
import type { dtype } from "../tensor/dtype.ts";
import { TorchTypeError } from "../errors.ts";

/** A float32 tensor of `shape` holding a copy of `data` (row-major). */
export function floatTensor(data: Float32Array, shape: readonly number[]): Tensor {
  return torch.tensor(data).view([...shape]);
}

/** An int64 tensor of `shape` holding `data` (values must fit the engine's 32-bit integers). */
export function longTensor(data: Int32Array | number[], shape: readonly number[] = [data.length]): Tensor {
  const ints = data instanceof Int32Array ? data : Int32Array.from(data);
  return torch.tensor(ints, { dtype: int64 }).view([...shape]);
}

/** A tensor of `dt` and `shape` from host values of the engine's type for `dt`. */
export function typedTensor(
  data: Float32Array | Int32Array | Uint8Array,
  shape: readonly number[],
  dt: dtype,
): Tensor {
  return torch.tensor(data, { dtype: dt }).view([...shape]);
}

/** A tensor's values, row-major, as a fresh host array (Float32Array for float32). */
export function hostValues(t: Tensor): Float32Array | Int32Array | Uint8Array {
  return t.data_sync();
}

/** Throws a TypeError unless `x` is a Tensor. */
export function expectTensor(x: unknown, what: string): Tensor {
  if (!(x instanceof Tensor)) {
    throw new TorchTypeError(`${what} should be a Tensor. Got ${typeName(x)}`);
  }
  return x;
}

/** Python-ish type name of a value, for error messages. */
export function typeName(x: unknown): string {
  if (x === null || x === undefined) return "<class 'NoneType'>";
  if (typeof x === "number") return Number.isInteger(x) ? "<class 'int'>" : "<class 'float'>";
  if (typeof x === "string") return "<class 'str'>";
  if (typeof x === "boolean") return "<class 'bool'>";
  if (Array.isArray(x)) return "<class 'list'>";
  if (x instanceof Tensor) return "<class 'torch.Tensor'>";
  const name = (x as { constructor?: { name?: string } }).constructor?.name;
  return `<class '${name ?? typeof x}'>`;
}
