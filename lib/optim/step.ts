/**
 * The `step` counter of Adam, AdamW and RMSprop: a 0-d float32 tensor in the
 * state, as in PyTorch 2.x. Its value is mirrored in JavaScript so that a
 * step never reads the engine back; the mirror is trusted only while the
 * tensor's version is the one it last wrote.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { heapView, heapWritable, heapWritten } from "../engine/kernels.ts";
import { float32 } from "../tensor/dtype.ts";
import { temp } from "../tensor/storage.ts";
import { fromHost, Tensor } from "../tensor/tensor.ts";
import type { ParamState } from "./optimizer.ts";
import { update } from "./kernels.ts";

const mirror = new WeakMap<Tensor, { n: number; version: number }>();

/** A new step counter at 0. */
export function newStep(): Tensor {
  const t = fromHost([0], [], float32);
  mirror.set(t, { n: 0, version: t._version });
  return t;
}

/** The counter's value (read from the engine only if something else changed it). */
export function stepValue(t: unknown): number {
  if (!(t instanceof Tensor)) return Number(t);
  const m = mirror.get(t);
  if (m && m.version === t._version) return m.n;
  return Number(t.item());
}

/**
 * Adds one to `state.step` in place (PyTorch's `step_t += 1`) and returns
 * the new value. Call inside an update.
 */
export function nextStep(state: ParamState): number {
  let t = state.step;
  if (!(t instanceof Tensor)) {
    // a state loaded from 1.x keeps an int step: 2.x turns it into a tensor
    t = state.step = fromHost([Number(t ?? 0)], [], float32);
  }
  const st = t as Tensor;
  const n = stepValue(st) + 1;
  st._write(temp(tf.scalar(n, st.dtype.engine as tf.DataType)), false);
  mirror.set(st, { n, version: st._version });
  return n;
}

/**
 * `nextStep` outside an update, writing the counter in place on the wasm heap when it lives
 * there alone (a fused step: no engine op, no allocation); otherwise as `nextStep`.
 */
export function nextStepFused(state: ParamState): number {
  const t = state.step;
  if (t instanceof Tensor && t._offset === 0 && t._storage.numel === 1 && t._shape.length === 0) {
    const e = t._storage.engine();
    const view = heapWritable(e) ? heapView(e) : null;
    if (view instanceof Float32Array) {
      const n = stepValue(t) + 1;
      view[0] = n;
      heapWritten(e);
      t._storage.version++;
      mirror.set(t, { n, version: t._version });
      return n;
    }
  }
  return update("step", () => nextStep(state));
}
