/**
 * Storage: the memory a tensor and all its views share, with PyTorch's
 * version counter. Reading a view materialises it from the storage; writing
 * through a view rebuilds the storage and bumps the version, so every view
 * sees the change.
 * @module
 */
import { copyToGpu, onGpu, tf } from "../engine/backend.ts";
import { engineTensor, type HostArray, own, release, replace, Slot } from "../engine/memory.ts";
import { jsKernels, stridedRead, stridedWrite } from "../engine/kernels.ts";
import type { dtype } from "./dtype.ts";
import type { device } from "./device.ts";
import { boxPlan, flatIndices, isContiguous, numelOf, sameShape } from "./geometry.ts";
import { RuntimeError } from "../errors.ts";

/** Engine tensors made while running one facade op, disposed when it ends. */
const temps: tf.Tensor[] = [];

/** Registers an engine tensor to be disposed at the end of the current op. */
export function temp<T extends tf.Tensor>(t: T): T {
  temps.push(t);
  return t;
}

/** Disposes the current op's temporaries, keeping `keep` (the op's result). */
export function flushTemps(keep?: tf.Tensor): void {
  for (let i = 0; i < temps.length; i++) {
    const t = temps[i];
    if (t !== keep && !t.isDisposed) t.dispose();
  }
  temps.length = 0;
}

/**
 * Storages made while a log is open are listed in it: autograd's backward opens one around
 * each derivative formula and frees what the formula made but did not return.
 */
export const made: { serial: number; log: Storage[] | null } = { serial: 0, log: null };

/** The shared memory behind a tensor and its views. */
export class Storage {
  readonly slot: Slot;
  /** Elements held. */
  numel: number;
  /** PyTorch's version counter: bumped by every in-place write. */
  version = 0;
  /** Creation order. */
  readonly serial: number;
  constructor(t: tf.Tensor, readonly dtype: dtype, readonly device: device) {
    this.slot = new Slot(place(t, device), device.type === "webgpu");
    this.numel = t.size;
    this.serial = made.serial++;
    own(this, this.slot);
    made.log?.push(this);
  }

  /** An engine tensor derived from this data (see `derived`). */
  _derived: { key: string; version: number; st: Storage } | null = null;
  /** The last derived tensor asked for (see `derivedOnReuse`). */
  _asked: { key: string; version: number } | null = null;

  /**
   * Frees the engine memory now, for a storage the facade knows nothing can reach (a
   * gradient or intermediate that autograd made and dropped); reading it afterwards is an error.
   */
  _free(): void {
    release(this.slot);
  }

  /** The engine tensor holding the data (any shape with `numel` elements). */
  engine(): tf.Tensor {
    const s = this.slot;
    if (s.t) {
      return s.t;
    }
    return engineTensor(s, [this.numel], this.dtype.engine as tf.DataType, this);
  }

  /** Host copy of the whole storage, if it is spilled (no engine work needed). */
  spilled(): HostArray | null {
    return this.slot.t ? null : this.slot.host;
  }

  /** Replaces the data (same element count) and bumps the version. */
  set(t: tf.Tensor): void {
    replace(this.slot, place(t, this.device), this);
    this.version++;
  }
}

/**
 * Puts a storage's new engine tensor on its device's backend. Kernels run where their
 * inputs live, so only data made from host values (creation ops, uploads, `to`) arrives
 * on the cpu backend for a webgpu storage; it is copied up once. The reverse would need a
 * synchronous GPU read, which Deno cannot do: that is a facade bug, reported as such.
 */
function place(t: tf.Tensor, dev: device): tf.Tensor {
  if (dev.type === "webgpu") {
    if (onGpu(t)) return t;
    const g = copyToGpu(t);
    t.dispose();
    return g;
  }
  if (onGpu(t)) {
    throw new RuntimeError(
      "Cannot keep webgpu data in a cpu tensor without reading it back: use `await t.to_async('cpu')`",
    );
  }
  return t;
}

/**
 * An engine tensor computed from a storage's data by `make` (a convolution filter in the
 * engine's layout), kept with the storage until its data changes (version) or the key does,
 * so repeated ops on unchanged weights neither recompute it nor make the engine rebuild
 * what it caches per tensor (XNNPACK's packed filters). Not a temporary: the caller must not
 * dispose it.
 */
export function derived(st: Storage, key: string, make: () => tf.Tensor): tf.Tensor {
  return derivedOnReuse(st, key, make, false)!;
}

/**
 * `derived`, made only when the same data is asked for a second time (a training step
 * changes weights every step: making it there would be wasted work); null until then.
 */
