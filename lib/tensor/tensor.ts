/**
 * The Tensor: a strided view (shape, strides, offset) of a shared Storage,
 * with PyTorch's metadata, printing and readback. Operations live in
 * `ops/*.ts`; the methods here are thin entries into them.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { IndexError as IndexError_, RuntimeError, TorchTypeError } from "../errors.ts";
import { bool, type dtype, float32, int32, int64 } from "./dtype.ts";
import { CPU, type device } from "./device.ts";
import { contiguousStrides, isContiguous, numelOf } from "./geometry.ts";
import { Size } from "./size.ts";
import { flushTemps, readView, Storage, temp, writeView } from "./storage.ts";
import { formatTensor, type PrintDType } from "./format.ts";
import type { HostArray } from "../engine/memory.ts";

/** A value usable where PyTorch takes a tensor or a Python number. */
export type Scalar = number | boolean;
/** A tensor or a scalar. */
export type TensorLike = Tensor | Scalar;

/** What an autograd node looks like to a tensor (filled in by autograd). */
export interface GradFn {
  name(): string;
  /** Edges to the nodes that made this node's inputs: `[node, output index]`, node null where no gradient flows. */
  next_functions: [GradFn | null, number][];
}

/**
 * A multi-dimensional array, as `torch.Tensor`.
 * @example Create and print
 * ```ts
 * import { torch } from "../../mod.ts";
 * console.log(String(torch.tensor([[5, 3], [0, 9]])));
 * ```
 */
export class Tensor {
  /** The shared memory. */
  _storage: Storage;
  _shape: number[];
  _strides: number[];
  _offset: number;
  /** The tensor this one is a view of (null for a base tensor). */
  _base: Tensor | null = null;
  _requires_grad = false;
  _grad: Tensor | null = null;
  /** The autograd node that made this tensor, or null for a leaf. */
  grad_fn: GradFn | null = null;
  /** Which output of `grad_fn` this tensor is. */
  _output_nr = 0;
  /** A leaf's AccumulateGrad node, made on first use. */
  _accumulator: GradFn | null = null;
  /** Set by `retain_grad()` on a non-leaf. */
  _retains_grad = false;
  /** A view made under no_grad of a tensor that requires grad (PyTorch's NO_GRAD_MODE view). */
  _noGradView = false;
  /** Set on the outputs of split/chunk/unbind: the multi-output node that made them. */
  _multiOutputOf: GradFn | null = null;
  /** For a view: re-applies the view op to a tensor shaped like the base (autograd's view replay). */
  _viewFn: ((base: Tensor) => Tensor) | null = null;
  /** Name shown by `Parameter` subclasses and the like. */
  _reprPrefix: string | null = null;
  /** Values read back asynchronously for printing (webgpu), valid while the data is unchanged. */
  _shown: { storage: Storage; version: number; key: string; data: HostArray } | null = null;

  constructor(storage: Storage, shape: number[], strides: number[], offset: number) {
    this._storage = storage;
    this._shape = shape;
    this._strides = strides;
    this._offset = offset;
  }

  // ---- construction from engine values -------------------------------------------------

  /** Wraps an engine tensor as a new base tensor of `dt` (the engine tensor is owned from now on). */
  static _wrap(t: tf.Tensor, dt: dtype, dev: device = CPU): Tensor {
    const shape = t.shape.slice();
    return new Tensor(new Storage(t, dt, dev), shape, contiguousStrides(shape), 0);
  }

  /** Zeros of `shape` with `like`'s dtype and device (autograd's gradient buffers). */
  static _zerosLike(shape: number[], like: Tensor): Tensor {
    const t = tf.zeros(shape, like.dtype.engine as tf.DataType);
    return Tensor._wrap(t, like.dtype, like.device);
  }

  /** A view of this tensor's storage with new geometry. */
  _view(shape: number[], strides: number[], offset: number): Tensor {
    const v = new Tensor(this._storage, shape, strides, offset);
    v._base = this._base ?? this;
    return v;
  }

