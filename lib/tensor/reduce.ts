/**
 * Reductions (sum, mean, prod, max, min, argmax, argmin, std, var, all, any)
 * with PyTorch's `dim` / `keepdim` / `dtype` arguments and dtype rules, and
 * matrix products (matmul, mm, bmm, dot, mv) with PyTorch's shape errors.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { IndexError as IndexError_, RuntimeError } from "../errors.ts";
import { bool, type dtype, float32, int64, toDtype } from "./dtype.ts";
import {
  checkNoWrap,
  deviceOf,
  isKw,
  type Kw,
  readAs,
  resultTypeOf,
  run,
  scalarTypeName,
  splitKw,
  wrap,
} from "./dispatch.ts";
import { binary, where } from "./pointwise.ts";
import { temp } from "./storage.ts";
import { matmul2d, matOperand } from "./matmul.ts";
import { Tensor } from "./tensor.ts";
import { needsGrad, record } from "../autograd/node.ts";
import { broadcastShapes } from "./geometry.ts";

/** Parses `(dim?, keepdim?, {dim, keepdim, dtype})`. */
function reduceArgs(x: Tensor, args: unknown[]): { dims: number[] | null; keepdim: boolean; kw: Kw } {
  const [a, kw] = splitKw(args);
  const dimArg = (a[0] ?? kw.dim ?? kw.axis ?? null) as number | number[] | null;
  const keepdim = Boolean(a[1] ?? kw.keepdim ?? false);
  if (dimArg === null) return { dims: null, keepdim, kw };
  const list = Array.isArray(dimArg) ? dimArg : [dimArg];
  const dims = list.map((d) => x._dim(d));
  if (new Set(dims).size !== dims.length) {
    throw new RuntimeError(
      `dim ${dims.find((d, i) => dims.indexOf(d) !== i)} appears multiple times in the list of dims`,
    );
  }
  return { dims, keepdim, kw };
}

function keepShape(x: Tensor, dims: number[] | null, keepdim: boolean): number[] {
  if (dims === null) return keepdim ? x._shape.map(() => 1) : [];
  if (keepdim) return x._shape.map((d, i) => (dims.includes(i) ? 1 : d));
  return x._shape.filter((_, i) => !dims.includes(i));
}

function reduceWith(
  name: string,
  x: Tensor,
  args: unknown[],
  compute: (dt: dtype) => dtype,
  out: (dt: dtype) => dtype,
  kernel: (v: tf.Tensor, axes: number[]) => tf.Tensor,
  empty?: number,
): Tensor {
  const { dims, keepdim, kw } = reduceArgs(x, args);
  return run(name, () => {
    const req = kw.dtype ? toDtype(kw.dtype as string) : null;
    const cdt = req ?? compute(x.dtype);
    const odt = req ?? out(x.dtype);
    const axes = dims ?? x._shape.map((_, i) => i);
    const shape = keepShape(x, dims, keepdim);
    if (empty !== undefined && x.numel() === 0) {
      // the engine's kernels return garbage on empty input: use the reduction's identity
      return wrap(tf.fill(shape, empty, odt.engine!), odt, x.device);
    }
    const v = readAs(x, cdt);
    const r = axes.length ? temp(kernel(v, axes)) : v;
    if (odt === int64 && cdt === int64 && axes.length && (name === "sum" || name === "prod")) {
      checkNoWrap(name, r, temp(kernel(readAs(x, float32), axes)));
    }
    return wrap(tf.reshape(r, shape), odt, x.device);
  });
}

const intToLong = (dt: dtype) => (dt.is_floating_point ? dt : int64);

/** `sum(dim?, keepdim?, {dtype})`: integers and bools sum to int64. */
function sumFwd(x: Tensor, ...args: unknown[]): Tensor {
  return reduceWith("sum", x, args, intToLong, intToLong, (v, a) => tf.sum(v, a), 0);
}

/** `prod(dim?, keepdim?, {dtype})`. */
function prodFwd(x: Tensor, ...args: unknown[]): Tensor {
  if (args.length && Array.isArray(args[0])) {
    throw new RuntimeError("prod(): argument 'dim' must be int, not list");
  }
  return reduceWith("prod", x, args, intToLong, intToLong, (v, a) => tf.prod(v, a), 1);
}

/** `mean(dim?, keepdim?, {dtype})`: floating inputs only, as PyTorch. */
function meanFwd(x: Tensor, ...args: unknown[]): Tensor {
  const [, kw] = splitKw(args);
  if (!x.dtype.is_floating_point && !kw.dtype) {
    throw new RuntimeError(
      `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${
        scalarTypeName(x.dtype)
      }`,
    );
  }
  return reduceWith("mean", x, args, (d) => d, (d) => d, (v, a) => tf.mean(v, a), NaN);
}

