/**
 * `torch.optim.RMSprop` with momentum, `centered`, weight decay and
 * `maximize`, as PyTorch 2.x's single-tensor implementation computes it.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import * as K from "./kernels.ts";
import { checkNonNegative, num, Optimizer, type Params, parseOptions } from "./optimizer.ts";
import { notDifferentiable } from "./sgd.ts";
import { newStep, nextStep } from "./step.ts";

const NAMES = [
  "lr",
  "alpha",
  "eps",
  "weight_decay",
  "momentum",
  "centered",
  "capturable",
  "foreach",
  "maximize",
  "differentiable",
];

/**
 * `RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
 * capturable=False, foreach=None, maximize=False, differentiable=False)`.
 * @example One step
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { RMSprop } from "./rmsprop.ts";
 * const w = torch.tensor([1.0, 2.0], { requires_grad: true });
 * const opt = new RMSprop([w], { lr: 0.01, alpha: 0.75 });
 * w.pow(2).sum().backward();
 * opt.step();
 * console.log(String(w)); // tensor([0.9800, 1.9800], requires_grad=True)
 * ```
 */
export class RMSprop extends Optimizer {
  constructor(params: Params | Tensor, ...args: unknown[]) {
    const o = parseOptions("RMSprop", args, NAMES, {
      lr: 1e-2,
      momentum: 0,
      alpha: 0.99,
      eps: 1e-8,
      centered: false,
      weight_decay: 0,
      capturable: false,
      foreach: null,
      maximize: false,
      differentiable: false,
    });
    checkNonNegative(o.lr, "Invalid learning rate");
    checkNonNegative(o.eps, "Invalid epsilon value");
    checkNonNegative(o.momentum, "Invalid momentum value");
    checkNonNegative(o.weight_decay, "Invalid weight_decay value");
    checkNonNegative(o.alpha, "Invalid alpha value");
    super(params, o);
    if (o.differentiable) throw notDifferentiable();
  }

  /** One step over every parameter that has a gradient; returns the closure's loss (or null). */
  override step(closure?: (() => unknown) | null): unknown {
    const loss = this._closure(closure);
    for (const group of this.param_groups) {
      const lr = num(group.lr);
      const alpha = num(group.alpha);
      const eps = num(group.eps);
      const wd = num(group.weight_decay);
      const momentum = num(group.momentum);
      const centered = Boolean(group.centered);
      const maximize = Boolean(group.maximize);
      for (const p of group.params) {
        const grad = p._grad;
        if (grad === null) continue;
        const state = this.state.get(p);
        if (Object.keys(state).length === 0) {
          state.step = newStep();
          state.square_avg = K.zerosLike(p);
          if (momentum > 0) state.momentum_buffer = K.zerosLike(p);
          if (centered) state.grad_avg = K.zerosLike(p);
        }
        const square_avg = state.square_avg as Tensor;
        K.update("rmsprop", () => {
          let g = K.read(grad);
          if (maximize) g = K.neg(g);
          nextStep(state);
          const pv = K.read(p);
          if (wd !== 0) g = K.addScaled(g, pv, wd);
          // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
          const sq = K.add(K.mulS(K.read(square_avg), alpha), K.mul(K.mulS(g, 1 - alpha), g));
          K.write(square_avg, sq);
          let avg: K.E;
          if (centered) {
            const grad_avg = state.grad_avg as Tensor;
            const ga = K.lerp(K.read(grad_avg), g, 1 - alpha);
            K.write(grad_avg, ga);
            // square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            avg = K.sqrt(K.sub(sq, K.mul(ga, ga)));
          } else avg = K.sqrt(sq);
          avg = K.addS(avg, eps);
          if (momentum > 0) {
            const buf = state.momentum_buffer as Tensor;
            // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
            const b = K.add(K.mulS(K.read(buf), momentum), K.div(g, avg));
            K.write(buf, b);
            K.write(p, K.addScaled(pv, b, -lr));
          } else {
            // param.addcdiv_(grad, avg, value=-lr)
            K.write(p, K.add(pv, K.div(K.mulS(g, -lr), avg)));
          }
        });
      }
    }
    return loss;
  }

  protected override _setstate(): void {
    super._setstate();
    for (const g of this.param_groups) {
      g.momentum ??= 0;
      g.centered ??= false;
      if (!("foreach" in g)) g.foreach = null;
      g.maximize ??= false;
      g.capturable ??= false;
    }
  }
}
