/**
 * Shape ops. Views (`view`, `transpose`, `permute`, `unsqueeze`, `squeeze`,
 * `expand`, `narrow`, `split`, `chunk`, `detach`) only change geometry and
 * share storage; copies (`contiguous`, `clone`, `repeat`, `cat`, `stack`)
 * run engine kernels.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { IndexError, RuntimeError, TorchTypeError } from "../errors.ts";
import { promoteTypes } from "./dtype.ts";
import { deviceOf, readAs, run, sizesOf, splitKw, wrap } from "./dispatch.ts";
import { contiguousStrides, inferSize, numelOf, viewStrides } from "./geometry.ts";
import { Tensor } from "./tensor.ts";
import { anyNeedsGrad, needsGrad, record } from "../autograd/node.ts";
import { gradMode, no_grad } from "../autograd/grad_mode.ts";
import { sumTo } from "../autograd/util.ts";

/**
 * Makes a view of `x` by geometry; `op` re-applies the same view to any
 * tensor shaped like `x` (view replay), `backward` maps the view's gradient
 * to `x`'s (default: scatter it into zeros through `op`).
 */
export function viewOp(
  x: Tensor,
  shape: number[],
  strides: number[],
  offset: number,
  node: string,
  op: (t: Tensor) => Tensor,
  backward?: (g: Tensor) => Tensor,
): Tensor {
  const v = x._viewOf(shape, strides, offset, op);
  if (needsGrad(x)) {
    const xs = x._shape.slice();
    const bw = backward ?? ((g: Tensor) => scatterInto(xs, g, op));
    record(node, [x], v, (gs) => [bw(gs[0]!)]);
  } else noGradView(x, v);
  return v;
}

/** A view made under no_grad of a tensor that requires grad still reads requires_grad=True (as PyTorch). */
function noGradView(x: Tensor, v: Tensor): void {
  if (x._requires_grad && !gradMode.enabled) {
    v._requires_grad = true;
    v._noGradView = true;
  }
}

/**
 * The views `split`, `chunk` and `unbind` return: one node for all of them
 * (outputs 0, 1, …), as PyTorch's multi-output view functions; in-place ops
 * on them are refused while they require grad.
 */
function multiView(
  x: Tensor,
  node: string,
  views: { shape: number[]; offset: number; op: (t: Tensor) => Tensor; drop?: number }[],
  backward: (grads: Tensor[]) => Tensor,
): Tensor[] {
  const outs = views.map((p) => {
    const strides = p.drop === undefined ? [...x._strides] : x._strides.filter((_, k) => k !== p.drop);
    return x._viewOf(p.shape, strides, p.offset, p.op);
  });
  if (needsGrad(x)) {
    const n = record(node, [x], outs, multiGrad(outs.map((o) => o._shape.slice()), backward));
    for (const o of outs) o._multiOutputOf = n;
  } else for (const o of outs) noGradView(x, o);
  return outs;
}

function multiGrad(
  shapes: number[][],
  backward: (grads: Tensor[]) => Tensor,
): (gs: (Tensor | null)[]) => Tensor[] {
  return (gs) => {
    const like = gs.find((g) => g !== null)!;
    // outputs that got no gradient count as zeros
    return [backward(gs.map((g, i) => g ?? Tensor._zerosLike(shapes[i], like)))];
  };
}

/** Gradient of a view that picks part of `x`: zeros of `x`'s shape with `g` written through the view. */
function scatterInto(shape: number[], g: Tensor, op: (t: Tensor) => Tensor): Tensor {
  const z = Tensor._zerosLike(shape, g);
  op(z).copy_(g);
  return z;
}

