/**
 * Showing tensors that live on a device without synchronous readback
 * (webgpu in Deno): their text needs their values, and those only come
 * through an asynchronous read. A tensor's `_fetchForDisplay()` makes that
 * read and keeps the values for printing while its data is unchanged; the
 * REPL awaits it for every device tensor an input's value shows, so
 * typing a webgpu tensor at the prompt prints PyTorch's text. `print(...)`
 * cannot wait (it is synchronous, as Python's is), so {@link deferPrint}
 * starts the reads when `print` is called and writes the line once they
 * are done, keeping the order of prints; the session waits for those lines
 * before it shows the input's value.
 *
 * The engine stays independent of the facade: tensors are recognised by
 * their `_fetchForDisplay` method and device, not by their class.
 * @module
 */

/** What the REPL needs of a tensor that may live on a device. */
export interface DeviceTensor {
  /** Reads the values (asynchronously) so that printing shows them. */
  _fetchForDisplay(): Promise<void>;
  readonly device: { type: string };
  /** The storage's version counter (bumped by in-place writes). */
  readonly _version: number;
}

/** As `display()` shows values: deeper nesting and longer arrays are abbreviated, so need no values. */
const MAX_DEPTH = 4;
const MAX_ITEMS = 100;
/** A bound on the objects one value's walk visits (a large graph of objects is not read back whole). */
const MAX_VISITS = 10_000;

const INSPECT = Symbol.for("Deno.customInspect");

/** Whether `x` is a tensor on a device other than the cpu. */
export function isDeviceTensor(x: unknown): x is DeviceTensor {
  if (x === null || typeof x !== "object") return false;
  const t = x as Partial<DeviceTensor>;
  return typeof t._fetchForDisplay === "function" && typeof t.device?.type === "string" &&
    t.device.type !== "cpu";
}

/**
 * The device tensors whose values showing `value` needs: the value itself, or tensors inside
 * arrays, plain objects, Maps, Sets, objects without an inspect hook of their own (their own
 * data properties, as Deno's inspect shows them) and array-like objects with one
 * (`torch.return_types.max` and the like). Other objects with an inspect hook (modules,
 * optimizers) print no tensor values, so their tensors are not read.
 */
export function deviceTensorsIn(value: unknown): DeviceTensor[] {
  const found = new Set<DeviceTensor>();
  const seen = new Set<unknown>();
  const walk = (x: unknown, depth: number): void => {
    if (x === null || typeof x !== "object" || seen.has(x) || seen.size >= MAX_VISITS) return;
    seen.add(x);
    if (isDeviceTensor(x)) {
      found.add(x);
      return;
    }
    // a cpu tensor, or a depth the display abbreviates
    if (typeof (x as { _fetchForDisplay?: unknown })._fetchForDisplay === "function" || depth > MAX_DEPTH) {
      return;
    }
    if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Promise) return;
    const next = depth + 1;
    if (Array.isArray(x)) {
      for (let i = 0; i < Math.min(x.length, MAX_ITEMS); i++) walk(x[i], next);
      return;
    }
    if (x instanceof Map) {
      let i = 0;
      for (const [k, v] of x) {
        if (i++ >= MAX_ITEMS) break;
        walk(k, next);
        walk(v, next);
      }
      return;
    }
    if (x instanceof Set) {
      let i = 0;
      for (const v of x) {
        if (i++ >= MAX_ITEMS) break;
        walk(v, next);
      }
      return;
    }
    if (INSPECT in x) {
      // only array-likes (return types): a module's or an optimizer's text shows no values
      const n = (x as { length?: unknown }).length;
      if (typeof n === "number" && Object.hasOwn(x, "0")) {
        for (let i = 0; i < Math.min(n, MAX_ITEMS); i++) walk((x as Record<number, unknown>)[i], next);
      }
      return;
    }
    // own data properties only: the display runs no getters
    let i = 0;
    for (const k of Object.keys(x)) {
      if (i++ >= MAX_ITEMS) break;
      const d = Object.getOwnPropertyDescriptor(x, k);
      if (d && "value" in d) walk(d.value, next);
    }
  };
  walk(value, 0);
  return [...found];
}

