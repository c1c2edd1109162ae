/**
 * Engine memory ownership.
 *
 * Engine memory (the wasm heap, GPU buffers) is invisible to JavaScript's
 * garbage collector, and FinalizationRegistry callbacks only run when the
 * event loop turns — never inside a synchronous loop such as
 * `for (…) x = x.add(1)`. So each storage keeps its data in a `Slot`, and
 * the slots resident in the engine are bounded: past a byte or count budget
 * the least recently used slots are *spilled* (copied to a JS typed array,
 * which the garbage collector does own, and released from the engine). A
 * spilled slot is uploaded again on its next use. Dead storages are released
 * outright by a FinalizationRegistry when the loop yields, and the facade
 * releases what it knows is dead (replaced in-place data, temporaries, and the
 * gradients and intermediates autograd's backward makes and drops).
 * @module
 */
import { tf } from "./backend.ts";
import { RuntimeError } from "../errors.ts";

/** Typed array types the engine reads and writes. */
export type HostArray = Float32Array | Int32Array | Uint8Array;

/** What a collected owner's finalizer releases (a private field: no cycle for JSON or inspection). */
class Handle {
  #slot: Slot | null = null;
  get slot(): Slot | null {
    return this.#slot;
  }
  set slot(s: Slot | null) {
    this.#slot = s;
  }
}

/**
 * One storage's data: resident in the engine (`t`) or spilled to the host. The owner holds
 * the slot; the finalizer of the owner holds only the slot's `handle`, which points back at
 * the slot while it is resident (so a collected owner's engine memory is released) and not
 * once it is spilled: a spilled copy then lives and dies with its owner, and the garbage
 * collector reclaims the copies of dead tensors even inside a loop that never yields.
 */
export class Slot {
  t: tf.Tensor | null;
  host: HostArray | null = null;
  lastUse = 0;
  bytes: number;
  resident = false;
  readonly handle: Handle = new Handle();
  /** Whether the owner's finalizer is registered (while resident: a spilled slot needs none). */
  registered = false;
  /**
   * Whether the data lives on the webgpu backend: never spilled (a GPU read cannot be
   * synchronous), so it stays out of the resident budget and dies with its owner.
   */
  readonly gpu: boolean;
  /** @param gpu whether `t` is on the webgpu backend (the storage placed it by its device) */
  constructor(t: tf.Tensor, gpu = false) {
    this.t = t;
    this.bytes = t.size * (t.dtype === "bool" ? 1 : 4);
    this.gpu = gpu;
  }
}

const resident = new Set<Slot>();
let residentBytes = 0;
let tick = 0;

/** Tunable limits of engine residency. */
export const limits = {
  /** Bytes of tensor data kept in the engine before spilling. */
  maxBytes: 1024 * 1024 * 1024,
  /** Engine tensors kept before spilling (each costs bookkeeping). */
  maxTensors: 20000,
  /**
   * Bytes of webgpu storages held before a new one is refused with an out-of-memory error
   * (they cannot be spilled: dead ones are freed when the program yields to the event loop).
   */
  maxWebgpuBytes: 8 * 1024 * 1024 * 1024,
};

/** Counters behind `torch.memory_stats()`. */
export const counters = { spills: 0, uploads: 0, finalized: 0 };

/** Storages and bytes held on the webgpu device. */
const gpuHeld = { storages: 0, bytes: 0 };

const registry = new FinalizationRegistry<Handle>((handle) => {
  counters.finalized++;
  if (handle.slot) release(handle.slot);
});

/** Frees a slot's engine memory and forgets it. */
export function release(slot: Slot): void {
  slot.handle.slot = null;
  unregister(slot);
  if (slot.gpu && slot.t) {
    gpuHeld.storages--;
    gpuHeld.bytes -= slot.bytes;
  }
  if (slot.resident) {
    resident.delete(slot);
    residentBytes -= slot.bytes;
    slot.resident = false;
  }
  if (slot.t) {
    slot.t.dispose();
    slot.t = null;
  }
  slot.host = null;
}

/** Ties a slot's life to its owner: when the owner is collected, the slot is released. */
export function own(owner: object, slot: Slot): void {
  if (slot.gpu && gpuHeld.bytes + slot.bytes > limits.maxWebgpuBytes) {
    const mib = (n: number) => (n / 2 ** 20).toFixed(2);
    const tried = slot.bytes;
    release(slot);
    throw new RuntimeError(
      `webgpu out of memory. Tried to allocate ${mib(tried)} MiB with ${mib(gpuHeld.bytes)} MiB held ` +
        `(torch.memory_limits.maxWebgpuBytes is ${mib(limits.maxWebgpuBytes)} MiB). Dead tensors are freed ` +
        "when the program yields to the event loop: in a loop, await something each step (such as " +
        "`await loss.item_async()`), or raise the limit",
    );
  }
  register(owner, slot);
  admit(slot);
}