/** `view(*shape)`: same storage, new shape; errors where PyTorch's view would. */
export function view(x: Tensor, ...args: unknown[]): Tensor {
  if (args.length === 1 && typeof args[0] === "object" && args[0] && "is_floating_point" in args[0]) {
    throw new RuntimeError("view(dtype) is not supported: use .to(dtype) for a converted copy");
  }
  const shape = inferSize(sizesOf(args, "view(): argument 'size'"), x.numel());
  const st = viewStrides(x._shape, x._strides, shape);
  if (!st) {
    throw new RuntimeError(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
  }
  const xs = x._shape.slice();
  return viewOp(x, shape, st, x._offset, "ViewBackward0", (t) => view(t, shape), (g) => reshape(g, xs));
}

/** `reshape(*shape)`: a view when possible, else a copy. */
export function reshape(x: Tensor, ...args: unknown[]): Tensor {
  const shape = inferSize(sizesOf(args, "reshape(): argument 'shape'"), x.numel());
  const st = viewStrides(x._shape, x._strides, shape);
  if (st) {
    const xs = x._shape.slice();
    return viewOp(x, shape, st, x._offset, "ViewBackward0", (t) => reshape(t, shape), (g) => reshape(g, xs));
  }
  // a copy: PyTorch shows the clone under an UnsafeViewBackward0
  const c = contiguous(x);
  const out = no_grad(() => view(c, shape));
  const flat = new Tensor(out._storage, out._shape, out._strides, out._offset);
  if (needsGrad(c)) record("UnsafeViewBackward0", [c], flat, reshapeGradTo(c._shape.slice()));
  return flat;
}

// Backward formulas are made by these factories, outside the ops: a closure made inside an op
// would share its scope with the op's other closures, which may hold the op's input tensors
// (and so pin them after backward freed the saved ones).

/** Backward of a reshape: the gradient reshaped to the input's shape. */
function reshapeGradTo(shape: number[]): (gs: (Tensor | null)[]) => Tensor[] {
  return (gs) => [reshape(gs[0]!, shape)];
}

/** `flatten(start_dim=0, end_dim=-1)`. */
export function flatten(x: Tensor, start_dim: unknown = 0, end_dim = -1): Tensor {
  if (typeof start_dim === "object" && start_dim !== null) {
    const kw = start_dim as { start_dim?: number; end_dim?: number };
    return flatten(x, kw.start_dim ?? 0, kw.end_dim ?? -1);
  }
  if (x._shape.length === 0) return reshape(x, [1]);
  const s = x._dim(start_dim as number);
  const e = x._dim(end_dim);
  if (s > e) throw new RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim");
  if (s === e) return x;
  const shape = [
    ...x._shape.slice(0, s),
    numelOf(x._shape.slice(s, e + 1)),
    ...x._shape.slice(e + 1),
  ];
  return reshape(x, shape);
}

/** `unsqueeze(dim)`: a new size-1 dim. */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = x._dim(dim, x._shape.length + 1);
  const shape = [...x._shape];
  const strides = [...x._strides];
  const st = d < x._shape.length ? x._shape[d] * x._strides[d] : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, st);
  return viewOp(
    x,
    shape,
    strides,
    x._offset,
    "UnsqueezeBackward0",
    (t) => unsqueeze(t, d),
    (g) => squeeze(g, d),
  );
}

/** `squeeze(dim?)`: drops size-1 dims (all, or the given ones). */
export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  let drop: number[];
  if (dim === undefined || dim === null) {
    drop = x._shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  } else {
    const dims = Array.isArray(dim) ? dim : [dim];
    drop = dims.map((d) => x._dim(d)).filter((d) => x._shape[d] === 1);
  }
  const shape = x._shape.filter((_, i) => !drop.includes(i));
  const strides = x._strides.filter((_, i) => !drop.includes(i));
  // squeeze(), squeeze(dim), squeeze(dims) (2.x's squeeze.dims)
  const name = dim === undefined || dim === null
    ? "SqueezeBackward0"
    : Array.isArray(dim)
    ? "SqueezeBackward2"
    : "SqueezeBackward1";
  return viewOp(x, shape, strides, x._offset, name, squeezeOp(dim), reshapeOp(x._shape.slice()));
}