/** `var(dim?, {correction=1, unbiased, keepdim})`. */
function varFwd(x: Tensor, ...args: unknown[]): Tensor {
  return moments("var", x, args, false);
}

/** `std(dim?, {correction=1, unbiased, keepdim})`. */
function stdFwd(x: Tensor, ...args: unknown[]): Tensor {
  return moments("std", x, args, true);
}

/** std/var arguments: `(dim?, unbiased?, keepdim?)`, `(unbiased)`, or `{dim, correction, unbiased, keepdim}`. */
function momentArgs(
  x: Tensor,
  args: unknown[],
): { dims: number[] | null; keepdim: boolean; correction: number } {
  let rest = args;
  let unbiased: boolean | undefined;
  if (typeof args[0] === "boolean") {
    // std(unbiased: bool) as the first positional argument (PyTorch's old overload)
    unbiased = args[0];
    rest = args.slice(1);
  } else if (typeof args[1] === "boolean") {
    // std(dim, unbiased, keepdim=False): the second positional is unbiased, not keepdim
    unbiased = args[1];
    rest = [args[0], ...args.slice(2)];
  }
  const { dims, keepdim, kw } = reduceArgs(x, rest);
  if (kw.unbiased !== undefined) unbiased = Boolean(kw.unbiased);
  const correction = kw.correction !== undefined ? Number(kw.correction) : unbiased === false ? 0 : 1;
  return { dims, keepdim, correction };
}

function moments(name: string, x: Tensor, args: unknown[], root: boolean): Tensor {
  if (!x.dtype.is_floating_point) {
    throw new RuntimeError("std and var only support floating point and complex dtypes");
  }
  const { dims, keepdim, correction } = momentArgs(x, args);
  return run(name, () => {
    const axes = dims ?? x._shape.map((_, i) => i);
    if (x.numel() === 0) {
      // nothing to average: nan, as PyTorch (the engine's kernels return garbage on empty input)
      return wrap(tf.fill(keepShape(x, dims, keepdim), NaN, "float32"), x.dtype, x.device);
    }
    const v = x._read();
    const n = axes.reduce((acc, a) => acc * x._shape[a], 1);
    const m = temp(tf.mean(v, axes, true));
    const sq = temp(tf.sum(temp(tf.square(temp(tf.sub(v, m)))), axes));
    let r = temp(tf.div(sq, Math.max(n - correction, 0)));
    if (root) r = temp(tf.sqrt(r));
    return wrap(tf.reshape(r, keepShape(x, dims, keepdim)), x.dtype, x.device);
  });
}

