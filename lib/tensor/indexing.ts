/**
 * Indexing per the contract: `t.index(3, ":", "1:3", "...", null)`,
 * `t["1:3, 0"]`, `t[0]`, `t[-1]`, and assignment through them. Integers,
 * slices, `...` and `null` give views; a tensor index (int64 indices or a
 * bool mask) gathers a copy, as PyTorch's advanced indexing does.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { IndexError, RuntimeError, TorchTypeError, ValueError } from "../errors.ts";
import { bool, int64 } from "./dtype.ts";
import { deviceOf, readAs, run, scalarTypeName, wrap } from "./dispatch.ts";
import { broadcastShapes } from "./geometry.ts";
import { checkInPlace } from "./pointwise.ts";
import { expand } from "./shape.ts";
import { temp } from "./storage.ts";
import { Tensor, type TensorLike } from "./tensor.ts";
import { viewOp } from "./shape.ts";
import { type BackwardFn, needsGrad, record } from "../autograd/node.ts";
import { gradMode } from "../autograd/grad_mode.ts";
import { applyInPlace, overwrite } from "../autograd/inplace.ts";

/** A Python slice. */
export interface Slice {
  kind: "slice";
  start: number | null;
  stop: number | null;
  step: number | null;
}

/** One parsed index item. */
export type IndexItem = number | Slice | "..." | null | Tensor | boolean;

const SLICE_RE = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$/;

/** Parses one index item given as a JS value (`3`, `":"`, `"1:3"`, `"..."`, `null`, a Tensor). */
export function parseItem(x: unknown): IndexItem {
  if (x === null || x === undefined) return null;
  if (typeof x === "number") {
    if (!Number.isInteger(x)) {
      throw new IndexError(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got float)",
      );
    }
    return x;
  }
  if (typeof x === "boolean") return x;
  if (x instanceof Tensor) return x;
  if (Array.isArray(x)) return listIndex(x);
  if (typeof x === "string") {
    const s = x.trim();
    if (s === "...") return "...";
    if (s === "None") return null;
    if (/^-?\d+$/.test(s)) return Number(s);
    const m = SLICE_RE.exec(s);
    if (m) {
      return {
        kind: "slice",
        start: m[1] !== undefined ? Number(m[1]) : null,
        stop: m[2] !== undefined ? Number(m[2]) : null,
        step: m[3] !== undefined ? Number(m[3]) : null,
      };
    }
    throw new IndexError(`Cannot index with '${x}': not an integer, slice, '...' or None`);
  }
  if (typeof x === "object" && (x as Slice).kind === "slice") return x as Slice;
  throw new IndexError(
    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got " +
      typeof x + ")",
  );
}

function listIndex(xs: unknown[]): Tensor {
  // a Python list index is an advanced index
  const flat = xs.flat(Infinity) as unknown[];
  if (flat.every((v) => typeof v === "boolean")) {
    return Tensor._wrap(tf.tensor(xs as boolean[], undefined, "bool"), bool);
  }
  if (!flat.every((v) => typeof v === "number" && Number.isInteger(v))) {
    throw new IndexError("tensors used as indices must be long, int, byte or bool tensors");
  }
  return Tensor._wrap(tf.tensor(xs as number[], undefined, "int32"), int64);
}

/** Splits a PyTorch index expression string (`"1:3, 0"`, `"..., None"`) into items. */
export function parseExpression(expr: string): IndexItem[] {
  return expr.split(",").map((p) => p.trim()).filter((p, _i, a) => p !== "" || a.length === 1).map(parseItem);
}

/** Whether a property key is an index expression (`"0"`, `"-1"`, `"1:3, 0"`, `"..."`). */
export function isIndexKey(key: string): boolean {
  return /^-?\d+$/.test(key) || /[,:]|\.\.\./.test(key);
}

function sliceBounds(s: Slice, size: number): [number, number, number] {
  const step = s.step ?? 1;
  if (step <= 0) throw new ValueError("step must be greater than zero");
  let start = s.start ?? 0;
  let stop = s.stop ?? size;
  if (start < 0) start += size;
  if (stop < 0) stop += size;
  start = Math.min(Math.max(start, 0), size);
  stop = Math.min(Math.max(stop, start), size);
  return [start, stop, step];
}