function squeezeOp(dim?: number | number[]): (t: Tensor) => Tensor {
  return (t) => squeeze(t, dim);
}

function reshapeOp(shape: number[]): (t: Tensor) => Tensor {
  return (t) => reshape(t, shape);
}

function permuteOp(dims: number[]): (t: Tensor) => Tensor {
  return (t) => permute(t, dims);
}

/** `permute(*dims)`. */
export function permute(x: Tensor, ...args: unknown[]): Tensor {
  const given = sizesOf(args, "permute(): argument 'dims'");
  // PyTorch checks the count before wrapping each dim
  if (given.length !== x._shape.length) {
    throw new RuntimeError(
      `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${x._shape.length} is not equal to len(dims) = ${given.length}`,
    );
  }
  const dims = given.map((d) => x._dim(d));
  if (new Set(dims).size !== dims.length) {
    throw new RuntimeError("permute(): duplicate dims are not allowed.");
  }
  const inv = new Array<number>(dims.length);
  dims.forEach((d, i) => (inv[d] = i));
  return viewOp(
    x,
    dims.map((d) => x._shape[d]),
    dims.map((d) => x._strides[d]),
    x._offset,
    "PermuteBackward0",
    permuteOp(dims),
    permuteOp(inv),
  );
}

/** `transpose(dim0, dim1)`. */
export function transpose(x: Tensor, dim0: number, dim1: number, node = "TransposeBackward0"): Tensor {
  if (x._shape.length === 0) return viewOp(x, [], [], x._offset, node, (t) => t, (g) => g);
  const a = x._dim(dim0);
  const b = x._dim(dim1);
  const shape = [...x._shape];
  const strides = [...x._strides];
  [shape[a], shape[b]] = [shape[b], shape[a]];
  [strides[a], strides[b]] = [strides[b], strides[a]];
  return viewOp(x, shape, strides, x._offset, node, (t) => transpose(t, a, b), (g) => transpose(g, a, b));
}

/** `t()`: transpose of a tensor with at most 2 dims. */
export function t(x: Tensor): Tensor {
  if (x._shape.length > 2) {
    throw new RuntimeError(`t() expects a tensor with <= 2 dimensions, but self is ${x._shape.length}D`);
  }
  if (x._shape.length < 2) {
    return viewOp(x, [...x._shape], [...x._strides], x._offset, "TBackward0", (v) => v, (g) => g);
  }
  return transpose(x, 0, 1, "TBackward0");
}

/** `T`: all dims reversed. */
export function T(x: Tensor): Tensor {
  const n = x._shape.length;
  return permute(x, [...Array(n).keys()].reverse());
}

/** `mT`: the last two dims swapped. */
export function mT(x: Tensor): Tensor {
  if (x._shape.length < 2) {
    throw new RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.");
  }
  return transpose(x, -2, -1);
}

/** `expand(*sizes)`: broadcasting view (-1 keeps a size). */
export function expand(x: Tensor, ...args: unknown[]): Tensor {
  const [a] = splitKw(args);
  const sizes = sizesOf(a, "expand(): argument 'size'");
  const n = sizes.length;
  const k = x._shape.length;
  if (n < k) {
    throw new RuntimeError(
      `expand(${legacyTypeName(x)}{[${x._shape.join(", ")}]}, size=[${
        sizes.join(", ")
      }]): the number of sizes provided (${n}) must be greater or equal to the number of dimensions in the tensor (${k})`,
    );
  }
  const shape = new Array<number>(n);
  const strides = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const j = i - (n - k);
    const want = sizes[i];
    if (j < 0) {
      if (want === -1) {
        throw new RuntimeError(
          `The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ${i}`,
        );
      }
      shape[i] = want;
      strides[i] = 0;
      continue;
    }
    const have = x._shape[j];
    if (want === -1 || want === have) {
      shape[i] = have;
      strides[i] = x._strides[j];
    } else if (have === 1) {
      shape[i] = want;
      strides[i] = 0;
    } else {
      throw new RuntimeError(
        `The expanded size of the tensor (${want}) must match the existing size (${have}) at non-singleton dimension ${i}.  Target sizes: [${
          sizes.join(", ")
        }].  Tensor sizes: [${x._shape.join(", ")}]`,
      );
    }
  }
  const xs = x._shape.slice();
  return viewOp(
    x,
    shape,
    strides,
    x._offset,
    "ExpandBackward0",
    (t) => expand(t, shape),
    (g) => sumTo(g, xs),
  );
}

