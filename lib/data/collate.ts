/**
 * `default_collate` and `default_convert`: how a DataLoader turns a list of samples into a batch.
 *
 * | sample element      | batch                                                        |
 * | ------------------- | ------------------------------------------------------------ |
 * | Tensor              | `torch.stack(batch, 0)`                                      |
 * | integer numbers     | an int64 tensor                                              |
 * | other numbers       | a float32 tensor (PyTorch: float64, which the engine lacks)  |
 * | booleans            | a bool tensor                                                |
 * | Float32Array etc.   | stacked tensors (PyTorch's numpy arrays)                     |
 * | strings             | the array of strings                                         |
 * | arrays (tuples)     | an array of each position collated                           |
 * | plain objects       | an object of each key collated                               |
 * @module
 */
import { torch } from "../torch.ts";
import { Tensor } from "../tensor/tensor.ts";
import { float32, int32, int64 } from "../tensor/dtype.ts";
import { RuntimeError, TorchTypeError } from "../errors.ts";
import { floatTensor, typeName } from "./host.ts";

/** What `default_collate` makes of a batch of `T` (element types map as in the module table). */
export type Collated<T> = 0 extends (1 & T) ? Any
  : T extends Tensor ? Tensor
  : T extends number | boolean ? Tensor
  : T extends Float32Array | Int32Array | Uint8Array ? Tensor
  : T extends string ? string[]
  : T extends readonly unknown[] ? { [K in keyof T]: Collated<T[K]> }
  : T extends Record<string, unknown> ? { [K in keyof T]: Collated<T[K]> }
  : T;

// deno-lint-ignore no-explicit-any
type Any = any;

const ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found ";

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null) return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
}

function typedArrayTensor(a: Float32Array | Int32Array | Uint8Array): Tensor {
  if (a instanceof Float32Array) return floatTensor(a, [a.length]);
  if (a instanceof Int32Array) return torch.tensor(a, { dtype: int32 });
  throw new TorchTypeError(
    "default_collate: Uint8Array samples have no tensor dtype here (the engine has no uint8); " +
      "convert them to Float32Array or apply transforms.ToTensor()",
  );
}

/**
 * PyTorch's `default_collate`: stacks a list of samples into a batch, recursively.
 *
 * @example
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { default_collate } from "./collate.ts";
 * default_collate([0, 1, 2, 3]);                 // tensor([0, 1, 2, 3])
 * default_collate([[0, 1], [2, 3]]);             // [tensor([0, 2]), tensor([1, 3])]
 * default_collate([{ A: 0, B: 1 }, { A: 100, B: 100 }]); // { A: tensor([  0, 100]), B: tensor([  1, 100]) }
 * default_collate([torch.ones(2), torch.zeros(2)]); // tensor([[1., 1.], [0., 0.]])
 * ```
 */
export function default_collate<T>(batch: T[]): Collated<T> {
  if (!Array.isArray(batch)) {
    throw new TorchTypeError(`default_collate expects a list of samples, got ${typeName(batch)}`);
  }
  if (batch.length === 0) {
    throw new RuntimeError("default_collate: the batch is empty");
  }
  const elem = batch[0] as unknown;
  if (elem instanceof Tensor) {
    for (const b of batch) {
      if (!(b instanceof Tensor)) throw new TorchTypeError(ERR + typeName(b));
    }
    return torch.stack(batch as unknown as Tensor[], 0) as Collated<T>;
  }
  if (elem instanceof Float32Array || elem instanceof Int32Array || elem instanceof Uint8Array) {
    const ts = (batch as unknown as (Float32Array | Int32Array)[]).map(typedArrayTensor);
    return torch.stack(ts, 0) as Collated<T>;
  }
  if (typeof elem === "number" || typeof elem === "boolean") {
    const vals = batch as unknown as (number | boolean)[];
    for (const v of vals) {
      if (typeof v !== typeof elem) throw new TorchTypeError(ERR + typeName(v));
    }
    if (typeof elem === "boolean") return torch.tensor(vals as boolean[]) as Collated<T>;
    const allInt = (vals as number[]).every(Number.isInteger);
    return torch.tensor(vals as number[], { dtype: allInt ? int64 : float32 }) as Collated<T>;
  }
  if (typeof elem === "string") return batch as Collated<T>;
  if (isPlainObject(elem)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(elem)) {
      out[key] = default_collate(batch.map((d) => (d as Record<string, unknown>)[key]));
    }
    return out as Collated<T>;
  }
  if (Array.isArray(elem)) {
    const n = elem.length;
    for (const b of batch) {
      if (!Array.isArray(b) || b.length !== n) {
        throw new RuntimeError("each element in list of batch should be of equal size");
      }
    }
    const out: unknown[] = [];
    for (let k = 0; k < n; k++) out.push(default_collate(batch.map((b) => (b as unknown[])[k])));
    return out as Collated<T>;
  }
  const hint = (elem as { constructor?: { name?: string } })?.constructor?.name === "Image"
    ? " (apply transforms.ToTensor() in the dataset's transform)"
    : "";
  throw new TorchTypeError(ERR + typeName(elem) + hint);
}

/**
 * PyTorch's `default_convert`, used when automatic batching is off (`batch_size: null`): typed
 * arrays become tensors, containers are converted element by element, the rest is kept.
 */
export function default_convert(data: unknown): unknown {
  if (data instanceof Tensor) return data;
  if (data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array) {
    return typedArrayTensor(data);
  }
  if (isPlainObject(data)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) out[k] = default_convert(v);
    return out;
  }
  if (Array.isArray(data)) return data.map(default_convert);
  return data;
}