  /**
   * A view made by `op` (a shape op or index applied to this tensor), able to
   * replay itself on another tensor of this shape (for autograd).
   */
  _viewOf(shape: number[], strides: number[], offset: number, op: (t: Tensor) => Tensor): Tensor {
    const v = this._view(shape, strides, offset);
    const parent = this._viewFn;
    v._viewFn = parent ? (b: Tensor) => op(parent(b)) : op;
    return v;
  }

  // ---- metadata -------------------------------------------------------------------------

  /** The element type. */
  get dtype(): dtype {
    return this._storage.dtype;
  }
  /** Where the data lives. */
  get device(): device {
    return this._storage.device;
  }
  /** The shape, as a `torch.Size`. */
  get shape(): Size {
    return Size.from_(this._shape);
  }
  /** `size()` is the shape; `size(d)` one dimension (negative counts from the end). */
  size(): Size;
  size(dim: number): number;
  size(dim?: number): Size | number {
    if (dim === undefined) return Size.from_(this._shape);
    return this._shape[this._dim(dim)];
  }
  /** Strides in elements, as PyTorch's `stride()`. */
  stride(): number[];
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    if (dim === undefined) return [...this._strides];
    return this._strides[this._dim(dim)];
  }
  /** Offset of the first element in the storage. */
  storage_offset(): number {
    return this._offset;
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this._shape.length;
  }
  /** Number of dimensions. */
  dim(): number {
    return this._shape.length;
  }
  /** Number of dimensions. */
  ndimension(): number {
    return this._shape.length;
  }
  /** Number of elements. */
  numel(): number {
    return numelOf(this._shape);
  }
  /** Number of elements. */
  nelement(): number {
    return numelOf(this._shape);
  }
  /** Bytes per element. */
  element_size(): number {
    return this.dtype.itemsize;
  }
  /** Whether the elements are laid out row-major without gaps. */
  is_contiguous(): boolean {
    return isContiguous(this._shape, this._strides);
  }
  /** Whether the dtype is floating point. */
  is_floating_point(): boolean {
    return this.dtype.is_floating_point;
  }
  /** The storage's version counter (bumped by in-place writes). */
  get _version(): number {
    return this._storage.version;
  }
  /** Whether this tensor is on the cpu device. */
  get is_cpu(): boolean {
    return this.device.type === "cpu";
  }
  /** Whether two tensors share storage memory. */
  _shares_storage(other: Tensor): boolean {
    return this._storage === other._storage;
  }
  /** Whether gradients flow to this tensor. */
  get requires_grad(): boolean {
    return this._requires_grad;
  }
  set requires_grad(v: boolean) {
    this.requires_grad_(v);
  }
  /** Sets `requires_grad` in place; only floating leaves can require gradients. */
  requires_grad_(requires_grad = true): this {
    if (requires_grad && !this.dtype.is_floating_point) {
      throw new RuntimeError("only Tensors of floating point dtype can require gradients");
    }
    if (!this.is_leaf && !requires_grad) {
      throw new RuntimeError(
        "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
      );
    }
    this._requires_grad = requires_grad;
    return this;
  }
  /** The gradient accumulated by backward (leaves, and non-leaves after `retain_grad()`). */
  get grad(): Tensor | null {
    if (this.grad_fn !== null && !this._retains_grad && this._grad === null) warnNonLeafGrad();
    return this._grad;
  }
  set grad(g: Tensor | null) {
    if (g !== null) {
      if (!(g instanceof Tensor)) {
        throw new TorchTypeError(`assigned grad expected to be a Tensor or None but got grad of ${typeof g}`);
      }
      if (g._shape.length !== this._shape.length || g._shape.some((d, i) => d !== this._shape[i])) {
        throw new RuntimeError("assigned grad has data of a different size");
      }
      if (g.dtype !== this.dtype) throw new RuntimeError("assigned grad has data of a different type");
    }
    this._grad = g;
  }
  /** True for tensors not made by a differentiable op. */
  get is_leaf(): boolean {
    return this.grad_fn === null;
  }

  /** Normalises a possibly negative dim, with PyTorch's error. */
  _dim(d: number, rank = this._shape.length): number {
    const lo = rank === 0 ? -1 : -rank;
    const hi = rank === 0 ? 0 : rank - 1;
    if (!Number.isInteger(d) || d < lo || d > hi) {
      throw new IndexError_(
        `Dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${d})`,
      );
    }
    return d < 0 ? d + Math.max(rank, 1) : d;
  }

  // ---- engine access ---------------------------------------------------------------------

  /** This view's values as an engine tensor (the storage's own, or a temporary of this op). */
  _read(): tf.Tensor {
    return readView(this._storage, this._shape, this._strides, this._offset);
  }

  /** Writes an engine value of this view's shape through the view. */
  _write(value: tf.Tensor, fresh: boolean): void {
    writeView(this._storage, this._shape, this._strides, this._offset, value, fresh);
  }

  /**
   * The values as a flat host array in row-major order. `what` names the call for the
   * error a device without synchronous readback gives.
   */
  _host(what = "tolist"): HostArray {
    if (this._storage.slot.gpu) {
      const how = "(Deno's WebGPU has no synchronous readback)";
      throw new RuntimeError(
        /^[a-z_]+$/.test(what)
          ? `${what}() cannot read a tensor on ${this.device} synchronously ${how}: use \`await t.${what}_async()\``
          : `${what} needs the values of a tensor on ${this.device}, which cannot be read synchronously ${how}: move it first with \`await t.to_async("cpu")\``,
      );
    }
    const sp = this._storage.spilled();
    if (
      sp && this._offset === 0 && this.numel() === this._storage.numel && this.is_contiguous()
    ) return sp;
    try {
      const t = this._read();
      return t.dataSync() as HostArray;
    } finally {
      flushTemps();
    }
  }

  // ---- readback ----------------------------------------------------------------------------

  /** The value of a one-element tensor as a number (or boolean). */
  item(): number | boolean {
    const n = this.numel();
    if (n !== 1) {
      throw new RuntimeError(
        `a Tensor with ${n} elements cannot be converted to Scalar`,
      );
    }
    const v = this._host("item")[0];
    return this.dtype === bool ? v !== 0 : v;
  }

  /**
   * The values as a flat host array on every device: a webgpu tensor is read back
   * asynchronously (the one way Deno's WebGPU reads).
   */
  async _hostAsync(): Promise<HostArray> {
    if (!this._storage.slot.gpu) return this._host();
    let t: tf.Tensor;
    try {
      const r = this._read();
      // own a handle: an in-place write may replace the storage's tensor during the await
      t = r === this._storage.slot.t ? tf.clone(r) : r;
      flushTemps(t);
    } catch (e) {
      flushTemps();
      throw e;
    }
    try {
      const data = await t.data();
      return (this.dtype === bool && !(data instanceof Uint8Array)
        ? Uint8Array.from(data as Int32Array)
        : data) as HostArray;
    } finally {
      t.dispose();
    }
  }

  /** Reads a webgpu tensor's values so that printing it shows them (the REPL awaits this). */
  async _fetchForDisplay(): Promise<void> {
    if (!this._storage.slot.gpu) return;
    if (this._shownFresh()) return;
    // what is read is the data as it is now (the read is queued at once): key it so
    const storage = this._storage, version = storage.version, key = this._displayKey();
    const data = await this._hostAsync();
    this._shown = { storage, version, key, data };
  }

  /** Whether `_shown` holds this tensor's current values. */
  _shownFresh(): boolean {
    const s = this._shown;
    return s !== null && s.storage === this._storage && s.version === this._storage.version &&
      s.key === this._displayKey();
  }

  private _displayKey(): string {
    return `${this._shape}|${this._strides}|${this._offset}`;
  }

  /** Nested arrays of numbers (or booleans), as PyTorch's `tolist()`. */
  tolist(): unknown {
    return this._nested(this._host());
  }

  /** Nested arrays of `data` in this tensor's shape. */
  _nested(data: HostArray): unknown {
    const isBool = this.dtype === bool;
    if (this._shape.length === 0) return isBool ? data[0] !== 0 : data[0];
    const shape = this._shape;
    let pos = 0;
    const build = (d: number): unknown[] => {
      const out = new Array(shape[d]);
      if (d === shape.length - 1) {
        for (let i = 0; i < shape[d]; i++) {
          out[i] = isBool ? data[pos++] !== 0 : data[pos++];
        }
      } else for (let i = 0; i < shape[d]; i++) out[i] = build(d + 1);
      return out;
    };
    return build(0);
  }

  /** Like `item()`, on every device (awaits GPU readback). */
  async item_async(): Promise<number | boolean> {
    const n = this.numel();
    if (n !== 1) {
      throw new RuntimeError(
        `a Tensor with ${n} elements cannot be converted to Scalar`,
      );
    }
    const v = (await this._hostAsync())[0];
    return this.dtype === bool ? v !== 0 : v;
  }

  /** Like `tolist()`, on every device (awaits GPU readback). */
  async tolist_async(): Promise<unknown> {
    return this._nested(await this._hostAsync());
  }

  /** A copy of the values as a typed array (Float32Array, Int32Array, or Uint8Array for bool). */
  data_sync(): HostArray {
    return this._host("data_sync").slice() as HostArray;
  }

  // ---- printing ------------------------------------------------------------------------------

  /** PyTorch's `repr(t)`. */
  toString(): string {
    // PyTorch prints the node's class name (`<CopySlices>`, not its namespaced name())
    const fn = this.grad_fn as (GradFn & { _name?: string }) | null;
    const name = fn ? fn._name ?? fn.name() : null;
    let values: HostArray;
    if (this._storage.slot.gpu) {
      if (!this._shownFresh()) return this._unreadRepr(name);
      values = this._shown!.data;
    } else values = this._host();
    const text = formatTensor({
      values,
      shape: this._shape,
      dtype: this.dtype.name as PrintDType,
      device: this.device.type === "cpu" ? null : String(this.device),
      grad_fn: name,
      requires_grad: this._requires_grad,
      prefix: this._reprPrefix ?? undefined,
    });
    return text;
  }

  /** How a webgpu tensor whose values were not read back prints (outside the REPL). */
  private _unreadRepr(gradFn: string | null): string {
    const extra = [`device='${this.device}'`, `dtype=torch.${this.dtype.name}`];
    if (gradFn) extra.push(`grad_fn=<${gradFn}>`);
    else if (this._requires_grad) extra.push("requires_grad=True");
    return `tensor(<${this._shape.join("x") || "scalar"} values on ${this.device}, not read back: ` +
      `print(await t.to_async("cpu")) or await t.tolist_async() shows them>, ${extra.join(", ")})`;
  }

  /** Deno's console shows PyTorch's text. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** Iterates over the first dimension, as `for x in t` (PyTorch's `iter(t.unbind(0))`). */
  *[Symbol.iterator](): IterableIterator<Tensor> {
    if (this._shape.length === 0) throw new TorchTypeError("iteration over a 0-d tensor");
    const self = this as unknown as { unbind(d: number): Tensor[] };
    yield* self.unbind(0);
  }
}

let warnedNonLeaf = false;
function warnNonLeafGrad(): void {
  if (warnedNonLeaf) return;
  warnedNonLeaf = true;
  console.warn(
    "UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more informations.",
  );
}

/** Checks for a Tensor. */
export function is_tensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

/** Engine dtype for a torch dtype. */
export function engineDtype(dt: dtype): tf.DataType {
  return dt.engine as tf.DataType;
}

/** Builds a tensor from flat host values (engine-typed) and a shape. */
export function fromHost(
  values: HostArray | number[],
  shape: number[],
  dt: dtype,
  dev: device = CPU,
): Tensor {
  const t = tf.tensor(values, shape, engineDtype(dt));
  return Tensor._wrap(t, dt, dev);
}

/** A scalar as an engine temporary of the given dtype. */
export function scalarEngine(v: Scalar, dt: dtype): tf.Tensor {
  const e = engineDtype(dt);
  return temp(tf.scalar(typeof v === "boolean" ? (v ? 1 : 0) : v, e));
}

export { float32, int32, int64 };