/**
 * Starts reading one tensor's values for printing, now: the read takes the values as they
 * are at this call (the core keys what it shows by storage, version and view).
 */
export function fetchTensor(t: DeviceTensor): Promise<void> {
  return t._fetchForDisplay();
}

/** Reads every device tensor that showing `value` needs (in parallel); a failed read throws. */
export async function fetchForDisplay(value: unknown): Promise<void> {
  const ts = deviceTensorsIn(value);
  if (ts.length) await Promise.all(ts.map(fetchTensor));
}

// ---- print ---------------------------------------------------------------------------------------

/** The prints waiting for reads, chained in call order (null: none). */
let pending: Promise<void> | null = null;
/** The first error a deferred print met (it is thrown by {@link settlePrints}). */
let failure: { error: unknown } | null = null;

/**
 * Wraps a synchronous `print` so that device tensors among its arguments print their
 * values: a print with such a tensor (or any print while one waits, to keep the order) starts
 * the reads at once and writes when they are done. Other prints write at once, as before.
 *
 * A print shows the values at the time of the call, as Python's does, even when the loop goes
 * on changing the tensor (`print(w); optimizer.step()`): each tensor is also copied on its
 * device at the call, and a tensor that changed before its read completed prints from that
 * copy (PyTorch's text of the values, without the `grad_fn=`/`requires_grad=` suffix the copy
 * does not have).
 */
export function deferPrint(write: (...values: unknown[]) => void): (...values: unknown[]) => void {
  const deferred = (...values: unknown[]): void => {
    const ts = deviceTensorsIn(values);
    if (ts.length === 0 && pending === null) return write(...values);
    const snaps = ts.map((t) => ({ t, version: t._version, copy: copyOf(t) }));
    // a read that fails leaves the tensor's placeholder text, which says how to read it
    const reads = Promise.allSettled(ts.map(fetchTensor));
    const job: Promise<void> = (pending ?? Promise.resolve()).then(async () => {
      await reads;
      const changed = new Map<unknown, unknown>();
      for (const { t, version, copy } of snaps) {
        if (t._version === version || !copy) continue;
        try {
          await fetchTensor(copy);
          changed.set(t, copy);
        } catch {
          // the placeholder then
        }
      }
      try {
        write(...(changed.size ? values.map((v) => substitute(v, changed, 0)) : values));
      } catch (error) {
        failure ??= { error };
      }
    });
    pending = job;
    job.then(() => {
      if (pending === job) pending = null;
    });
  };
  return Object.defineProperty(deferred, "name", { value: write.name || "print" });
}

/** A copy of the values on the device, made now (`t.detach().clone()`), or null if that fails. */
function copyOf(t: DeviceTensor): DeviceTensor | null {
  try {
    const c = (t as unknown as { detach(): { clone(): unknown } }).detach().clone();
    return isDeviceTensor(c) ? c : null;
  } catch {
    return null;
  }
}

/** `value` with the tensors in `map` replaced, in arrays and plain objects (copied, never changed). */
function substitute(value: unknown, map: Map<unknown, unknown>, depth: number): unknown {
  if (map.has(value)) return map.get(value);
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (Array.isArray(value) && value.constructor === Array) {
    return value.map((v) => substitute(v, map, depth + 1));
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, map, depth + 1);
    return Object.setPrototypeOf(out, proto);
  }
  return value;
}

/** Waits until every deferred print has written; throws the first error one met (once). */
export async function settlePrints(): Promise<void> {
  while (pending !== null) await pending;
  if (failure) {
    const { error } = failure;
    failure = null;
    throw error;
  }
}
