/**
 * Helpers backward formulas share.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";

/** Sums a broadcast gradient back to `shape` (leading dims, then size-1 dims). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  const gs = g._shape;
  if (gs.length === shape.length && gs.every((d, i) => d === shape[i])) return g;
  const lead = gs.length - shape.length;
  let r = g;
  if (lead > 0) r = r.sum([...Array(lead).keys()]);
  const dims: number[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] === 1 && r._shape[i] !== 1) dims.push(i);
  if (dims.length) r = r.sum(dims, true);
  return r;
}
