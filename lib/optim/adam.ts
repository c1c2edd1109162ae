/**
 * `torch.optim.Adam` and `torch.optim.AdamW` (Adam with decoupled weight
 * decay, as in PyTorch 2.x where `AdamW` is `Adam(..., decoupled_weight_decay=True)`),
 * with `amsgrad` and `maximize`, as 2.x's single-tensor implementation
 * computes them.
 * @module
 */
import { RuntimeError, TorchTypeError, ValueError } from "../errors.ts";
import type { Tensor } from "../tensor/tensor.ts";
import * as K from "./kernels.ts";
import {
  checkNonNegative,
  num,
  Optimizer,
  type Options,
  type Params,
  type ParamState,
  parseOptions,
  pyFloat,
} from "./optimizer.ts";
import { notDifferentiable } from "./sgd.ts";
import { newStep, nextStep, nextStepFused } from "./step.ts";
import { dst, HeapUpdate, kernel, src } from "./fused.ts";

const NAMES = ["lr", "betas", "eps", "weight_decay", "amsgrad"];

/** Adam's options, in the order PyTorch 2.x inserts them into a group. */
function adamDefaults(weight_decay: number, decoupled: boolean): Options {
  return {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay,
    amsgrad: false,
    maximize: false,
    foreach: null,
    capturable: false,
    differentiable: false,
    fused: null,
    decoupled_weight_decay: decoupled,
  };
}

function checkAdam(o: Options): void {
  checkNonNegative(o.lr, "Invalid learning rate");
  checkNonNegative(o.eps, "Invalid epsilon value");
  const betas = o.betas as unknown[];
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new TorchTypeError("betas must be a pair of numbers, as PyTorch's (beta1, beta2)");
  }
  betas.forEach((b, i) => {
    const v = num(b);
    if (!(0 <= v && v < 1)) throw new ValueError(`Invalid beta parameter at index ${i}: ${pyFloat(v)}`);
  });
  checkNonNegative(o.weight_decay, "Invalid weight_decay value");
}

/**
 * `Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
 * foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
 * decoupled_weight_decay=False)`.
 * @example One step
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { Adam } from "./adam.ts";
 * const w = torch.tensor([1.0, -2.0], { requires_grad: true });
 * const opt = new Adam([w], { lr: 0.1 });
 * w.pow(2).sum().backward();
 * opt.step();
 * console.log(String(w)); // tensor([ 0.9000, -1.9000], requires_grad=True)
 * ```
 */
export class Adam extends Optimizer {
  constructor(params: Params | Tensor, ...args: unknown[]) {
    const o = parseOptions("Adam", args, NAMES, adamDefaults(0, false));
    checkAdam(o);
    super(params, o);
    checkFlags(o);
  }

  /** One step over every parameter that has a gradient; returns the closure's loss (or null). */
  override step(closure?: (() => unknown) | null): unknown {
    const loss = this._closure(closure);
    for (const group of this.param_groups) adamGroup(this, group);
    return loss;
  }

  protected override _setstate(): void {
    super._setstate();
    for (const g of this.param_groups) {
      g.amsgrad ??= false;
      g.maximize ??= false;
      if (!("foreach" in g)) g.foreach = null;
      g.capturable ??= false;
      g.decoupled_weight_decay ??= this instanceof AdamW;
      if (this instanceof AdamW) g.decoupled_weight_decay = true;
      if (!("fused" in g)) g.fused = null;
    }
  }
}

/**
 * `AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
 * maximize=False, foreach=None, capturable=False, differentiable=False, fused=None)`:
 * Adam whose weight decay scales the parameter instead of adding to the gradient.
 */
export class AdamW extends Adam {
  constructor(params: Params | Tensor, ...args: unknown[]) {
    const defaults = adamDefaults(1e-2, true);
    delete defaults.decoupled_weight_decay;
    const o = parseOptions("AdamW", args, NAMES, defaults);
    // AdamW passes its options on to Adam (2.x), which puts them in Adam's order
    super(params, { ...o, decoupled_weight_decay: true });
  }
}

function checkFlags(o: Options): void {
  if (o.fused) {
    if (o.differentiable) throw new RuntimeError("`fused` does not support `differentiable`");
    if (o.foreach) throw new RuntimeError("`fused` and `foreach` cannot be `True` together.");
  }
  if (o.differentiable) throw notDifferentiable();
}