interface Applied {
  view: Tensor;
  /** Advanced index tensors, with the view dim they apply to. */
  adv: { dim: number; index: Tensor }[];
}

/** Applies basic index items as a view; collects advanced (tensor) items. */
function applyBasic(x: Tensor, items: IndexItem[]): Applied {
  const ell = items.filter((i) => i === "...").length;
  if (ell > 1) throw new IndexError("an index can only have a single ellipsis ('...')");
  const consumes = (i: IndexItem): number =>
    i === null || i === "..." || typeof i === "boolean"
      ? 0
      : i instanceof Tensor && i.dtype === bool
      ? i._shape.length
      : 1;
  const used = items.reduce((acc: number, i) => acc + consumes(i), 0);
  const rank = x._shape.length;
  if (used > rank) {
    throw new IndexError(`too many indices for tensor of dimension ${rank}`);
  }
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = x._offset;
  let d = 0;
  const adv: { dim: number; index: Tensor }[] = [];
  for (const it of items) {
    if (it === "...") {
      const n = rank - used;
      for (let k = 0; k < n; k++, d++) {
        shape.push(x._shape[d]);
        strides.push(x._strides[d]);
      }
    } else if (it === null || typeof it === "boolean") {
      shape.push(1);
      strides.push(0);
      if (it === false) shape[shape.length - 1] = 0;
    } else if (typeof it === "number") {
      const size = x._shape[d];
      if (it < -size || it >= size) {
        throw new IndexError(`index ${it} is out of bounds for dimension ${d} with size ${size}`);
      }
      offset += (it < 0 ? it + size : it) * x._strides[d];
      d++;
    } else if (it instanceof Tensor) {
      if (it.dtype.is_floating_point) {
        throw new IndexError("tensors used as indices must be long, int, byte or bool tensors");
      }
      adv.push({ dim: shape.length, index: it });
      const n = consumes(it);
      for (let k = 0; k < n; k++, d++) {
        shape.push(x._shape[d]);
        strides.push(x._strides[d]);
      }
    } else {
      const [start, stop, step] = sliceBounds(it, x._shape[d]);
      shape.push(Math.max(0, Math.ceil((stop - start) / step)));
      strides.push(x._strides[d] * step);
      offset += start * x._strides[d];
      d++;
    }
  }
  for (; d < rank; d++) {
    shape.push(x._shape[d]);
    strides.push(x._strides[d]);
  }
  // the basic part is a view; tensor items are applied to it afterwards
  const basic = items.map((it) => (it instanceof Tensor ? SLICE_ALL : it));
  // with tensor items and nothing else but `...`, PyTorch indexes the tensor itself (no view node)
  if (adv.length > 0 && items.every((it) => it instanceof Tensor || it === "...")) return { view: x, adv };
  const view = viewOp(x, shape, strides, offset, viewNode(items), (t) => applyBasic(t, basic).view);
  return { view, adv };
}

const SLICE_ALL: Slice = { kind: "slice", start: null, stop: null, step: null };

/** The node PyTorch shows for a basic index: its last non-trivial item's op. */
function viewNode(items: IndexItem[]): string {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (typeof it === "number") return "SelectBackward0";
    if (it === null || typeof it === "boolean") return "UnsqueezeBackward0";
    if (it !== "..." && !(it instanceof Tensor)) return "SliceBackward0";
  }
  return "AliasBackward0";
}

/**
 * Flat element positions (into the basic view) selected by advanced indices,
 * and the result shape (PyTorch's rules: indexed dims are replaced by the
 * broadcast index shape, in place when they are adjacent, else in front).
 */