/** Result of `max(dim)` / `min(dim)`: `values` and `indices`, also destructurable as `[values, indices]`. */
export class ReturnTypes {
  readonly 0: Tensor;
  readonly 1: Tensor;
  readonly length = 2;
  constructor(readonly kind: string, values: Tensor, indices: Tensor) {
    this[0] = values;
    this[1] = indices;
  }
  /** The reduced values. */
  get values(): Tensor {
    return this[0];
  }
  /** Where they were found (int64). */
  get indices(): Tensor {
    return this[1];
  }
  /** `const [values, indices] = t.max(1)` */
  *[Symbol.iterator](): IterableIterator<Tensor> {
    yield this[0];
    yield this[1];
  }
  /** `torch.return_types.max(\nvalues=…,\nindices=…)`, as PyTorch prints it. */
  toString(): string {
    return `torch.return_types.${this.kind}(\nvalues=${this[0]},\nindices=${this[1]})`;
  }
  /** Deno's console shows PyTorch's text. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

function extreme(kind: "max" | "min", x: Tensor, args: unknown[]): Tensor | ReturnTypes {
  if (args[0] instanceof Tensor) return binary(kind === "max" ? "maximum" : "minimum", x, args[0]);
  const [a, kw] = splitKw(args);
  const dimArg = a[0] ?? kw.dim;
  if (dimArg === undefined) {
    if (x.numel() === 0) {
      throw new RuntimeError(
        `${kind}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`,
      );
    }
    return run(kind, () => {
      const dt = x.dtype === bool ? int64 : x.dtype;
      const v = readAs(x, dt);
      const r = kind === "max" ? tf.max(v) : tf.min(v);
      return wrap(r, x.dtype, x.device);
    });
  }
  const keepdim = Boolean(a[1] ?? kw.keepdim ?? false);
  const d = x._dim(dimArg as number);
  if (x._shape[d] === 0) {
    throw new IndexError_(`${kind}(): Expected reduction dim ${d} to have non-zero size.`);
  }
  const values = reduceWith(
    kind,
    x,
    [d, keepdim],
    (t) => (t === bool ? int64 : t),
    () => x.dtype,
    (v, ax) => kind === "max" ? tf.max(v, ax) : tf.min(v, ax),
  );
  const indices = argExtreme(kind === "max" ? "argmax" : "argmin", x, [d, keepdim]);
  return new ReturnTypes(kind, values, indices);
}

/** `max()`, `max(dim, keepdim?)` → (values, indices), `max(other)` → maximum. */
function maxFwd(x: Tensor, ...args: unknown[]): Tensor | ReturnTypes {
  return extreme("max", x, args);
}

/** `min()`, `min(dim, keepdim?)` → (values, indices), `min(other)` → minimum. */
function minFwd(x: Tensor, ...args: unknown[]): Tensor | ReturnTypes {
  return extreme("min", x, args);
}

/** `amax(dim, keepdim?)`: maximum values only. */
function amaxFwd(x: Tensor, ...args: unknown[]): Tensor {
  checkNonEmpty("amax", x, args);
  return reduceWith("amax", x, args, (t) => (t === bool ? int64 : t), () => x.dtype, (v, a) => tf.max(v, a));
}

/** `amin(dim, keepdim?)`: minimum values only. */
function aminFwd(x: Tensor, ...args: unknown[]): Tensor {
  checkNonEmpty("amin", x, args);
  return reduceWith("amin", x, args, (t) => (t === bool ? int64 : t), () => x.dtype, (v, a) => tf.min(v, a));
}

/** amax/amin have no identity: a reduced dim of size 0 is PyTorch's IndexError. */
function checkNonEmpty(name: string, x: Tensor, args: unknown[]): void {
  if (x.numel() !== 0) return;
  const { dims } = reduceArgs(x, args);
  for (const d of dims ?? x._shape.map((_, i) => i)) {
    if (x._shape[d] === 0) {
      throw new IndexError_(`${name}(): Expected reduction dim ${d} to have non-zero size.`);
    }
  }
}

function argExtreme(kind: "argmax" | "argmin", x: Tensor, args: unknown[]): Tensor {
  const [a, kw] = splitKw(args);
  const dimArg = (a[0] ?? kw.dim ?? null) as number | null;
  const keepdim = Boolean(a[1] ?? kw.keepdim ?? false);
  if (x.numel() === 0) {
    throw new IndexError_(
      `${kind}(): Expected reduction dim to be specified for input.numel() == 0.`,
    );
  }
  return run(kind, () => {
    const dt = x.dtype === bool ? int64 : x.dtype;
    let v = readAs(x, dt);
    let d: number;
    let shape: number[];
    if (dimArg === null) {
      v = temp(tf.reshape(v, [x.numel()]));
      d = 0;
      shape = keepdim ? x._shape.map(() => 1) : [];
    } else {
      d = x._dim(dimArg);
      shape = keepShape(x, [d], keepdim);
      if (x._shape.length === 0) {
        return wrap(tf.zeros(shape, "int32"), int64, x.device);
      }
    }
    const r = temp(kind === "argmax" ? tf.argMax(v, d) : tf.argMin(v, d));
    return wrap(tf.reshape(r, shape), int64, x.device);
  });
}

/** `argmax(dim?, keepdim?)`: int64 indices (of the flattened tensor without dim). */
export function argmax(x: Tensor, ...args: unknown[]): Tensor {
  return argExtreme("argmax", x, args);
}

/** `argmin(dim?, keepdim?)`. */
export function argmin(x: Tensor, ...args: unknown[]): Tensor {
  return argExtreme("argmin", x, args);
}

/** `all(dim?, keepdim?)`: bool. */
export function all(x: Tensor, ...args: unknown[]): Tensor {
  return reduceWith("all", x, args, () => bool, () => bool, (v, a) => tf.all(v, a), 1);
}

/** `any(dim?, keepdim?)`: bool. */
export function any(x: Tensor, ...args: unknown[]): Tensor {
  return reduceWith("any", x, args, () => bool, () => bool, (v, a) => tf.any(v, a), 0);
}

// ---- matrix products ---------------------------------------------------------------------

function matDtype(a: Tensor, b: Tensor, name: string): dtype {
  if (a.dtype !== b.dtype) {
    const [x, y] = [scalarTypeName(a.dtype), scalarTypeName(b.dtype)];
    throw new RuntimeError(
      name === "dot"
        ? `dot : expected both vectors to have same dtype, but found ${x} and ${y}`
        : `expected scalar type ${x} but found ${y}`,
    );
  }
  return a.dtype;
}

function matmulE(a: tf.Tensor, b: tf.Tensor, dt: dtype): tf.Tensor {
  // the engine multiplies float32 only; integer products go through float32
  if (dt.is_floating_point) return tf.matMul(a, b);
  const r = temp(tf.matMul(temp(tf.cast(a, "float32")), temp(tf.cast(b, "float32"))));
  return tf.cast(r, "int32");
}

/** `mm(a, b)`: 2-D matrix product. */
function mmFwd(a: Tensor, b: Tensor): Tensor {
  if (a._shape.length !== 2) throw new RuntimeError("self must be a matrix");
  if (b._shape.length !== 2) throw new RuntimeError("mat2 must be a matrix");
  if (a._shape[1] !== b._shape[0]) {
    throw new RuntimeError(
      `mat1 and mat2 shapes cannot be multiplied (${a._shape[0]}x${a._shape[1]} and ${b._shape[0]}x${
        b._shape[1]
      })`,
    );
  }
  const dt = matDtype(a, b, "mm");
  return run("mm", () => {
    if (!dt.is_floating_point) return wrap(matmulE(a._read(), b._read(), dt), dt, deviceOf(a, b));
    const [x, tx] = matOperand(a);
    const [y, ty] = matOperand(b);
    return wrap(matmul2d(x, tx, y, ty), dt, deviceOf(a, b));
  });
}

/** `bmm(a, b)`: batched 3-D matrix product. */
function bmmFwd(a: Tensor, b: Tensor): Tensor {
  if (a._shape.length !== 3) throw new RuntimeError("batch1 must be a 3D tensor");
  if (b._shape.length !== 3) throw new RuntimeError("batch2 must be a 3D tensor");
  if (b._shape[0] !== a._shape[0] || b._shape[1] !== a._shape[2]) {
    throw new RuntimeError(
      `Expected size for first two dimensions of batch2 tensor to be: [${a._shape[0]}, ${
        a._shape[2]
      }] but got: [${b._shape[0]}, ${b._shape[1]}].`,
    );
  }
  const dt = matDtype(a, b, "bmm");
  return run("bmm", () => wrap(matmulE(a._read(), b._read(), dt), dt, deviceOf(a, b)));
}

/** `dot(a, b)`: 1-D inner product. */
function dotFwd(a: Tensor, b: Tensor): Tensor {
  if (a._shape.length !== 1 || b._shape.length !== 1) {
    throw new RuntimeError(
      `1D tensors expected, but got ${a._shape.length}D and ${b._shape.length}D tensors`,
    );
  }
  const dt = matDtype(a, b, "dot");
  if (a._shape[0] !== b._shape[0]) {
    throw new RuntimeError(
      `inconsistent tensor size, expected tensor [${a._shape[0]}] and src [${
        b._shape[0]
      }] to have the same number of elements, but got ${a._shape[0]} and ${
        b._shape[0]
      } elements respectively`,
    );
  }
  return run("dot", () => {
    const r = temp(tf.sum(temp(tf.mul(a._read(), b._read()))));
    return wrap(tf.clone(r), dt, deviceOf(a, b));
  });
}

/** `mv(mat, vec)`: matrix-vector product. */
function mvFwd(a: Tensor, v: Tensor): Tensor {
  if (a._shape.length !== 2 || v._shape.length !== 1) {
    throw new RuntimeError(
      `vector + matrix @ vector expected, got 1, ${a._shape.length}, ${v._shape.length}`,
    );
  }
  if (a._shape[1] !== v._shape[0]) {
    // PyTorch 2.x's wording (1.13 said "size mismatch, got 3, 3x4,3")
    throw new RuntimeError(
      `size mismatch, got input (${a._shape[0]}), mat (${a._shape[0]}x${a._shape[1]}), vec (${v._shape[0]})`,
    );
  }
  const dt = matDtype(a, v, "mv");
  return run("mv", () => {
    const col = temp(tf.reshape(v._read(), [v._shape[0], 1]));
    const r = temp(matmulE(a._read(), col, dt));
    return wrap(tf.reshape(r, [a._shape[0]]), dt, deviceOf(a, v));
  });
}

/** `matmul(a, b)` (`a @ b`): PyTorch's rules for 1-D, 2-D and batched operands. */
function matmulFwd(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) {
    throw new RuntimeError("matmul(): argument 'other' (position 1) must be Tensor");
  }
  const ra = a._shape.length;
  const rb = b._shape.length;
  if (ra === 0 || rb === 0) {
    throw new RuntimeError(
      `both arguments to matmul need to be at least 1D, but they are ${ra}D and ${rb}D`,
    );
  }
  if (ra === 1 && rb === 1) return dotFwd(a, b);
  if (ra === 2 && rb === 2) return mmFwd(a, b);
  if (ra === 2 && rb === 1) return mvFwd(a, b);
  const dt = matDtype(a, b, "matmul");
  // batched: 1-D operands gain a dim that is removed again afterwards
  const as = ra === 1 ? [1, a._shape[0]] : a._shape;
  const bs = rb === 1 ? [b._shape[0], 1] : b._shape;
  const k1 = as[as.length - 1];
  const k2 = bs[bs.length - 2];
  if (k1 !== k2) {
    if (ra === 1 && rb === 2) {
      // PyTorch computes a.unsqueeze(0).mm(b)
      throw new RuntimeError(`mat1 and mat2 shapes cannot be multiplied (1x${k1} and ${k2}x${bs[1]})`);
    }
    if (rb === 1) {
      // PyTorch folds a's batch dims into rows and calls mv
      const rows = a._shape.slice(0, -1).reduce((x, y) => x * y, 1);
      throw new RuntimeError(`size mismatch, got input (${rows}), mat (${rows}x${k1}), vec (${k2})`);
    }
    throw new RuntimeError(
      `Expected size for first two dimensions of batch2 tensor to be: [${
        numelOfBatch(as)
      }, ${k1}] but got: [${numelOfBatch(bs)}, ${k2}].`,
    );
  }
  const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
  return run("matmul", () => {
    const x = temp(tf.reshape(a._read(), as));
    const y = temp(tf.reshape(b._read(), bs));
    const xb = temp(tf.broadcastTo(x, [...batch, ...as.slice(-2)]));
    const yb = temp(tf.broadcastTo(y, [...batch, ...bs.slice(-2)]));
    const r = temp(matmulE(xb, yb, dt));
    const shape = [...batch];
    if (ra !== 1) shape.push(as[as.length - 2]);
    if (rb !== 1) shape.push(bs[bs.length - 1]);
    return wrap(tf.reshape(r, shape), dt, deviceOf(a, b));
  });
}