export function derivedOnReuse(
  st: Storage,
  key: string,
  make: () => tf.Tensor,
  onReuse = true,
): tf.Tensor | null {
  const d = st._derived;
  if (d && d.key === key && d.version === st.version) {
    const t = d.st.slot.t;
    if (t) return d.st.engine();
  }
  if (onReuse) {
    const seen = st._asked;
    if (!seen || seen.key !== key || seen.version !== st.version) {
      st._asked = { key, version: st.version };
      return null;
    }
  }
  if (d) {
    d.st._free();
    st._derived = null;
  }
  const log = made.log;
  made.log = null; // owned by `st`, whatever op is running
  try {
    const t = make();
    const i = temps.lastIndexOf(t);
    if (i >= 0) temps.splice(i, 1);
    const own = new Storage(t, st.dtype, st.device);
    st._derived = { key, version: st.version, st: own };
    return t;
  } finally {
    made.log = log;
  }
}

/**
 * Reads a strided view of a storage as an engine tensor of `shape`. The
 * result is either the storage's own tensor or a temporary of this op.
 */
export function readView(
  st: Storage,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): tf.Tensor {
  const base = st.engine();
  const n = numelOf(shape);
  const N = st.numel;
  const shp = shape as number[];
  if (n === 0) return temp(tf.zeros(shp, base.dtype));
  if (offset === 0 && n === N && isContiguous(shape, strides)) {
    return sameShape(base.shape, shape) ? base : temp(tf.reshape(base, shp));
  }
  if (jsKernels(base)) {
    // a permutation of the whole storage (`w.t()`, `x.permute(…)`) is the engine's transpose;
    // any other view is one strided copy on the backend's memory
    if (offset === 0 && n === N) {
      const plan = boxPlan(shape, strides, offset, N);
      if (plan && plan.perm && plan.box.every((d, i) => d === plan.take[i])) {
        const x = temp(tf.transpose(temp(tf.reshape(base, plan.sorted)), plan.perm));
        return temp(tf.reshape(x, shp));
      }
    }
    return temp(stridedRead(base, shape, strides, offset));
  }
  if (isContiguous(shape, strides)) {
    if (offset === 0 && n === N) {
      return sameShape(base.shape, shape) ? base : temp(tf.reshape(base, shp));
    }
    const flat = base.rank === 1 ? base : temp(tf.reshape(base, [N]));
    return temp(tf.reshape(temp(tf.slice(flat, offset, n)), shp));
  }
  // Broadcast dims (stride 0): read the un-expanded view, then broadcast.
  let expanded = false;
  for (let i = 0; i < shape.length; i++) {
    if (strides[i] === 0 && shape[i] > 1) expanded = true;
  }
  if (expanded) {
    const small = shape.map((d, i) => (strides[i] === 0 ? 1 : d));
    const inner = readView(st, small, strides, offset);
    return temp(tf.broadcastTo(inner, shp));
  }
  const flat = base.rank === 1 ? base : temp(tf.reshape(base, [N]));
  const plan = boxPlan(shape, strides, offset, N);
  if (plan) {
    let x = temp(tf.reshape(temp(tf.slice(flat, plan.start, plan.length)), plan.box));
    x = temp(tf.slice(x, plan.box.map(() => 0), plan.take));
    if (plan.perm) {
      x = temp(tf.transpose(temp(tf.reshape(x, plan.sorted)), plan.perm));
    }
    return temp(tf.reshape(x, shp));
  }
  const idx = temp(tf.tensor1d(flatIndices(shape, strides, offset), "int32"));
  return temp(tf.reshape(temp(tf.gather(flat, idx)), shp));
}

/**
 * Writes `value` (already of the view's shape and the storage's engine
 * dtype) through a strided view, rebuilding the storage.
 */
export function writeView(
  st: Storage,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  value: tf.Tensor,
  fresh: boolean,
): void {
  const n = numelOf(shape);
  if (n === 0) {
    st.version++;
    return;
  }
  if (offset === 0 && n === st.numel && isContiguous(shape, strides)) {
    // The whole storage is replaced: the value becomes the storage.
    st.set(adopt(value, fresh));
    return;
  }
  for (let i = 0; i < shape.length; i++) {
    if (strides[i] === 0 && shape[i] > 1) {
      throw new RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.",
      );
    }
  }
  if (fresh && temps.lastIndexOf(value) < 0) temp(value);
  const base = st.engine();
  if (jsKernels(base)) {
    st.set(stridedWrite(base, value, shape, strides, offset));
    return;
  }
  const flat = base.rank === 1 ? base : temp(tf.reshape(base, [st.numel]));
  const idx = temp(tf.tensor2d(flatIndices(shape, strides, offset), [n, 1], "int32"));
  const upd = temp(tf.reshape(value, [n]));
  st.set(tf.tensorScatterUpdate(flat, idx, upd));
}

/**
 * Makes an engine tensor ownable by a storage: a temporary of this op is
 * taken out of the temporaries; a kernel's fresh output is taken as is;
 * anything else (another storage's tensor passed through) gets its own
 * handle on the same data, so no two storages share one handle.
 */
export function adopt(t: tf.Tensor, fresh: boolean): tf.Tensor {
  const i = temps.lastIndexOf(t);
  if (i >= 0) {
    temps.splice(i, 1);
    return t;
  }
  return fresh ? t : tf.clone(t);
}