function advancedPositions(
  view: Tensor,
  adv: { dim: number; index: Tensor }[],
): { pos: Int32Array; shape: number[] } {
  const shape = view._shape;
  // expand bool masks into one int64 index per masked dim
  const idx: { dim: number; data: Int32Array | Float32Array | Uint8Array; shape: number[] }[] = [];
  for (const a of adv) {
    if (a.index.dtype === bool) {
      const m = a.index;
      for (let k = 0; k < m._shape.length; k++) {
        if (m._shape[k] !== shape[a.dim + k]) {
          throw new IndexError(
            `The shape of the mask [${
              m._shape.join(", ")
            }] at index ${k} does not match the shape of the indexed tensor [${shape.join(", ")}] at index ${
              a.dim + k
            }`,
          );
        }
      }
      const data = m._host("indexing with a boolean mask");
      const nz: number[][] = m._shape.map(() => []);
      const ix = new Array<number>(m._shape.length).fill(0);
      for (let p = 0; p < data.length; p++) {
        if (data[p]) ix.forEach((v, k) => nz[k].push(v));
        for (let k = m._shape.length - 1; k >= 0; k--) {
          if (++ix[k] < m._shape[k]) break;
          ix[k] = 0;
        }
      }
      nz.forEach((list, k) =>
        idx.push({ dim: a.dim + k, data: Int32Array.from(list), shape: [list.length] })
      );
    } else {
      idx.push({ dim: a.dim, data: a.index._host("indexing with a tensor"), shape: a.index._shape });
    }
  }
  let bshape: number[] = [];
  for (const i of idx) bshape = broadcastShapes(bshape, i.shape);
  const dims = idx.map((i) => i.dim);
  const adjacent = dims.every((v, k) => k === 0 || v === dims[k - 1] + 1);
  const rest = shape.map((_, k) => k).filter((k) => !dims.includes(k));
  const outShape = adjacent
    ? [...shape.slice(0, dims[0]), ...bshape, ...shape.slice(dims[dims.length - 1] + 1)]
    : [...bshape, ...rest.map((k) => shape[k])];
  const bn = bshape.reduce((a, b) => a * b, 1);
  // resolve each index to a per-broadcast-element value
  const vals = idx.map((i) => {
    const out = new Int32Array(bn);
    const st = stridesFor(i.shape, bshape);
    for (let e = 0; e < bn; e++) {
      let rem = e;
      let p = 0;
      for (let k = bshape.length - 1; k >= 0; k--) {
        const c = rem % bshape[k];
        rem = (rem - c) / bshape[k];
        p += c * st[k];
      }
      let v = i.data[p];
      const size = shape[i.dim];
      if (v < -size || v >= size) {
        throw new IndexError(`index ${v} is out of bounds for dimension ${i.dim} with size ${size}`);
      }
      if (v < 0) v += size;
      out[e] = v;
    }
    return out;
  });
  const cs = contiguousOf(shape);
  const restDims = adjacent ? rest : rest;
  const restShape = restDims.map((k) => shape[k]);
  const rn = restShape.reduce((a, b) => a * b, 1);
  const pos = new Int32Array(bn * rn);
  const pre = adjacent ? rest.filter((k) => k < dims[0]) : [];
  const preN = pre.reduce((a, k) => a * shape[k], 1);
  const postDims = adjacent ? rest.filter((k) => k > dims[0]) : rest;
  const postN = postDims.reduce((a, k) => a * shape[k], 1);
  let w = 0;
  const restOffset = (dimsList: number[], flat: number): number => {
    let off = 0;
    for (let k = dimsList.length - 1; k >= 0; k--) {
      const s = shape[dimsList[k]];
      const c = flat % s;
      flat = (flat - c) / s;
      off += c * cs[dimsList[k]];
    }
    return off;
  };
  for (let a = 0; a < preN; a++) {
    const ao = restOffset(pre, a);
    for (let e = 0; e < bn; e++) {
      let eo = 0;
      for (let j = 0; j < idx.length; j++) eo += vals[j][e] * cs[idx[j].dim];
      for (let b = 0; b < postN; b++) pos[w++] = ao + eo + restOffset(postDims, b);
    }
  }
  return { pos, shape: outShape };
}

function stridesFor(shape: number[], target: number[]): number[] {
  const out = new Array<number>(target.length).fill(0);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    const t = target.length - shape.length + k;
    out[t] = shape[k] === 1 ? 0 : acc;
    acc *= shape[k];
  }
  return out;
}

function contiguousOf(shape: number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    st[k] = acc;
    acc *= shape[k];
  }
  return st;
}