function numelOfBatch(s: number[]): number {
  return s.slice(0, -2).reduce((x, y) => x * y, 1);
}

/** `outer(a, b)`: the outer product of two vectors. */
export function outer(a: Tensor, b: Tensor): Tensor {
  // PyTorch: self.reshape({self.size(0), 1}) * vec2
  return binary("mul", a.reshape([a._shape[0], 1]), b);
}

export { float32, isKw, resultTypeOf };

// ---- autograd: each reduction and product records PyTorch's node ---------------------------

/** Dims a reduction ran over, and whether they were kept, re-read from its arguments. */
function reducedDims(x: Tensor, args: unknown[]): { dims: number[]; keepdim: boolean; all: boolean } {
  const { dims, keepdim } = reduceArgs(x, args);
  return { dims: dims ?? x._shape.map((_, i) => i), keepdim, all: dims === null };
}

/** A reduced gradient broadcast back over the reduced dims. */
function expandBack(g: Tensor, shape: number[], dims: number[], keepdim: boolean): Tensor {
  let r = g;
  if (!keepdim) { for (const d of [...dims].sort((a, b) => a - b)) r = r.unsqueeze(d); }
  return r.expand(shape);
}

function floatGrad(x: Tensor, out: Tensor): boolean {
  return out.dtype.is_floating_point && needsGrad(x);
}

