/**
 * `nll_loss` for tensors on a device that cannot read back synchronously (webgpu): the
 * targets never leave the device. Targets pick their class by a one-hot mask; ignored
 * targets weigh 0; an out-of-range target makes the loss nan (the cpu kernel raises
 * PyTorch's "Target k is out of bounds." after reading the targets, which webgpu cannot do
 * synchronously; PyTorch's CUDA kernel stops on a device-side assert).
 * @module
 */
import { tf } from "../engine/backend.ts";
import { float32 } from "../tensor/dtype.ts";
import { deviceOf, run, wrap } from "../tensor/dispatch.ts";
import { temp } from "../tensor/storage.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { needsGrad, record } from "../autograd/node.ts";

/**
 * The negative log likelihood of `x` (rows, c) at `target` (rows), computed on the device.
 * @param x scores, already (rows, c) or (c,)
 * @param perm permutation that moves the class dim last (null when it is)
 * @returns the loss, with one node named `name`
 */
export function nllOnDevice(
  x: Tensor,
  target: Tensor,
  weight: Tensor | null,
  ignore: number,
  reduction: "none" | "mean" | "sum",
  name: string,
  perm: number[] | null,
  rows: number,
  c: number,
): Tensor {
  const dev = deviceOf(x, target, weight);
  const outShape = reduction === "none" ? target._shape.slice() : [];
  // per-row weights (0 where ignored) and the one-hot pick, kept for the backward
  let hot: Tensor | null = null;
  let wi: Tensor | null = null;
  const out = run("nll_loss", () => {
    const t = temp(tf.reshape(temp(tf.cast(target._read(), "int32")), [rows]));
    const keep = temp(tf.notEqual(t, temp(tf.scalar(ignore, "int32"))));
    const inRange = temp(tf.logicalAnd(temp(tf.greaterEqual(t, 0)), temp(tf.less(t, c))));
    const bad = temp(tf.any(temp(tf.logicalAnd(keep, temp(tf.logicalNot(inRange))))));
    const safe = temp(tf.where(temp(tf.logicalAnd(keep, inRange)), t, temp(tf.zerosLike(t))));
    const h = temp(tf.oneHot(safe, c, 1, 0, "float32"));
    let w = temp(tf.cast(keep, "float32"));
    if (weight) w = temp(tf.mul(w, temp(tf.gather(weight._read(), safe))));
    hot = wrap(tf.clone(h), float32, dev);
    wi = wrap(tf.clone(w), float32, dev);
    let xv = x._read();
    if (perm) xv = temp(tf.transpose(xv, perm));
    const picked = temp(tf.sum(temp(tf.mul(temp(tf.reshape(xv, [rows, c])), h)), 1));
    let losses = temp(tf.neg(temp(tf.mul(picked, w))));
    const poison = temp(tf.where(bad, temp(tf.scalar(NaN)), temp(tf.scalar(0))));
    losses = temp(tf.add(losses, poison));
    if (reduction === "none") return wrap(tf.reshape(losses, outShape), float32, dev);
    const s = temp(tf.sum(losses));
    return wrap(reduction === "sum" ? tf.clone(s) : tf.div(s, temp(tf.sum(w))), float32, dev);
  });
  if (needsGrad(x)) {
    const xShape = x._shape.slice();
    const permShape = perm ? perm.map((d) => xShape[d]) : xShape;
    const h = hot!, w = wi!;
    record(name, [x], out, (gs) => [
      run("nll_loss_backward", () => {
        const g = gs[0]!._read();
        const wv = w._read();
        // ignored targets get no gradient (zero, even when every target is ignored and the mean is nan)
        let k = temp(tf.neg(wv));
        if (reduction === "mean") {
          const zero = temp(tf.equal(wv, 0));
          k = temp(tf.where(zero, temp(tf.zerosLike(wv)), temp(tf.div(k, temp(tf.sum(wv))))));
        }
        const per = temp(tf.mul(k, reduction === "none" ? temp(tf.reshape(g, [rows])) : g));
        let gx = temp(tf.reshape(temp(tf.mul(h._read(), temp(tf.reshape(per, [rows, 1])))), permShape));
        if (perm) gx = temp(tf.transpose(gx, perm.map((_, i) => perm.indexOf(i))));
        return wrap(tf.clone(gx), float32, dev);
      }),
    ]);
  }
  return out;
}
