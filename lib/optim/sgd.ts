/**
 * `torch.optim.SGD`: stochastic gradient descent with momentum, dampening,
 * Nesterov momentum, weight decay and `maximize`, as PyTorch 2.x's
 * single-tensor implementation computes it.
 * @module
 */
import { NotImplementedError, RuntimeError, ValueError } from "../errors.ts";
import type { Tensor } from "../tensor/tensor.ts";
import * as K from "./kernels.ts";
import { dst, HeapUpdate, kernel, src } from "./fused.ts";
import { checkNonNegative, num, Optimizer, type Params, type ParamState, parseOptions } from "./optimizer.ts";

const NAMES = ["lr", "momentum", "dampening", "weight_decay", "nesterov"];

/**
 * `SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
 * foreach=None, differentiable=False, fused=None)`.
 * @example One step
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { SGD } from "./sgd.ts";
 * const w = torch.tensor([1.0, 2.0], { requires_grad: true });
 * const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
 * w.pow(2).sum().backward();
 * opt.step();
 * console.log(String(w)); // tensor([0.8000, 1.6000], requires_grad=True)
 * ```
 */
export class SGD extends Optimizer {
  constructor(params: Params | Tensor, ...args: unknown[]) {
    const o = parseOptions("SGD", args, NAMES, {
      lr: 1e-3,
      momentum: 0,
      dampening: 0,
      weight_decay: 0,
      nesterov: false,
      maximize: false,
      foreach: null,
      differentiable: false,
      fused: null,
    });
    checkNonNegative(o.lr, "Invalid learning rate");
    checkNonNegative(o.momentum, "Invalid momentum value");
    checkNonNegative(o.weight_decay, "Invalid weight_decay value");
    if (o.nesterov && (num(o.momentum) <= 0 || num(o.dampening) !== 0)) {
      throw new ValueError("Nesterov momentum requires a momentum and zero dampening");
    }
    super(params, o);
    if (o.fused) {
      if (o.differentiable) throw new RuntimeError("`fused` does not support `differentiable`");
      if (o.foreach) throw new RuntimeError("`fused` and `foreach` cannot be `True` together.");
    }
    if (o.differentiable) throw notDifferentiable();
  }

  /** One step over every parameter that has a gradient; returns the closure's loss (or null). */
  override step(closure?: (() => unknown) | null): unknown {
    const loss = this._closure(closure);
    for (const group of this.param_groups) {
      const lr = num(group.lr);
      const momentum = num(group.momentum);
      const dampening = num(group.dampening);
      const wd = num(group.weight_decay);
      const nesterov = Boolean(group.nesterov);
      const maximize = Boolean(group.maximize);
      for (const p of group.params) {
        const grad = p._grad;
        if (grad === null) continue;
        const state = momentum !== 0 ? this.state.get(p) : null;
        if (sgdFused(p, grad, state, lr, momentum, dampening, wd, nesterov, maximize)) continue;
        K.update("sgd", () => {
          const pv = K.read(p);
          let g = K.read(grad);
          if (maximize) g = K.neg(g);
          if (wd !== 0) g = K.addScaled(g, pv, wd);
          if (state) {
            const buf = state.momentum_buffer as Tensor | null | undefined;
            let b: K.E;
            if (!buf) {
              state.momentum_buffer = K.fresh(g, p);
              b = g;
            } else {
              b = K.addScaled(K.mulS(K.read(buf), momentum), g, 1 - dampening);
              K.write(buf, b);
            }
            g = nesterov ? K.addScaled(g, b, momentum) : b;
          }
          K.write(p, K.addScaled(pv, g, -lr));
        });
      }
    }
    return loss;
  }

  protected override _setstate(): void {
    super._setstate();
    for (const g of this.param_groups) {
      g.nesterov ??= false;
      g.maximize ??= false;
      if (!("foreach" in g)) g.foreach = null;
      if (!("fused" in g)) g.fused = false;
    }
  }
}

/** The error for `differentiable=True`: steps run on engine values, outside autograd. */
export function notDifferentiable(): Error {
  return new NotImplementedError(
    "differentiable=True is not supported: optimizer steps update parameters outside autograd",
  );
}

/**
 * The step of one parameter as one kernel on the wasm heap (see fused.ts); false, having
 * changed nothing, where that path does not apply. The kernel runs the float32 operations of
 * the op-by-op path in `step`, in the same order; where that path skips an operation (a zero
 * scale) the kernel's graph does too, and the key names each such choice.
 */
function sgdFused(
  p: Tensor,
  grad: Tensor,
  state: ParamState | null,
  lr: number,
  momentum: number,
  dampening: number,
  wd: number,
  nesterov: boolean,
  maximize: boolean,
): boolean {
  const u = new HeapUpdate(p);
  const P = u.write(p);
  const G = u.read(grad);
  const old = state ? state.momentum_buffer as Tensor | null | undefined : null;
  const B = !state ? -1 : old ? u.write(old) : u.create(p);
  if (!u.ok) return false;
  const keep = 1 - dampening;
  const flags = [maximize, wd !== 0, B >= 0, !old, keep !== 0, nesterov, lr !== 0];
  const k = kernel(`sgd ${flags.map(Number).join("")}`, 2 * (B >= 0 ? 3 : 2), 4, (k) => {
    // the op-by-op path's scalars are float32 tensors: the kernel's parameters are float32
    const [wd32, m32, keep32, nlr32] = [0, 1, 2, 3].map((i) => k.param(i));
    let g = k.load(src(G));
    if (maximize) g = k.neg(g);
    const pv = k.load(src(P));
    // addScaled(a, b, s) is a + b·s; for s = −1 it subtracts, the same float32 result
    if (wd !== 0) g = k.add(g, k.mul(pv, wd32));
    if (B >= 0) {
      let b = g;
      if (old) {
        // mulS(x, s) skips s = 1: x·1 is x exactly
        b = k.mul(k.load(src(B)), m32);
        if (keep !== 0) b = k.add(b, k.mul(g, keep32));
      }
      k.store(dst(B), b);
      g = nesterov ? k.add(g, k.mul(b, m32)) : b;
    }
    k.store(dst(P), lr !== 0 ? k.add(pv, k.mul(g, nlr32)) : pv);
  });
  if (k === null || !u.prepare()) return false;
  u.run(k, [wd, momentum, keep, -lr]);
  if (state && !old) state.momentum_buffer = u.made(B);
  return true;
}
