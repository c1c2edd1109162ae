/**
 * `torch.optim.RMSprop` with momentum, `centered`, weight decay and
 * `maximize`, as PyTorch 2.x's single-tensor implementation computes it.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import * as K from "./kernels.ts";
import { checkNonNegative, num, Optimizer, type Params, type ParamState, parseOptions } from "./optimizer.ts";
import { notDifferentiable } from "./sgd.ts";
import { newStep, nextStep, nextStepFused } from "./step.ts";
import { dst, HeapUpdate, kernel, src } from "./fused.ts";

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
        const o: RmsOptions = { lr, alpha, eps, wd, momentum, maximize };
        if (rmspropFused(p, grad, state, square_avg, o, centered)) continue;
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

interface RmsOptions {
  lr: number;
  alpha: number;
  eps: number;
  wd: number;
  momentum: number;
  maximize: boolean;
}

/**
 * The step of one parameter as one kernel on the wasm heap (see fused.ts); false, having
 * changed nothing, where that path does not apply. The kernel runs the float32 operations of
 * the op-by-op path in `step`, in the same order; where that path skips an operation the
 * kernel's graph does too, and the key names each such choice.
 */
function rmspropFused(
  p: Tensor,
  grad: Tensor,
  state: ParamState,
  square_avg: Tensor,
  o: RmsOptions,
  centered: boolean,
): boolean {
  const u = new HeapUpdate(p);
  const P = u.write(p);
  const G = u.read(grad);
  const S = u.write(square_avg);
  const A = centered ? u.write(state.grad_avg as Tensor) : -1;
  const B = o.momentum > 0 ? u.write(state.momentum_buffer as Tensor) : -1;
  if (!u.ok) return false;
  const w = 1 - o.alpha;
  const low = w < 0.5; // lerp's formula starts from the nearer end
  const flags = [o.maximize, o.wd !== 0, A >= 0, low, o.eps !== 0, B >= 0, o.lr !== 0];
  const k = kernel(`rmsprop ${flags.map(Number).join("")}`, 2 * 5, 7, (k) => {
    // the op-by-op path's scalars are float32 tensors: the kernel's parameters are float32
    const [wd32, al, oal, w32, eps32, m32, nlr] = [0, 1, 2, 3, 4, 5, 6].map((i) => k.param(i));
    let g = k.load(src(G));
    if (o.maximize) g = k.neg(g);
    const pv = k.load(src(P));
    // mulS(x, s) skips s = 1 (x·1 is x exactly); addScaled's s = −1 subtracts, the same result
    if (o.wd !== 0) g = k.add(g, k.mul(pv, wd32));
    const sq = k.add(k.mul(k.load(src(S)), al), k.mul(k.mul(g, oal), g));
    k.store(dst(S), sq);
    let avg;
    if (A >= 0) {
      const a = k.load(src(A));
      const d = k.sub(g, a);
      const ga = low ? k.add(a, k.mul(d, w32)) : k.sub(g, k.mul(d, w32));
      k.store(dst(A), ga);
      avg = k.sqrt(k.sub(sq, k.mul(ga, ga)));
    } else avg = k.sqrt(sq);
    if (o.eps !== 0) avg = k.add(avg, eps32);
    if (B >= 0) {
      const b = k.add(k.mul(k.load(src(B)), m32), k.div(g, avg));
      k.store(dst(B), b);
      k.store(dst(P), o.lr !== 0 ? k.add(pv, k.mul(b, nlr)) : pv);
    } else k.store(dst(P), k.add(pv, k.div(k.mul(g, nlr), avg)));
  });
  if (k === null || !u.prepare()) return false;
  nextStepFused(state);
  u.run(k, [o.wd, o.alpha, 1 - o.alpha, low ? w : 1 - w, o.eps, o.momentum, -o.lr]);
  return true;
}
