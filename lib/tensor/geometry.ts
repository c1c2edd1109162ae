/**
 * Strided geometry: how a view's elements sit in its storage, and PyTorch's
 * rules for which views exist (`view` stride computation, broadcasting).
 * @module
 */
import { RuntimeError } from "../errors.ts";

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i] || 1;
  }
  return st;
}

/** Product of the sizes. */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Whether the strides are row-major for the shape (size-1 dims ignored, as PyTorch does). */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const n = shape[i];
    if (n === 0) return true;
    if (n !== 1) {
      if (strides[i] !== expected) return false;
      expected *= n;
    }
  }
  return true;
}

/** Flat storage position of every element of a view, in row-major element order. */
export function flatIndices(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Int32Array {
  const n = numelOf(shape);
  const out = new Int32Array(n);
  if (n === 0) return out;
  const nd = shape.length;
  if (nd === 0) {
    out[0] = offset;
    return out;
  }
  const idx = new Array<number>(nd).fill(0);
  const last = nd - 1;
  const lastStride = strides[last];
  const lastSize = shape[last];
  let pos = offset;
  let k = 0;
  while (k < n) {
    for (let j = 0; j < lastSize; j++) out[k++] = pos + j * lastStride;
    // advance the outer dims like an odometer
    let d = last - 1;
    while (d >= 0) {
      idx[d]++;
      pos += strides[d];
      if (idx[d] < shape[d]) break;
      pos -= strides[d] * shape[d];
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
  return out;
}

/**
 * PyTorch's `computeStride`: strides for viewing (oldShape, oldStrides) as
 * newShape without copying, or null when the view would span two
 * non-contiguous subspaces.
 */
export function viewStrides(
  oldShape: readonly number[],
  oldStrides: readonly number[],
  newShape: readonly number[],
): number[] | null {
  // a 0-d tensor views as any all-ones shape
  if (oldShape.length === 0) return newShape.map(() => 1);
  const numel = numelOf(oldShape);
  const newStrides = new Array<number>(newShape.length).fill(0);
  if (numel === 0) {
    return oldShape.length === newShape.length && oldShape.every((d, i) => d === newShape[i])
      ? [...oldStrides]
      : contiguousStrides(newShape);
  }
  let viewD = newShape.length - 1;
  let chunkBaseStride = oldStrides.length ? oldStrides[oldStrides.length - 1] : 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
    tensorNumel *= oldShape[tensorD];
    if (
      tensorD === 0 ||
      (oldShape[tensorD - 1] !== 1 &&
        oldStrides[tensorD - 1] !== tensorNumel * chunkBaseStride)
    ) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (tensorD > 0) {
        chunkBaseStride = oldStrides[tensorD - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}

/** Resolves a requested shape with at most one -1 (PyTorch's `infer_size`). */
export function inferSize(shape: readonly number[], numel: number): number[] {
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === -1) {
      if (infer >= 0) throw new RuntimeError("only one dimension can be inferred");
      infer = i;
    } else if (d < 0 || !Number.isInteger(d)) {
      throw new RuntimeError(`invalid shape dimension ${d}`);
    } else known *= d;
  }
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || numel % known !== 0) {
      throw new RuntimeError(`shape '[${shape.join(", ")}]' is invalid for input of size ${numel}`);
    }
    out[infer] = numel / known;
  } else if (known !== numel) {
    throw new RuntimeError(`shape '[${shape.join(", ")}]' is invalid for input of size ${numel}`);
  }
  return out;
}

/** Broadcast shape of two shapes, with PyTorch's error on a mismatch. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  // PyTorch reports the first mismatch from the right
  for (let i = n - 1; i >= 0; i--) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new RuntimeError(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
      );
    }
  }
  return out;
}

/** Same shape? */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A plan to read a strided view with slice/reshape/transpose instead of a gather. */
export interface BoxPlan {
  /** Start of the box in the flat storage and its length. */
  start: number;
  length: number;
  /** Shape to reshape the flat box to. */
  box: number[];
  /** Sizes to slice from the box's origin (same rank as box). */
  take: number[];
  /** Sizes of the kept dims in stride order. */
  sorted: number[];
  /** Permutation from stride order back to the view's order of kept dims, or null if identity. */
  perm: number[] | null;
}

/**
 * Finds a box plan for a view (no stride-0 dims of size > 1), or null when
 * the view's strides do not nest (then a gather reads it).
 */
export function boxPlan(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  storageNumel: number,
): BoxPlan | null {
  const dims: number[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] !== 1) dims.push(i);
  if (dims.length === 0) {
    return { start: offset, length: 1, box: [1], take: [1], sorted: [], perm: null };
  }
  const order = [...dims].sort((x, y) => strides[y] - strides[x]);
  const k = order.length;
  const s = order.map((d) => strides[d]);
  const n = order.map((d) => shape[d]);
  if (s[k - 1] <= 0) return null;
  for (let i = 0; i < k - 1; i++) {
    if (s[i] % s[i + 1] !== 0 || n[i + 1] * s[i + 1] > s[i]) return null;
  }
  const box = [n[0]];
  for (let i = 1; i < k; i++) box.push(s[i - 1] / s[i]);
  box.push(s[k - 1]);
  const length = n[0] * s[0];
  if (offset + length > storageNumel) return null;
  const take = [...n, 1];
  // order[j] is the j-th kept dim by stride; perm maps the view's kept order to it
  let identity = true;
  const perm = dims.map((d) => {
    const j = order.indexOf(d);
    return j;
  });
  for (let i = 0; i < perm.length; i++) if (perm[i] !== i) identity = false;
  return { start: offset, length, box, take, sorted: n, perm: identity ? null : perm };
}