/** `t[items]`: a view for basic indices, a gathered copy with tensor indices. */
export function getitem(x: Tensor, items: IndexItem[]): Tensor {
  if (x._shape.length === 0 && items.some((i) => typeof i === "number")) {
    throw new IndexError(
      "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number",
    );
  }
  const { view, adv } = applyBasic(x, items);
  if (adv.length === 0) return view;
  if (adv.length === 1 && adv[0].index._storage.slot.gpu && adv[0].index.dtype !== bool) {
    return indexOnDevice(view, adv[0].dim, adv[0].index);
  }
  const { pos, shape } = advancedPositions(view, adv);
  const out = run("index", () => {
    const flat = temp(tf.reshape(view._read(), [view.numel()]));
    const idx = temp(tf.tensor1d(pos, "int32"));
    return wrap(tf.reshape(temp(tf.gather(flat, idx)), shape), x.dtype, x.device);
  });
  if (needsGrad(view) && out.dtype.is_floating_point) {
    record("IndexBackward0", [view], out, indexGrad(view._shape, pos));
  }
  return out;
}

/**
 * `t[idx]` with one integer index tensor that lives on a device that cannot read back
 * synchronously (webgpu): a gather along `dim` there, its gradient a segment sum. Indices are
 * not bounds-checked there (README, Differences).
 */
function indexOnDevice(view: Tensor, dim: number, index: Tensor): Tensor {
  const shape = view._shape.slice();
  const outShape = [...shape.slice(0, dim), ...index._shape, ...shape.slice(dim + 1)];
  const dev = deviceOf(view, index);
  const out = run("index", () => {
    const g = temp(tf.gather(view._read(), devicePositions(index, shape[dim]), dim));
    return wrap(tf.reshape(g, outShape), view.dtype, dev);
  });
  if (needsGrad(view) && out.dtype.is_floating_point) {
    record("IndexBackward0", [view], out, indexOnDeviceGrad(shape, dim, index));
  }
  return out;
}

/** An index tensor's values as int32 positions, negatives counted from the end, on its device. */
function devicePositions(index: Tensor, size: number): tf.Tensor {
  const ix = temp(tf.reshape(temp(tf.cast(index._read(), "int32")), [index.numel()]));
  const neg = temp(tf.less(ix, temp(tf.scalar(0, "int32"))));
  return temp(tf.where(neg, temp(tf.add(ix, temp(tf.scalar(size, "int32")))), ix));
}

/**
 * Flat positions (in the view) of `view[..., index, ...]` with one index tensor at `dim`, made
 * on the index's device: `a·size·post + index[e]·post + b` over the dims before and after.
 */
function flatPositionsOnDevice(
  view: Tensor,
  dim: number,
  index: Tensor,
): { pos: tf.Tensor; shape: number[] } {
  const shape = view._shape;
  const size = shape[dim];
  const preN = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const postN = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const m = index.numel();
  const ix = temp(tf.reshape(devicePositions(index, size), [1, m, 1]));
  const pre = temp(tf.reshape(temp(tf.range(0, preN * size * postN, size * postN, "int32")), [preN, 1, 1]));
  const post = temp(tf.reshape(temp(tf.range(0, postN, 1, "int32")), [1, 1, postN]));
  const pos = temp(tf.add(temp(tf.add(pre, temp(tf.mul(ix, temp(tf.scalar(postN, "int32")))))), post));
  return {
    pos: temp(tf.reshape(pos, [preN * m * postN])),
    shape: [...shape.slice(0, dim), ...index._shape, ...shape.slice(dim + 1)],
  };
}

/** IndexBackward0 of `indexOnDevice`: the indexed dim first, the rest flattened, one segment sum. */
function indexOnDeviceGrad(shape: number[], dim: number, index: Tensor): BackwardFn {
  const m = index.numel();
  const rest = [...shape.slice(0, dim), ...shape.slice(dim + 1)];
  const restN = rest.reduce((a, b) => a * b, 1);
  const perm = [dim, ...shape.map((_, k) => k).filter((k) => k !== dim)];
  const inv = perm.map((_, k) => perm.indexOf(k));
  return (gs) => [
    run("index_backward", () => {
      const g = gs[0]!;
      const gm = temp(tf.reshape(g._read(), [...shape.slice(0, dim), m, ...shape.slice(dim + 1)]));
      const front = temp(tf.reshape(temp(tf.transpose(gm, perm)), [m, restN]));
      const pos = devicePositions(index, shape[dim]) as tf.Tensor1D;
      const sums = temp(
        tf.reshape(temp(tf.unsortedSegmentSum(front, pos, shape[dim])), [shape[dim], ...rest]),
      );
      return wrap(tf.transpose(sums, inv), g.dtype, g.device);
    }),
  ];
}

