/**
 * 2-D matrix products on the engine's fast path.
 *
 * The wasm backend multiplies through XNNPACK only when neither operand is
 * flagged as transposed (and the batch is 1); a transposed operand falls back
 * to a scalar loop that is ~10× slower. XNNPACK also *packs* the right operand
 * (its "weights") on every new tensor, at a cost that grows with its size. So a
 * product `op(a) @ op(b)` is run as whichever of
 *   (i)  `A @ B` (A, B materialised untransposed; B is packed), or
 *   (ii) `(op(b)ᵀ @ op(a)ᵀ)ᵀ` (op(a)ᵀ is packed, the result is transposed back)
 * moves and packs fewer elements (packing costs ~7 ns an element here, a
 * transpose ~0.7 ns). A view `w.t()` of a contiguous matrix is
 * taken as the matrix with a transpose flag, so (ii) often needs no copy at
 * all: `x @ w.t()` (every `nn.Linear`) becomes `(w @ xᵀ)ᵀ`, packing the small
 * `xᵀ` instead of the whole weight.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { readView, temp } from "./storage.ts";
import type { Tensor } from "./tensor.ts";

/**
 * A 2-D operand as the engine holds it: a transposed view of a contiguous
 * matrix (like `weight.t()`) is read untransposed with a transpose flag.
 */
export function matOperand(t: Tensor): [tf.Tensor2D, boolean] {
  const s = t._shape;
  const st = t._strides;
  if (s.length === 2 && s[0] > 1 && s[1] > 1 && st[0] === 1 && st[1] === s[0]) {
    return [readView(t._storage, [s[1], s[0]], [s[0], 1], t._offset) as tf.Tensor2D, true];
  }
  return [t._read() as tf.Tensor2D, false];
}

const PACK = 10;

function T(x: tf.Tensor2D): tf.Tensor2D {
  return temp(tf.transpose(x, [1, 0]));
}

/**
 * `op(a) @ op(b) (+ bias)` for float32 engine matrices (`op` transposes where
 * the flag is set); `bias` is a rank-1 tensor of the result's columns. `kept`: `b` is a
 * long-lived tensor, whose packed copy the engine keeps (no packing cost). The result is a
 * fresh engine tensor (not registered as a temporary).
 */
export function matmul2d(
  a: tf.Tensor2D,
  ta: boolean,
  b: tf.Tensor2D,
  tb: boolean,
  bias?: tf.Tensor,
  kept = false,
): tf.Tensor {
  const m = ta ? a.shape[1] : a.shape[0];
  const k = ta ? a.shape[0] : a.shape[1];
  const n = tb ? b.shape[0] : b.shape[1];
  // elements moved (transposes) and packed, per plan; packing (XNNPACK with transposed weights)
  // costs about ten times a transpose per element
  const costI = (ta ? m * k : 0) + (tb ? k * n : 0) + (kept && !tb ? 0 : PACK * k * n);
  const costII = (tb ? 0 : k * n) + (ta ? 0 : m * k) + PACK * m * k + m * n + (bias ? m * n : 0);
  const fusedBias = bias && bias.rank === 1 && bias.shape[0] === n ? bias : undefined;
  if (costI <= costII || m === 1 || n === 1) {
    const A = ta ? T(a) : a;
    const B = tb ? T(b) : b;
    if (fusedBias) return tf.fused.matMul({ a: A, b: B, bias: fusedBias });
    const r = tf.matMul(A, B);
    return bias ? tf.add(temp(r), bias) : r;
  }
  // (ii): op(b)ᵀ is b itself when tb, op(a)ᵀ is a itself when ta
  const A2 = tb ? b : T(b);
  const B2 = ta ? a : T(a);
  const rt = temp(tf.matMul(A2, B2));
  const r = tf.transpose(rt, [1, 0]);
  return bias ? tf.add(temp(r), bias) : r;
}