/** `sum(dim?, keepdim?, {dtype})`: integers and bools sum to int64. */
export function sum(x: Tensor, ...args: unknown[]): Tensor {
  const out = sumFwd(x, ...args);
  if (floatGrad(x, out)) {
    const { dims, keepdim, all } = reducedDims(x, args);
    const xs = x._shape.slice();
    record(all ? "SumBackward0" : "SumBackward1", [x], out, (gs) => [expandBack(gs[0]!, xs, dims, keepdim)]);
  }
  return out;
}

/** `mean(dim?, keepdim?, {dtype})`: floating inputs only, as PyTorch. */
export function mean(x: Tensor, ...args: unknown[]): Tensor {
  const out = meanFwd(x, ...args);
  if (floatGrad(x, out)) {
    const { dims, keepdim, all } = reducedDims(x, args);
    const xs = x._shape.slice();
    const n = dims.reduce((acc, d) => acc * xs[d], 1);
    record(all ? "MeanBackward0" : "MeanBackward1", [x], out, (gs) => [
      expandBack(gs[0]!, xs, dims, keepdim).div(n),
    ]);
  }
  return out;
}

/** `prod(dim?, keepdim?, {dtype})`. */
export function prod(x: Tensor, ...args: unknown[]): Tensor {
  const out = prodFwd(x, ...args);
  if (floatGrad(x, out)) {
    const { dims, keepdim, all } = reducedDims(x, args);
    const xs = x._shape.slice();
    record(all ? "ProdBackward0" : "ProdBackward1", [x], out, (gs, saved) => {
      const v = saved[0];
      const dim = all ? null : dims[0];
      // under create_graph the product of the others must itself be differentiable
      const others = needsGrad(v) ? prodOfOthersDiff(v, dim) : prodOfOthers(v, dim);
      return [expandBack(gs[0]!, xs, dims, keepdim).mul(others)];
    }, [x, out]); // PyTorch's prod_backward saves the result too
  }
  return out;
}