// Backward formulas come from these factories, not from closures inside the ops, whose scope
// also holds the ops' input tensors (a closure there would pin them after backward).

/** IndexBackward0: the gradient scattered (added) into zeros of the indexed shape. */
function indexGrad(shape: readonly number[], pos: Int32Array): BackwardFn {
  const s = shape.slice();
  return (gs) => [scatterAdd(s, pos, gs[0]!)];
}

/** The backward of scatterAdd: a gather. */
function gatherGrad(shape: readonly number[], pos: Int32Array): BackwardFn {
  const s = shape.slice();
  return (gs) => [gatherFlat(gs[0]!, pos, s)];
}

/** IndexPutBackward0: zeros where the values went for the old tensor, the gathered gradient for the values. */
function indexPutGrad(oldShape: readonly number[], pos: Int32Array, shape: number[]): BackwardFn {
  const oshape = oldShape.slice();
  return (gs, _s, needs) => {
    const g = gs[0]!;
    const gOld = needs[0] ? indexPut(g, pos, shape, 0) : null;
    const gVal = needs[1] ? gatherFlat(g, pos, shape) : null;
    return [gOld ? gOld.reshape(oshape) : null, gVal];
  };
}

/**
 * Zeros of `shape` with `g`'s values added at flat positions `pos` (repeats
 * add up): IndexBackward0's formula, itself differentiable (its gradient
 * gathers) so that create_graph reaches through indexing.
 */
function scatterAdd(shape: number[], pos: Int32Array, g: Tensor): Tensor {
  const out = run("index_backward", () => {
    const n = shape.reduce((a, b) => a * b, 1);
    const idx = temp(tf.tensor2d(pos, [pos.length, 1], "int32"));
    const upd = temp(tf.reshape(g._read(), [pos.length]));
    return wrap(tf.reshape(temp(tf.scatterND(idx, upd, [n])), shape), g.dtype, g.device);
  });
  // PyTorch's index backward is _index_put_impl_(zeros, indices, grad, accumulate=True)
  if (needsGrad(g)) record("IndexPutImplBackward0", [g], out, gatherGrad(g._shape, pos));
  return out;
}

/** `t[items] = value`: writes through the view (or scatters for tensor indices). */
export function setitem(x: Tensor, items: IndexItem[], value: TensorLike): void {
  if (!(value instanceof Tensor) && typeof value !== "number" && typeof value !== "boolean") {
    checkInPlace(x);
    throw new TorchTypeError(`can't assign a ${typeof value} to a ${x.dtype} tensor`);
  }
  const { view, adv } = applyBasic(x, items);
  // PyTorch writes into the indexed view (`x[0] = 5` on a leaf: "a view of a leaf Variable …")
  checkInPlace(view);
  // basic indexing copies (any dtype converts, as copy_); index_put_ wants the same dtype
  if (adv.length > 0 && value instanceof Tensor && value.dtype !== x.dtype) {
    throw new RuntimeError(
      `Index put requires the source and destination dtypes match, got ${
        scalarTypeName(x.dtype)
      } for the destination and ${scalarTypeName(value.dtype)} for the source.`,
    );
  }
  if (adv.length === 0 && value instanceof Tensor && value._shape.length > 0) {
    // PyTorch's copy_to: drop leading size-1 dims of the value, then expand it (its errors)
    let k = 0;
    while (k < value._shape.length && value._shape[k] === 1) k++;
    expand(value.reshape(value._shape.slice(k)), [...view._shape]);
  }
  if (gradMode.enabled && (x._requires_grad || (value instanceof Tensor && value._requires_grad))) {
    setitemTracked(x, view, adv, value);
    return;
  }
  run("setitem", () => {
    deviceOf(x, value);
    if (adv.length === 0) {
      const v = value instanceof Tensor
        ? readAs(value, x.dtype)
        : temp(tf.scalar(Number(value), x.dtype.engine!));
      const vs = value instanceof Tensor
        ? value._shape.slice(Math.max(0, value._shape.length - view._shape.length))
        : [];
      view._write(temp(tf.broadcastTo(temp(tf.reshape(v, vs)), view._shape)), false);
      return;
    }
    // positions of the basic view's elements: on the host, or on the device for one index
    // tensor there (webgpu cannot read it back synchronously)
    const onDevice = adv.length === 1 && adv[0].index._storage.slot.gpu && adv[0].index.dtype !== bool;
    const { pos, shape } = onDevice ? flatPositionsOnDevice(view, adv[0].dim, adv[0].index) : (() => {
      const p = advancedPositions(view, adv);
      return { pos: temp(tf.tensor1d(p.pos, "int32")), shape: p.shape };
    })();
    const v = value instanceof Tensor
      ? readAs(value, x.dtype)
      : temp(tf.scalar(Number(value), x.dtype.engine!));
    if (value instanceof Tensor) broadcastInto(value._shape, shape);
    const n = pos.size;
    const vals = temp(tf.reshape(temp(tf.broadcastTo(v, shape)), [n]));
    // positions index the basic view: write through a flattened copy of it
    const cur = temp(tf.reshape(view._read(), [view.numel()]));
    const upd = temp(tf.tensorScatterUpdate(cur, temp(tf.reshape(pos, [n, 1])), vals));
    view._write(temp(tf.reshape(upd, view._shape)), false);
  });
}