/** PyTorch's legacy type name (`torch.FloatTensor`), as its expand message prints it. */
function legacyTypeName(x: Tensor): string {
  const names: Record<string, string> = { float32: "Float", int64: "Long", int32: "Int", bool: "Bool" };
  return `torch.${names[x.dtype.name] ?? "Float"}Tensor`;
}

/** `select(dim, index)`: a view dropping `dim` at `index`. */
export function select(x: Tensor, dim: number, index: number, node = "SelectBackward0"): Tensor {
  if (x._shape.length === 0) {
    throw new IndexError("select() cannot be applied to a 0-dim tensor.");
  }
  const d = x._dim(dim);
  const size = x._shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new IndexError(`index ${index} is out of bounds for dimension ${d} with size ${size}`);
  }
  const i = index < 0 ? index + size : index;
  const shape = x._shape.filter((_, k) => k !== d);
  const strides = x._strides.filter((_, k) => k !== d);
  return viewOp(x, shape, strides, x._offset + i * x._strides[d], node, (t) => select(t, d, i));
}

/** `narrow(dim, start, length)`: a view of a range along a dim. */
export function narrow(
  x: Tensor,
  dim: number,
  start: number,
  length: number,
  node = "SliceBackward0",
): Tensor {
  const d = x._dim(dim);
  const size = x._shape[d];
  const s = start < 0 ? start + size : start;
  if (s < 0 || s > size) {
    throw new IndexError(
      `start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`,
    );
  }
  if (length < 0 || s + length > size) {
    throw new RuntimeError(`start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  }
  const shape = [...x._shape];
  shape[d] = length;
  return viewOp(
    x,
    shape,
    [...x._strides],
    x._offset + s * x._strides[d],
    node,
    (t) => narrow(t, d, s, length),
  );
}

/** `split(split_size_or_sections, dim=0)`: views. */
export function split(x: Tensor, sizeOrSections: number | number[], dim = 0): Tensor[] {
  const d = x._dim(dim);
  const size = x._shape[d];
  const ranges: [number, number][] = [];
  let node = "SplitBackward0";
  if (Array.isArray(sizeOrSections)) {
    const sum = sizeOrSections.reduce((a, b) => a + b, 0);
    if (sum !== size) {
      throw new RuntimeError(
        `split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${d}), but got split_sizes=[${
          sizeOrSections.join(", ")
        }]`,
      );
    }
    let s = 0;
    for (const n of sizeOrSections) {
      if (n < 0) {
        throw new RuntimeError(
          `split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=[${
            sizeOrSections.join(", ")
          }]`,
        );
      }
      ranges.push([s, n]);
      s += n;
    }
    node = "SplitWithSizesBackward0";
  } else {
    const step = sizeOrSections;
    if (!Number.isInteger(step) || step <= 0) {
      if (!(step === 0 && size === 0)) {
        throw new RuntimeError(
          `split_size can only be 0 if dimension size is 0, but got dimension size of ${size}`,
        );
      }
    }
    for (let s = 0; s < size; s += step) ranges.push([s, Math.min(step, size - s)]);
    if (size === 0) ranges.push([0, 0]);
  }
  return multiView(
    x,
    node,
    ranges.map(([s, n]) => ({
      shape: x._shape.map((v, k) => (k === d ? n : v)),
      offset: x._offset + s * x._strides[d],
      op: (t: Tensor) => narrow(t, d, s, n),
    })),
    catAll(d),
  );
}

function catGrad(sizes: number[], d: number): (gs: (Tensor | null)[]) => Tensor[] {
  return (gs) => split(gs[0]!, sizes, d);
}

function stackGrad(d: number): (gs: (Tensor | null)[]) => Tensor[] {
  return (gs) => unbind(gs[0]!, d);
}

function catAll(d: number): (gs: Tensor[]) => Tensor {
  return (gs) => cat(gs, d);
}

function stackAll(d: number): (gs: Tensor[]) => Tensor {
  return (gs) => stack(gs, d);
}

/** `chunk(chunks, dim=0)`: views. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!(chunks > 0)) throw new RuntimeError("chunk expects `chunks` to be greater than 0, got: " + chunks);
  const size = x._shape[x._dim(dim)];
  const step = Math.ceil(size / chunks);
  return split(x, Math.max(step, size === 0 ? 0 : 1), dim);
}

/** `unbind(dim=0)`: views, one per index. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = x._dim(dim);
  const shape = x._shape.filter((_, k) => k !== d);
  const views = [];
  for (let i = 0; i < x._shape[d]; i++) {
    views.push({
      shape,
      offset: x._offset + i * x._strides[d],
      op: (t: Tensor) => select(t, d, i),
      drop: d,
    });
  }
  return multiView(x, "UnbindBackward0", views, stackAll(d));
}

/** `contiguous()`: itself if row-major, else a row-major copy. */
export function contiguous(x: Tensor): Tensor {
  if (x.is_contiguous()) return x;
  return clone(x);
}

/** `clone()`: a copy with its own storage. */
export function clone(x: Tensor): Tensor {
  const out = run("clone", () => wrap(tf.clone(x._read()), x.dtype, x.device));
  if (needsGrad(x)) record("CloneBackward0", [x], out, passGrad);
  return out;
}

/** Backward of an identity (clone): the gradient as it is. */
function passGrad(gs: (Tensor | null)[]): (Tensor | null)[] {
  return [gs[0]];
}

/** `detach()`: a view sharing storage, outside autograd. */
export function detach(x: Tensor): Tensor {
  // shares storage (and its version counter) but is not a differentiable view
  // (not a view for autograd: in-place ops through it never rebase x's graph)
  return new Tensor(x._storage, [...x._shape], [...x._strides], x._offset);
}

/** `repeat(*sizes)`: tiles the tensor (a copy). */
export function repeat(x: Tensor, ...args: unknown[]): Tensor {
  const reps = sizesOf(args, "repeat(): argument 'repeats'");
  if (reps.length < x._shape.length) {
    throw new RuntimeError(
      "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
    );
  }
  const out = run("repeat", () => {
    const lead = reps.length - x._shape.length;
    const shape = [...Array(lead).fill(1), ...x._shape];
    const v = tf.reshape(x._read(), shape);
    const r = tf.tile(v, reps);
    v.dispose();
    return wrap(r, x.dtype, x.device);
  });
  if (needsGrad(x)) record("RepeatBackward0", [x], out, repeatGrad(x._shape.slice(), reps));
  return out;
}

function repeatGrad(xs: number[], reps: number[]): (gs: (Tensor | null)[]) => Tensor[] {
  const lead = reps.length - xs.length;
  const inner = [...Array(lead).fill(1), ...xs];
  // split every dim into (repeat, size) and sum the repeats away
  const split = inner.flatMap((n, i) => [reps[i], n]);
  const sumDims = inner.map((_, i) => 2 * i);
  return (gs) => [gs[0]!.reshape(split).sum(sumDims).reshape(xs)];
}

function tensorList(name: string, xs: unknown): Tensor[] {
  if (!Array.isArray(xs)) {
    throw new TorchTypeError(
      `${name}(): argument 'tensors' (position 1) must be tuple of Tensors, not ${
        xs instanceof Tensor ? "Tensor" : typeof xs
      }`,
    );
  }
  for (let i = 0; i < xs.length; i++) {
    if (!(xs[i] instanceof Tensor)) {
      throw new TorchTypeError(
        `expected Tensor as element ${i} in argument 0, but got ${
          typeof xs[i] === "number" ? "int" : typeof xs[i]
        }`,
      );
    }
  }
  return xs as Tensor[];
}

/** `torch.cat(tensors, dim=0)`. */
export function cat(tensors: Tensor[], dim: number | { dim?: number } = 0): Tensor {
  const ts = tensorList("cat", tensors);
  const d0 = typeof dim === "object" ? dim.dim ?? 0 : dim;
  if (ts.length === 0) throw new RuntimeError("torch.cat(): expected a non-empty list of Tensors");
  // PyTorch skips legacy empty 1-D tensors of shape [0]
  const parts = ts.filter((t) => !(t._shape.length === 1 && t._shape[0] === 0));
  if (parts.length === 0) return clone(ts[0]);
  const ref = parts[0];
  const rank = ref._shape.length;
  if (rank === 0) {
    throw new RuntimeError(`zero-dimensional tensor (at position 0) cannot be concatenated`);
  }
  const d = ref._dim(d0);
  let dt = parts[0].dtype;
  parts.forEach((t, i) => {
    if (t._shape.length === 0) {
      throw new RuntimeError(`zero-dimensional tensor (at position ${i}) cannot be concatenated`);
    }
    if (t._shape.length !== rank) {
      throw new RuntimeError(
        `Tensors must have same number of dimensions: got ${rank} and ${t._shape.length}`,
      );
    }
    for (let k = 0; k < rank; k++) {
      if (k !== d && t._shape[k] !== ref._shape[k]) {
        throw new RuntimeError(
          `Sizes of tensors must match except in dimension ${d}. Expected size ${
            ref._shape[k]
          } but got size ${t._shape[k]} for tensor number ${ts.indexOf(t)} in the list.`,
        );
      }
    }
    dt = promoteTypes(dt, t.dtype);
  });
  const out = run("cat", () => {
    const dev = deviceOf(...parts);
    const vals = parts.map((t) => readAs(t, dt));
    return wrap(vals.length === 1 ? tf.clone(vals[0]) : tf.concat(vals, d), dt, dev);
  });
  if (dt.is_floating_point && anyNeedsGrad(parts)) {
    const sizes: number[] = [];
    for (const t of parts) sizes.push(t._shape[d]);
    record("CatBackward0", parts, out, catGrad(sizes, d));
  }
  return out;
}

/** `torch.stack(tensors, dim=0)`. */
export function stack(tensors: Tensor[], dim: number | { dim?: number } = 0): Tensor {
  const ts = tensorList("stack", tensors);
  const d0 = typeof dim === "object" ? dim.dim ?? 0 : dim;
  if (ts.length === 0) throw new RuntimeError("stack expects a non-empty TensorList");
  const ref = ts[0];
  for (let i = 1; i < ts.length; i++) {
    const s = ts[i]._shape;
    if (s.length !== ref._shape.length || s.some((v, k) => v !== ref._shape[k])) {
      throw new RuntimeError(
        `stack expects each tensor to be equal size, but got [${ref._shape.join(", ")}] at entry 0 and [${
          s.join(", ")
        }] at entry ${i}`,
      );
    }
  }
  const d = ref._dim(d0, ref._shape.length + 1);
  const out = no_grad(() => cat(ts.map((t) => unsqueeze(t, d)), d));
  if (out.dtype.is_floating_point && anyNeedsGrad(ts)) {
    record("StackBackward0", ts, out, stackGrad(d));
  }
  return out;
}

export { contiguousStrides };