/** For each element, the product of the others along `dim` (all elements when null); exact with zeros. */
function prodOfOthers(x: Tensor, dim: number | null): Tensor {
  return run("prod_backward", () => {
    let v = x._read();
    const axis = dim ?? 0;
    if (dim === null) v = temp(tf.reshape(v, [x.numel()]));
    const before = temp(tf.cumprod(v, axis, true, false));
    // tfjs-webgpu's reverse cumprod is wrong along the last axis: reverse by hand
    const after = temp(tf.reverse(temp(tf.cumprod(temp(tf.reverse(v, axis)), axis, true, false)), axis));
    return wrap(tf.reshape(temp(tf.mul(before, after)), x._shape), x.dtype, x.device);
  });
}

/**
 * `prodOfOthers` from differentiable ops: row k of an (n, n) matrix holds the
 * elements with the k-th replaced by 1, and its product is taken.
 */
function prodOfOthersDiff(x: Tensor, dim: number | null): Tensor {
  const v = dim === null ? x.reshape([x.numel()]) : x.transpose(dim, -1);
  const n = v._shape[v._shape.length - 1];
  const eye = run("eye", () => wrap(tf.eye(n), float32, x.device));
  const others = prod(v.unsqueeze(-2).mul(eye.neg().add(1)).add(eye), -1);
  return dim === null ? others.reshape(x._shape) : others.transpose(dim, -1);
}

function momentsBackward(name: string, x: Tensor, out: Tensor, args: unknown[], root: boolean): void {
  const { dims, keepdim, correction } = momentArgs(x, args);
  const axes = dims ?? x._shape.map((_, i) => i);
  const xs = x._shape.slice();
  const n = axes.reduce((acc, d) => acc * xs[d], 1);
  record(name, [x], out, (gs, saved) => {
    const [xv, o] = saved;
    const centered = xv.sub(xv.mean(axes, true));
    const g = expandBack(gs[0]!, xs, axes, keepdim);
    if (!root) return [g.mul(centered).mul(2 / Math.max(n - correction, 0))];
    // PyTorch masks the gradient to 0 where the std is 0 (instead of 0/0)
    const oe = expandBack(o, xs, axes, keepdim);
    const r = g.mul(centered).div(oe.mul(Math.max(n - correction, 0)));
    return [where(oe.eq(0), 0, r) as Tensor];
  }, root ? [x, out] : [x]); // var's backward reads only the input
}

/** `var(dim?, {correction=1, unbiased, keepdim})`. */
export function var_(x: Tensor, ...args: unknown[]): Tensor {
  const out = varFwd(x, ...args);
  if (floatGrad(x, out)) momentsBackward("VarBackward0", x, out, args, false);
  return out;
}

/** `std(dim?, {correction=1, unbiased, keepdim})`. */
export function std(x: Tensor, ...args: unknown[]): Tensor {
  const out = stdFwd(x, ...args);
  if (floatGrad(x, out)) momentsBackward("StdBackward0", x, out, args, true);
  return out;
}

/** Gradient to every element equal to the reduced extreme, shared evenly (PyTorch's rule). */
function evenly(x: Tensor, out: Tensor, g: Tensor, dims: number[], keepdim: boolean): Tensor {
  const xs = x._shape;
  const o = expandBack(out, xs, dims, keepdim);
  const mask = x.eq(o).float();
  const count = mask.sum(dims, true);
  return expandBack(g, xs, dims, keepdim).mul(mask).div(count);
}