/** Index assignment that autograd sees: an in-place overwrite of the view (CopySlices on the base). */
function setitemTracked(
  x: Tensor,
  view: Tensor,
  adv: { dim: number; index: Tensor }[],
  value: TensorLike,
): void {
  deviceOf(x, value);
  if (adv.length === 0) {
    let v = value;
    if (value instanceof Tensor && value._shape.length > view._shape.length) {
      v = value.reshape(value._shape.slice(value._shape.length - view._shape.length));
    }
    applyInPlace(view, (old) => overwrite(old, v, "CopyBackwards"));
    return;
  }
  const { pos, shape } = advancedPositions(view, adv);
  if (value instanceof Tensor) broadcastInto(value._shape, shape);
  applyInPlace(view, (old) => indexPut(old, pos, shape, value));
}

/** `old` with `value` (broadcast to `shape`) written at flat positions `pos`, as a new tensor. */
function indexPut(old: Tensor, pos: Int32Array, shape: number[], value: TensorLike): Tensor {
  const out = run("index_put_", () => {
    const v = value instanceof Tensor
      ? readAs(value, old.dtype)
      : temp(tf.scalar(Number(value), old.dtype.engine!));
    const vals = temp(tf.reshape(temp(tf.broadcastTo(v, shape)), [pos.length]));
    const cur = temp(tf.reshape(old._read(), [old.numel()]));
    const upd = temp(tf.tensorScatterUpdate(cur, temp(tf.tensor2d(pos, [pos.length, 1], "int32")), vals));
    return wrap(tf.reshape(upd, old._shape), old.dtype, old.device);
  });
  if (needsGrad(old, value) && out.dtype.is_floating_point) {
    record("IndexPutBackward0", [old, value], out, indexPutGrad(old._shape, pos, shape));
  }
  return out;
}

/** `g`'s elements at flat positions `pos`, shaped `shape` (differentiable: its gradient scatters back). */
function gatherFlat(g: Tensor, pos: Int32Array, shape: number[]): Tensor {
  const out = run("index", () => {
    const flat = temp(tf.reshape(g._read(), [g.numel()]));
    const idx = temp(tf.tensor1d(pos, "int32"));
    return wrap(tf.reshape(temp(tf.gather(flat, idx)), shape), g.dtype, g.device);
  });
  if (needsGrad(g)) record("IndexBackward0", [g], out, indexGrad(g._shape, pos));
  return out;
}

function broadcastInto(src: number[], dst: number[]): void {
  let b: number[] | null = null;
  try {
    b = broadcastShapes(dst, src);
  } catch {
    // reported below with index_put_'s own wording
  }
  if (!b || b.length !== dst.length || b.some((v, i) => v !== dst[i])) {
    throw new RuntimeError(
      `shape mismatch: value tensor of shape [${
        src.join(", ")
      }] cannot be broadcast to indexing result of shape [${dst.join(", ")}]`,
    );
  }
}

/** Builds a Python slice (`torch.slice(1, 3)` for `1:3`). */
export function slice(
  start: number | null = null,
  stop: number | null = null,
  step: number | null = null,
): Slice {
  return { kind: "slice", start, stop, step };
}

export { int64 };