function adamGroup(opt: Optimizer, group: Record<string, unknown> & { params: Tensor[] }): void {
  const lr = num(group.lr);
  const [beta1, beta2] = (group.betas as unknown[]).map(num);
  const eps = num(group.eps);
  const wd = num(group.weight_decay);
  const amsgrad = Boolean(group.amsgrad);
  const maximize = Boolean(group.maximize);
  const decoupled = Boolean(group.decoupled_weight_decay);
  for (const p of group.params) {
    const grad = p._grad;
    if (grad === null) continue;
    const state = opt.state.get(p);
    if (Object.keys(state).length === 0) initState(state, p, amsgrad);
    const exp_avg = state.exp_avg as Tensor;
    const exp_avg_sq = state.exp_avg_sq as Tensor;
    const max_sq = amsgrad ? state.max_exp_avg_sq as Tensor : null;
    const o: AdamOptions = { lr, beta1, beta2, eps, wd, maximize, decoupled };
    if (adamFused(p, grad, state, exp_avg, exp_avg_sq, max_sq, o)) continue;
    K.update("adam", () => {
      const step = nextStep(state);
      let g = K.read(grad);
      if (maximize) g = K.neg(g);
      let pv = K.read(p);
      if (wd !== 0) {
        if (decoupled) pv = K.mulS(pv, 1 - lr * wd);
        else g = K.addScaled(g, pv, wd);
      }
      const m = K.lerp(K.read(exp_avg), g, 1 - beta1);
      K.write(exp_avg, m);
      // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
      const v = K.add(K.mulS(K.read(exp_avg_sq), beta2), K.mul(K.mulS(g, 1 - beta2), g));
      K.write(exp_avg_sq, v);
      const bc1 = 1 - beta1 ** step;
      const bc2 = 1 - beta2 ** step;
      const stepSize = lr / bc1;
      const bc2Sqrt = bc2 ** 0.5;
      let vHat = v;
      if (max_sq) {
        vHat = K.maximum(K.read(max_sq), v);
        K.write(max_sq, vHat);
      }
      const denom = K.addS(K.divS(K.sqrt(vHat), bc2Sqrt), eps);
      // param.addcdiv_(exp_avg, denom, value=-step_size)
      K.write(p, K.add(pv, K.div(K.mulS(m, -stepSize), denom)));
    });
  }
}

function initState(state: ParamState, p: Tensor, amsgrad: boolean): void {
  state.step = newStep();
  state.exp_avg = K.zerosLike(p);
  state.exp_avg_sq = K.zerosLike(p);
  if (amsgrad) state.max_exp_avg_sq = K.zerosLike(p);
}

interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  wd: number;
  maximize: boolean;
  decoupled: boolean;
}

/**
 * The step of one parameter as one kernel on the wasm heap (see fused.ts); false, having
 * changed nothing, where that path does not apply. The kernel runs the float32 operations of
 * the op-by-op path in `adamGroup`, in the same order; where that path skips an operation
 * the kernel's graph does too, and the key names each such choice.
 */
function adamFused(
  p: Tensor,
  grad: Tensor,
  state: ParamState,
  exp_avg: Tensor,
  exp_avg_sq: Tensor,
  max_sq: Tensor | null,
  o: AdamOptions,
): boolean {
  const u = new HeapUpdate(p);
  const P = u.write(p);
  const G = u.read(grad);
  const M = u.write(exp_avg);
  const V = u.write(exp_avg_sq);
  const X = max_sq ? u.write(max_sq) : -1;
  if (!u.ok) return false;
  const decay = o.wd !== 0 && o.decoupled;
  const l2 = o.wd !== 0 && !o.decoupled;
  const w = 1 - o.beta1;
  const low = w < 0.5; // lerp's formula starts from the nearer end
  const flags = [o.maximize, decay, l2, low, X >= 0, o.eps !== 0];
  const k = kernel(`adam ${flags.map(Number).join("")}`, 2 * (X >= 0 ? 5 : 4), 8, (k) => {
    // the op-by-op path's scalars are float32 tensors: the kernel's parameters are float32
    const [shrink, wd32, w32, b2, ob2, bc2, eps32, nss] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => k.param(i));
    let g = k.load(src(G));
    if (o.maximize) g = k.neg(g);
    let pv = k.load(src(P));
    // mulS(x, s) skips s = 1 (x·1 is x exactly); addScaled's s = −1 subtracts, the same result
    if (decay) pv = k.mul(pv, shrink);
    else if (l2) g = k.add(g, k.mul(pv, wd32));
    const a = k.load(src(M));
    const d = k.sub(g, a);
    const m = low ? k.add(a, k.mul(d, w32)) : k.sub(g, k.mul(d, w32));
    k.store(dst(M), m);
    const v = k.add(k.mul(k.load(src(V)), b2), k.mul(k.mul(g, ob2), g));
    k.store(dst(V), v);
    let vh = v;
    if (X >= 0) {
      vh = k.pmax(k.load(src(X)), v);
      k.store(dst(X), vh);
    }
    let den = k.div(k.sqrt(vh), bc2);
    if (o.eps !== 0) den = k.add(den, eps32);
    k.store(dst(P), k.add(pv, k.div(k.mul(m, nss), den)));
  });
  if (k === null || !u.prepare()) return false;
  const step = nextStepFused(state);
  const bc1 = 1 - o.beta1 ** step;
  const bc2 = 1 - o.beta2 ** step;
  u.run(k, [1 - o.lr * o.wd, o.wd, low ? w : 1 - w, o.beta2, 1 - o.beta2, bc2 ** 0.5, o.eps, -(o.lr / bc1)]);
  return true;
}