function extremeAutograd(
  kind: "max" | "min",
  x: Tensor,
  args: unknown[],
  r: Tensor | ReturnTypes,
): Tensor | ReturnTypes {
  if (args[0] instanceof Tensor) return r; // maximum/minimum recorded their own node
  if (r instanceof Tensor) {
    if (floatGrad(x, r)) {
      const dims = x._shape.map((_, i) => i);
      record(kind === "max" ? "MaxBackward1" : "MinBackward1", [x], r, (gs, saved) => [
        evenly(saved[0], saved[1], gs[0]!, dims, false),
      ], [x, r]);
    }
    return r;
  }
  if (floatGrad(x, r.values)) {
    const [a, kw] = splitKw(args);
    const d = x._dim((a[0] ?? kw.dim) as number);
    const keepdim = Boolean(a[1] ?? kw.keepdim ?? false);
    const xs = x._shape.slice();
    // the indices are saved (and freed after backward), as PyTorch saves them
    record(kind === "max" ? "MaxBackward0" : "MinBackward0", [x], [r.values, null], (gs, [idx]) => {
      // one-hot at the winning index along d
      const pos = keepdim ? idx : idx.unsqueeze(d);
      const shape = xs.map((n, i) => (i === d ? n : 1));
      const ar = arangeLike(xs[d], gs[0]!).reshape(shape);
      const hit = ar.eq(pos).float();
      const g = keepdim ? gs[0]! : gs[0]!.unsqueeze(d);
      return [g.mul(hit)];
    }, [r.indices]);
  }
  return r;
}

function arangeLike(n: number, like: Tensor): Tensor {
  return run("arange", () => wrap(tf.range(0, n, 1, "int32"), int64, like.device));
}

/** `max()`, `max(dim, keepdim?)` → (values, indices), `max(other)` → maximum. */
export function max(x: Tensor, ...args: unknown[]): Tensor | ReturnTypes {
  return extremeAutograd("max", x, args, maxFwd(x, ...args));
}

/** `min()`, `min(dim, keepdim?)` → (values, indices), `min(other)` → minimum. */
export function min(x: Tensor, ...args: unknown[]): Tensor | ReturnTypes {
  return extremeAutograd("min", x, args, minFwd(x, ...args));
}

function amExtreme(name: string, x: Tensor, args: unknown[], out: Tensor): Tensor {
  if (floatGrad(x, out)) {
    const { dims, keepdim } = reducedDims(x, args);
    record(name, [x], out, (gs, saved) => [evenly(saved[0], saved[1], gs[0]!, dims, keepdim)], [x, out]);
  }
  return out;
}

/** `amax(dim, keepdim?)`: maximum values only. */
export function amax(x: Tensor, ...args: unknown[]): Tensor {
  return amExtreme("AmaxBackward0", x, args, amaxFwd(x, ...args));
}

/** `amin(dim, keepdim?)`: minimum values only. */
export function amin(x: Tensor, ...args: unknown[]): Tensor {
  return amExtreme("AminBackward0", x, args, aminFwd(x, ...args));
}

/** `mm(a, b)`: 2-D matrix product. */
export function mm(a: Tensor, b: Tensor): Tensor {
  const out = mmFwd(a, b);
  if (out.dtype.is_floating_point && needsGrad(a, b)) {
    const [save, unpack] = crossSave(a, b);
    record("MmBackward0", [a, b], out, (gs, s, n) => {
      const [A, B] = unpack(s);
      return [n[0] ? gs[0]!.mm(B!.t()) : null, n[1] ? A!.t().mm(gs[0]!) : null];
    }, save);
  }
  return out;
}

/** `bmm(a, b)`: batched 3-D matrix product. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  const out = bmmFwd(a, b);
  if (out.dtype.is_floating_point && needsGrad(a, b)) {
    const [save, unpack] = crossSave(a, b);
    record("BmmBackward0", [a, b], out, (gs, s, n) => {
      const [A, B] = unpack(s);
      return [n[0] ? gs[0]!.bmm(B!.transpose(1, 2)) : null, n[1] ? A!.transpose(1, 2).bmm(gs[0]!) : null];
    }, save);
  }
  return out;
}

/** `dot(a, b)`: 1-D inner product. */
export function dot(a: Tensor, b: Tensor): Tensor {
  const out = dotFwd(a, b);
  if (out.dtype.is_floating_point && needsGrad(a, b)) {
    const [save, unpack] = crossSave(a, b);
    record("DotBackward0", [a, b], out, (gs, s, n) => {
      const [A, B] = unpack(s);
      return [n[0] ? B!.mul(gs[0]!) : null, n[1] ? A!.mul(gs[0]!) : null];
    }, save);
  }
  return out;
}

