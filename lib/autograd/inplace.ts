/**
 * In-place ops under autograd, as PyTorch does them: the op is computed on
 * a snapshot of the old value (which keeps the old place in the graph), the
 * result is written through the tensor's storage, and the tensor is rebased
 * onto the op's node. An in-place op on a view rebases its base with a
 * `CopySlices` node, so gradients flow through the rest of the base too.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { RuntimeError } from "../errors.ts";
import { readAs, run, wrap } from "../tensor/dispatch.ts";
import { Tensor, type TensorLike } from "../tensor/tensor.ts";
import { gradMode } from "./grad_mode.ts";
import { type BackwardFn, edgeOf, moveRetainGrad, Node, record } from "./node.ts";

/** PyTorch's checks before an in-place op. */
export function checkInPlace(self: Tensor): void {
  if (!gradMode.enabled) return;
  if (self._noGradView) {
    throw new RuntimeError(
      "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).",
    );
  }
  if (self._multiOutputOf && self._requires_grad) {
    throw new RuntimeError(
      `Output ${self._output_nr} of ${self._multiOutputOf.name()} is a view and is being modified inplace. This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one.`,
    );
  }
  if (self._requires_grad && self.grad_fn === null) {
    throw new RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.");
  }
  const base = self._base;
  if (base && self._viewFn && base._requires_grad && base.grad_fn === null) {
    throw new RuntimeError(
      "a view of a leaf Variable that requires grad is being used in an in-place operation.",
    );
  }
}

/** The old value of `self` as its own tensor, holding self's place in the graph. */
function snapshot(self: Tensor): Tensor {
  const snap = run("inplace", () => wrap(tf.clone(self._read()), self.dtype, self.device));
  snap.grad_fn = self.grad_fn;
  snap._output_nr = self._output_nr;
  snap._requires_grad = self._requires_grad;
  snap._accumulator = self._accumulator;
  return snap;
}

/**
 * Runs `compute` (an out-of-place op) as an in-place update of `self`:
 * the result is cast to self's dtype and written through its storage, and
 * self takes the op's node as its `grad_fn`.
 */
export function applyInPlace(self: Tensor, compute: (old: Tensor) => Tensor): Tensor {
  checkInPlace(self);
  const tracking = gradMode.enabled;
  const input = tracking ? snapshot(self) : self;
  const r = compute(input);
  run("inplace", () => self._write(readAs(r, self.dtype), false));
  if (tracking && r.grad_fn && self.dtype.is_floating_point) {
    rebase(self, r);
    // a result the node saved is self from now on (its version counter included)
    (r.grad_fn as Node)._resaveAs(r, self);
    moveRetainGrad(self);
    if (self._base) moveRetainGrad(self._base);
  }
  return self;
}

function rebase(self: Tensor, r: Tensor): void {
  const base = self._base;
  const viewFn = self._viewFn;
  if (!base || !viewFn) {
    self.grad_fn = r.grad_fn;
    self._output_nr = r._output_nr;
    self._requires_grad = true;
    return;
  }
  const inner = r.grad_fn as Node;
  const baseShape = base._shape.slice();
  const cs = new CopySlices(inner, (grads) => {
    const g = grads[0]!;
    const res = g.clone();
    const gView = viewFn(res).clone();
    const innerGrads = inner._apply([gView]);
    const gOld = innerGrads[0];
    const region = viewFn(res);
    if (gOld) region.copy_(gOld);
    else region.zero_();
    return [res, ...innerGrads.slice(1)];
  });
  cs.next_functions = [edgeOf(base), ...inner.next_functions.slice(1)];
  cs._inputs = [{ shape: baseShape, dtype: base.dtype }, ...inner._inputs.slice(1)];
  cs._outputShapes = [baseShape];
  base.grad_fn = cs;
  base._output_nr = 0;
  base._requires_grad = true;
  // the view now reads from the rebased base
  record("AsStridedBackward0", [base], self, (gs) => {
    const z = Tensor._zerosLike(baseShape, gs[0]!);
    viewFn(z).copy_(gs[0]!);
    return [z];
  });
}

/** PyTorch's node for an in-place op on a view: the base's new history. */
class CopySlices extends Node {
  constructor(readonly inner: Node, backward: (grads: (Tensor | null)[]) => (Tensor | null)[]) {
    super("CopySlices", (grads) => backward(grads));
  }
  override _release(): void {
    this.inner._release();
  }
}

/**
 * A tensor shaped like `old` holding `src` (broadcast, cast), recording a
 * node whose gradient is zero for the old value and flows to `src`:
 * the differentiable core of `copy_`, `fill_`, `zero_`, index assignment.
 * A plain-number `src` is an input of the node only where PyTorch's node
 * has it as one (`CopyBackwards` wraps it in a tensor; `FillBackward2`,
 * `ZeroBackward0` and the random fills take none).
 */
export function overwrite(old: Tensor, src: TensorLike, node: string): Tensor {
  const out = run(node, () => {
    const v = src instanceof Tensor
      ? readAs(src, old.dtype)
      : tf.scalar(typeof src === "boolean" ? (src ? 1 : 0) : src, old.dtype.engine as tf.DataType);
    const b = tf.broadcastTo(v, old._shape);
    if (!(src instanceof Tensor)) v.dispose();
    return wrap(b === v ? tf.clone(b) : b, old.dtype, old.device);
  });
  if (
    gradMode.enabled && out.dtype.is_floating_point &&
    (old._requires_grad || (src instanceof Tensor && src._requires_grad))
  ) {
    const inputs = node === "CopyBackwards" || node === "FillBackward3" ? [old, src] : [old];
    record(node, inputs, out, overwriteGrad(old._shape.slice()));
  }
  return out;
}

/** The backward of an overwrite (made here so that it holds neither the old value nor the source). */
function overwriteGrad(shape: number[]): BackwardFn {
  return (gs, _s, needs) => [needs[0] ? Tensor._zerosLike(shape, gs[0]!) : null, needs[1] ? gs[0] : null];
}
