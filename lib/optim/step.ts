/**
 * The `step` counter of Adam, AdamW and RMSprop: a 0-d float32 tensor in the
 * state, as in PyTorch 2.x. Its value is mirrored in JavaScript so that a
 * step never reads the engine back; the mirror is trusted only while the
 * tensor's version is the one it last wrote.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { float32 } from "../tensor/dtype.ts";
import { temp } from "../tensor/storage.ts";
import { fromHost, Tensor } from "../tensor/tensor.ts";
import type { ParamState } from "./optimizer.ts";

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