/** `mv(mat, vec)`: matrix-vector product. */
export function mv(a: Tensor, v: Tensor): Tensor {
  const out = mvFwd(a, v);
  if (out.dtype.is_floating_point && needsGrad(a, v)) {
    const [save, unpack] = crossSave(a, v);
    record("MvBackward0", [a, v], out, (gs, s, n) => {
      const [A, V] = unpack(s);
      return [n[0] ? gs[0]!.unsqueeze(1).mul(V!.unsqueeze(0)) : null, n[1] ? A!.t().mv(gs[0]!) : null];
    }, save);
  }
  return out;
}

/** `matmul(a, b)` (`a @ b`): PyTorch's rules for 1-D, 2-D and batched operands. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const ra = a instanceof Tensor ? a._shape.length : 0;
  const rb = b instanceof Tensor ? b._shape.length : 0;
  // the simple cases are one op each, with its own node
  if (ra === 1 && rb === 1) return dot(a, b);
  if (ra === 2 && rb === 2) return mm(a, b);
  if (ra === 2 && rb === 1) return mv(a, b);
  if (ra === 1 && rb === 2 && b instanceof Tensor && a._shape[0] === b._shape[0] && needsGrad(a, b)) {
    // PyTorch: a.unsqueeze(0).mm(b).squeeze_(0), so the graph shows those nodes
    const m = mm(a.unsqueeze(0), b);
    if (!m.dtype.is_floating_point) return m;
    const out = new Tensor(m._storage, [m._shape[1]], [m._strides[1]], m._offset);
    // squeeze_.dim is SqueezeBackward4 in 2.x (SqueezeBackward3 in 1.13)
    record("SqueezeBackward4", [m], out, (gs) => [gs[0]!.unsqueeze(0)]);
    return out;
  }
  const out = matmulFwd(a, b);
  if (!out.dtype.is_floating_point || !needsGrad(a, b)) return out;
  // batched: gradients of the broadcast product, summed back to each operand
  const as = ra === 1 ? [1, a._shape[0]] : a._shape.slice();
  const bs = rb === 1 ? [b._shape[0], 1] : b._shape.slice();
  const gshape = [...out._shape];
  if (ra === 1) gshape.splice(gshape.length - (rb === 1 ? 0 : 1), 0, 1);
  if (rb === 1) gshape.push(1);
  // 2.x folds a 2-D @ N-D product into mm when the 2-D operand requires grad and
  // transposes back with .mT().contiguous(); every other batched product ends in _unsafe_view
  const name = ra === 2 && rb >= 3 && a._requires_grad ? "CloneBackward0" : "UnsafeViewBackward0";
  const ashape = a._shape.slice();
  const bshape = b._shape.slice();
  const [save, unpack] = crossSave(a, b);
  record(name, [a, b], out, (gs, s, n) => {
    const g = gs[0]!.reshape(gshape);
    const [sa, sb] = unpack(s);
    return [
      n[0] ? sumToShape(g.matmul(sb!.reshape(bs).mT), as).reshape(ashape) : null,
      n[1] ? sumToShape(sa!.reshape(as).mT.matmul(g), bs).reshape(bshape) : null,
    ];
  }, save);
  return out;
}

/**
 * A product's operands, each saved only for the other one's gradient (as
 * PyTorch does: `b = a.mm(c); a.mul_(2)` leaves b's backward intact when c
 * needs no gradient); `unpack` gives them back (null where not saved).
 */
function crossSave(a: Tensor, b: Tensor): [Tensor[], (saved: Tensor[]) => [Tensor | null, Tensor | null]] {
  const keepA = b._requires_grad;
  const keepB = a._requires_grad;
  const save = [...(keepA ? [a] : []), ...(keepB ? [b] : [])];
  return [save, (s) => [keepA ? s[0] : null, keepB ? s[keepA ? 1 : 0] : null]];
}

function sumToShape(g: Tensor, shape: number[]): Tensor {
  const lead = g._shape.length - shape.length;
  let r = g;
  if (lead > 0) r = r.sum([...Array(lead).keys()]);
  const dims: number[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] === 1 && r._shape[i] !== 1) dims.push(i);
  return dims.length ? r.sum(dims, true) : r;
}
