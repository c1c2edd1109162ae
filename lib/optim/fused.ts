/**
 * Fused optimizer updates on the wasm heap. An update through tfjs ops costs
 * about ten kernels (and as many scalar tensors) per parameter per step,
 * mostly dispatch for small tensors; here one element-wise kernel compiled
 * to WebAssembly (engine/wasm.ts) reads and writes the backend's memory
 * directly, in place.
 *
 * The kernels run the same float32 operations in the same order as the
 * op-by-op path (PyTorch's single-tensor formulas), so both paths agree
 * bit for bit. Taken only when every tensor of the update is a whole,
 * contiguous float32 storage on the wasm backend; otherwise the caller runs
 * its op-by-op path.
 * @module
 */
import type { tf } from "../engine/backend.ts";
import { heapAlloc, heapMemory, heapOffset, heapWritable, heapWritten, onWasm } from "../engine/kernels.ts";
import { wrap } from "../tensor/dispatch.ts";
import { isContiguous, numelOf } from "../tensor/geometry.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { type Compiled, Kernel } from "../engine/wasm.ts";

/**
 * Switch for tests: off, every update takes the op-by-op path (to compare the two); `taken`
 * counts the fused updates.
 */
export const fusedPath = { enabled: true, taken: 0 };

/** `t`'s engine data when a fused update can use it (uploads a spilled storage), else null. */
function engineOf(t: Tensor, n: number): tf.Tensor | null {
  const st = t._storage;
  if (t._offset !== 0 || st.numel !== n || !isContiguous(t._shape, t._strides)) return null;
  const e = st.engine();
  return e.dtype === "float32" && onWasm(e) ? e : null;
}

interface Item {
  /** The tensor read or updated; null for one the update creates. */
  t: Tensor | null;
  like: Tensor;
  /** Its engine data now (null when created). */
  src: tf.Tensor | null;
  /** Where the update writes (`src` itself when in place); null for read-only items. */
  dst: tf.Tensor | null;
  write: boolean;
}

/**
 * One fused update: register the tensors (`read`, `write`, `create`), check `ok`, `prepare`,
 * then `run` a kernel over them. Nothing changes before `run`.
 */
export class HeapUpdate {
  ok: boolean;
  readonly n: number;
  #items: Item[] = [];
  #made: (Tensor | null)[] = [];

  /** An update of tensors shaped like `like`. */
  constructor(like: Tensor) {
    this.n = numelOf(like._shape);
    this.ok = fusedPath.enabled && this.n > 0;
  }

  #add(t: Tensor | null, like: Tensor, write: boolean): number {
    const i = this.#items.length;
    let src: tf.Tensor | null = null;
    if (t !== null && this.ok) {
      src = engineOf(t, this.n);
      // two updated tensors on one storage would be written twice per element
      if (src === null || (write && this.#items.some((it) => it.write && it.t?._storage === t._storage))) {
        this.ok = false;
      }
    }
    this.#items.push({ t, like, src, dst: null, write });
    return i;
  }

  /** A tensor the kernel only reads; its index in the pointers. */
  read(t: Tensor): number {
    return this.#add(t, t, false);
  }

  /** A tensor the kernel updates (its old values in `src`, new ones into `dst`); its index. */
  write(t: Tensor): number {
    return this.#add(t, t, true);
  }

  /** A new tensor shaped like `like` that the kernel fills (`dst` only); its index. */
  create(like: Tensor): number {
    return this.#add(null, like, true);
  }

  /**
   * Allocates where the kernel writes: a new buffer for a created tensor, or for one whose
   * data another engine tensor shares (the others are written in place). False, with nothing
   * changed, if that fails; then the caller takes its op-by-op path.
   */
  prepare(): boolean {
    for (const it of this.#items) {
      if (!it.write) continue;
      it.dst = it.src !== null && heapWritable(it.src) ? it.src : heapAlloc(it.like._shape);
      if (it.dst === null) {
        for (const o of this.#items) if (o.dst !== null && o.dst !== o.src) o.dst.dispose();
        return false;
      }
    }
    return true;
  }

  /**
   * Runs `k` over the registered tensors (after `prepare`): tensor `i` (by registration order)
   * is the kernel's slot `2i` (its values before: `src(i)`) and `2i + 1` (where it is written:
   * `dst(i)`, the same memory when in place). Then publishes the writes.
   */
  run(k: Compiled, params: number[]): void {
    const ptrs: number[] = [];
    for (const it of this.#items) ptrs.push(it.src ? heapOffset(it.src) : 0, it.dst ? heapOffset(it.dst) : 0);
    k(ptrs, this.n, params);
    this.#commit();
  }

  /** Publishes the writes: versions bumped (as PyTorch's in-place ops), new data adopted. */
  #commit(): void {
    fusedPath.taken++;
    for (const it of this.#items) {
      if (!it.write) {
        this.#made.push(null);
        continue;
      }
      const dst = it.dst!;
      if (it.t === null) {
        this.#made.push(wrap(dst, it.like.dtype, it.like.device));
        continue;
      }
      this.#made.push(null);
      if (dst === it.src) {
        heapWritten(dst);
        it.t._storage.version++;
      } else it.t._storage.set(dst);
    }
  }

  /** The tensor made for `create()`'s index, after `run`. */
  made(i: number): Tensor {
    return this.#made[i]!;
  }
}

const compiled = new Map<string, Compiled>();
let compiledFor: WebAssembly.Memory | null = null;

/**
 * The kernel `build` writes (over `slots` arrays and `params` scalars), compiled once per
 * `key`, which names everything that shapes the graph; null when it cannot run here.
 */
export function kernel(
  key: string,
  slots: number,
  params: number,
  build: (k: Kernel) => void,
): Compiled | null {
  const memory = heapMemory();
  if (memory === null) return null;
  if (memory !== compiledFor) {
    // a new wasm backend (its own memory): kernels compiled for the old one are void
    compiled.clear();
    compiledFor = memory;
  }
  let c = compiled.get(key);
  if (c === undefined) {
    const k = new Kernel(slots, params);
    build(k);
    compiled.set(key, c = k.compile(memory));
  }
  return c;
}

/** Kernel slot of tensor `i`'s values before the update (see `HeapUpdate.run`). */
export const src = (i: number): number => 2 * i;
/** Kernel slot where tensor `i` is written (see `HeapUpdate.run`). */
export const dst = (i: number): number => 2 * i + 1;