// A finalizer is registered only while the slot holds engine memory: a registration whose
// owner died waits in the registry until the event loop turns, so a synchronous loop would
// pile them up; spilled and released slots have nothing for a finalizer to free.
function register(owner: object, slot: Slot): void {
  if (slot.registered) return;
  registry.register(owner, slot.handle, slot.handle);
  slot.registered = true;
}

function unregister(slot: Slot): void {
  if (!slot.registered) return;
  registry.unregister(slot.handle);
  slot.registered = false;
}

/** Marks a slot as used now (spilling picks the least recently used). */
export function touch(slot: Slot): void {
  slot.lastUse = ++tick;
}

function admit(slot: Slot, mayspill = true): void {
  slot.lastUse = ++tick;
  if (slot.gpu) {
    if (slot.handle.slot !== slot) {
      slot.handle.slot = slot;
      gpuHeld.storages++;
      gpuHeld.bytes += slot.bytes;
    }
    return;
  }
  if (!slot.resident) {
    slot.resident = true;
    slot.handle.slot = slot;
    resident.add(slot);
    residentBytes += slot.bytes;
  }
  // Only new results spill (after their kernel ran), never an upload in the
  // middle of gathering an op's inputs.
  if (mayspill && (residentBytes > limits.maxBytes || resident.size > limits.maxTensors)) spill();
}

/** Replaces a slot's engine tensor (in-place writes), releasing the old one. */
export function replace(slot: Slot, t: tf.Tensor, owner: object): void {
  register(owner, slot);
  const old = slot.t;
  slot.t = t;
  slot.host = null;
  const bytes = t.size * (t.dtype === "bool" ? 1 : 4);
  if (slot.resident) residentBytes += bytes - slot.bytes;
  if (slot.gpu && slot.handle.slot === slot) gpuHeld.bytes += bytes - slot.bytes;
  slot.bytes = bytes;
  if (old && old !== t) old.dispose();
  admit(slot);
}

/** The slot's engine tensor, uploading spilled data first (`owner` gets its finalizer back). */
export function engineTensor(slot: Slot, shape: number[], dtype: tf.DataType, owner: object): tf.Tensor {
  if (slot.t) {
    slot.lastUse = ++tick;
    return slot.t;
  }
  if (!slot.host) throw new Error("Cannot read a tensor whose memory was released");
  counters.uploads++;
  slot.t = tf.tensor(slot.host, shape, dtype);
  slot.host = null;
  register(owner, slot);
  admit(slot, false);
  return slot.t;
}

/** Spills least recently used slots until the engine is at half its budget. */
export function spill(): void {
  const slots = [...resident].sort((a, b) => a.lastUse - b.lastUse);
  const byteGoal = limits.maxBytes / 2;
  const countGoal = limits.maxTensors / 2;
  for (const s of slots) {
    if (residentBytes <= byteGoal && resident.size <= countGoal) break;
    if (s.lastUse > tick - 64) continue; // likely inputs of the op running now
    spillSlot(s);
  }
}

function spillSlot(s: Slot): void {
  if (!s.t) return;
  s.host = s.t.dataSync() as HostArray;
  s.t.dispose();
  s.t = null;
  s.resident = false;
  s.handle.slot = null;
  unregister(s);
  resident.delete(s);
  residentBytes -= s.bytes;
  counters.spills++;
}

/** What the engine holds now. */
export interface MemoryStats {
  /** Bytes of tensor data resident in the engine (tfjs's own count). */
  engine_bytes: number;
  /** Engine tensors alive (tfjs's own count). */
  engine_tensors: number;
  /** Storages resident in the engine. */
  resident_storages: number;
  /** Bytes of those storages. */
  resident_bytes: number;
  /** Storages copied out to JS memory so far. */
  spills: number;
  /** Spilled storages uploaded again so far. */
  uploads: number;
  /** Storages released after their tensors were garbage-collected. */
  finalized: number;
  /** Storages held on the webgpu device (never spilled). */
  webgpu_storages: number;
  /** Bytes of those storages. */
  webgpu_bytes: number;
}

/** Engine memory counters (a `torch.cuda.memory_stats()`-style view). */
export function memoryStats(): MemoryStats {
  const m = tf.memory();
  return {
    engine_bytes: m.numBytes,
    engine_tensors: m.numTensors,
    resident_storages: resident.size,
    resident_bytes: residentBytes,
    spills: counters.spills,
    uploads: counters.uploads,
    finalized: counters.finalized,
    webgpu_storages: gpuHeld.storages,
    webgpu_bytes: gpuHeld.bytes,
  };
}
