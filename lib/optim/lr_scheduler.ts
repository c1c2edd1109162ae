/**
 * `torch.optim.lr_scheduler`: `LRScheduler`, `StepLR`, `MultiStepLR`,
 * `ExponentialLR`, `LambdaLR` and `CosineAnnealingLR`, with PyTorch 2.x's
 * chainable (recursive) formulas, so the learning rates are PyTorch's
 * numbers, float for float.
 *
 * JavaScript cannot set a subclass's fields before `super()` runs, and the
 * base constructor already takes the first step (which reads them). So a
 * subclass hands its fields to the base constructor: `super(optimizer,
 * last_epoch, { step_size, gamma })`.
 * @module
 */
import { TorchTypeError, ValueError } from "../errors.ts";
import { isKw } from "../tensor/dispatch.ts";
import { KeyError, Optimizer, pyTypeName } from "./optimizer.ts";

const EPOCH_DEPRECATION_WARNING =
  "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if epoch is different from None, the closed form is used instead of the new chainable form, where available. Please open an issue if you are unable to replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.";

function warn(message: string): void {
  console.warn(`UserWarning: ${message}`);
}

/** An optimizer whose `step` the scheduler has wrapped (to know whether it ran). */
interface Tracked {
  _opt_called?: boolean;
  step: ((...a: unknown[]) => unknown) & { _wrapped_by_lr_sched?: boolean };
}

/** Reads `(a, b, …, {kw})` by parameter names, with defaults. */
function options(
  owner: string,
  args: unknown[],
  names: string[],
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  let kw: Record<string, unknown> = {};
  let pos = args;
  if (args.length && isKw(args[args.length - 1])) {
    kw = args[args.length - 1] as Record<string, unknown>;
    pos = args.slice(0, -1);
  }
  const out: Record<string, unknown> = { ...defaults };
  pos.forEach((v, i) => {
    if (i >= names.length) {
      throw new TorchTypeError(`${owner}.__init__() takes at most ${names.length + 2} positional arguments`);
    }
    if (v !== undefined) out[names[i]] = v;
  });
  for (const [k, v] of Object.entries(kw)) {
    if (!names.includes(k)) {
      throw new TorchTypeError(`${owner}.__init__() got an unexpected keyword argument '${k}'`);
    }
    if (v !== undefined) out[k] = v;
  }
  for (const n of names) {
    if (out[n] === undefined) {
      throw new TorchTypeError(`${owner}.__init__() missing 1 required positional argument: '${n}'`);
    }
  }
  return out;
}

/**
 * Base class of the schedulers, as `torch.optim.lr_scheduler.LRScheduler`.
 * Subclasses implement `get_lr()` (and `_get_closed_form_lr()` for
 * `step(epoch)`), and pass their own fields to the constructor.
 */
export class LRScheduler {
  declare optimizer: Optimizer;
  declare base_lrs: number[];
  declare last_epoch: number;
  declare _step_count: number;
  declare _is_initial: boolean;
  declare _get_lr_called_within_step: boolean;
  declare _last_lr: number[];

  /**
   * @param optimizer the optimizer whose learning rates it sets
   * @param last_epoch the last epoch seen (-1 to start)
   * @param fields the subclass's own fields, set before the first step
   */
  constructor(optimizer: Optimizer, last_epoch = -1, fields: Record<string, unknown> = {}) {
    Object.assign(this, fields);
    if (!(optimizer instanceof Optimizer)) {
      throw new TorchTypeError(`${pyTypeName(optimizer)} is not an Optimizer`);
    }
    this.optimizer = optimizer;
    if (last_epoch === -1) {
      for (const group of optimizer.param_groups) {
        if (!("initial_lr" in group)) group.initial_lr = group.lr;
      }
    } else {
      optimizer.param_groups.forEach((group, i) => {
        if (!("initial_lr" in group)) {
          throw new KeyError(
            `"param 'initial_lr' is not specified in param_groups[${i}] when resuming scheduler with last_epoch >= 0.\\nThis typically happens when:\\n1. You're trying to resume training from a checkpoint but haven't properly loaded the optimizer state\\n2. You're using last_epoch >= 0 for a fresh training run (not recommended)"`,
          );
        }
      });
    }
    this.base_lrs = optimizer.param_groups.map((g) => g.initial_lr as number);
    this.last_epoch = last_epoch;
    trackStep(optimizer);
    this._initial_step();
  }

  /** Sets the step count and takes the first step (which sets the initial learning rates). */
  _initial_step(): void {
    this._step_count = 0;
    this._is_initial = true;
    try {
      this.step();
    } finally {
      this._is_initial = false;
    }
  }

  /** The learning rates for the current epoch (PyTorch calls it inside `step()` only). */
  get_lr(): number[] {
    throw new TorchTypeError("LRScheduler subclasses implement get_lr()");
  }

  /** The learning rates the last `step()` set, one per group. */
  get_last_lr(): number[] {
    return this._last_lr;
  }

  /** Advances one epoch (call it after `optimizer.step()`); `epoch` is deprecated, as in PyTorch. */
  step(epoch?: number | null): void {
    if (this._step_count === 1) {
      const opt = this.optimizer as unknown as Tracked;
      if (!opt.step._wrapped_by_lr_sched) {
        warn(
          "Seems like `optimizer.step()` has been overridden after learning rate scheduler initialization. Please, make sure to call `optimizer.step()` before `lr_scheduler.step()`. See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
        );
      } else if (!opt._opt_called) {
        warn(
          "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first value of the learning rate schedule. See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
        );
      }
    }
    this._step_count += 1;
    if (epoch !== undefined && epoch !== null) warn(EPOCH_DEPRECATION_WARNING);
    this._update_lr(epoch);
  }

  /** Computes and sets the new learning rates. */
  _update_lr(epoch?: number | null): void {
    let values: number[];
    this._get_lr_called_within_step = true;
    try {
      if (epoch === undefined || epoch === null) {
        this.last_epoch += 1;
        values = this.get_lr();
      } else {
        this.last_epoch = epoch;
        const closed = (this as unknown as { _get_closed_form_lr?: () => number[] })._get_closed_form_lr;
        values = closed ? closed.call(this) : this.get_lr();
      }
    } finally {
      this._get_lr_called_within_step = false;
    }
    const groups = this.optimizer.param_groups;
    if (values.length !== groups.length) {
      throw new ValueError(
        `zip() argument 2 is ${values.length > groups.length ? "longer" : "shorter"} than argument 1`,
      );
    }
    groups.forEach((g, i) => (g.lr = values[i]));
    this._last_lr = groups.map((g) => g.lr as number);
  }

  /** Warns as PyTorch does when `get_lr()` is called outside `step()`. */
  protected _warnGetLr(): void {
    if (!this._get_lr_called_within_step) {
      warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.");
    }
  }

  /** The current learning rates of the groups. */
  protected _groupLrs(): number[] {
    return this.optimizer.param_groups.map((g) => g.lr as number);
  }

  /** Every field but the optimizer (PyTorch's `__dict__` minus `optimizer`), in PyTorch's order. */
  state_dict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (k !== "optimizer") out[k] = v;
    return out;
  }

  /** Restores fields from `state_dict()`. */
  load_state_dict(state_dict: Record<string, unknown>): void {
    Object.assign(this, state_dict);
  }
}

/** Wraps `optimizer.step` once, so a scheduler knows whether it ran (PyTorch's `_opt_called`). */
function trackStep(optimizer: Optimizer): void {
  const opt = optimizer as unknown as Tracked;
  if (opt.step._wrapped_by_lr_sched) return;
  const inner = opt.step;
  const wrapper = function (this: unknown, ...args: unknown[]) {
    opt._opt_called = true;
    return inner.apply(opt, args);
  } as Tracked["step"];
  wrapper._wrapped_by_lr_sched = true;
  Object.defineProperty(opt, "step", {
    value: wrapper,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/**
 * `StepLR(optimizer, step_size, gamma=0.1, last_epoch=-1)`: multiplies the
 * learning rates by `gamma` every `step_size` epochs.
 * @example Halve every 2 epochs
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { SGD } from "./sgd.ts";
 * import { StepLR } from "./lr_scheduler.ts";
 * const opt = new SGD([torch.zeros(1, { requires_grad: true })], { lr: 0.1 });
 * const sched = new StepLR(opt, 2, { gamma: 0.5 });
 * const lrs = [];
 * for (let i = 0; i < 4; i++) {
 *   opt.step();
 *   sched.step();
 *   lrs.push(sched.get_last_lr()[0]);
 * }
 * console.log(lrs); // [ 0.1, 0.05, 0.05, 0.025 ]
 * ```
 */
export class StepLR extends LRScheduler {
  declare step_size: number;
  declare gamma: number;
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options("StepLR", args, ["step_size", "gamma", "last_epoch"], { gamma: 0.1, last_epoch: -1 });
    super(optimizer, o.last_epoch as number, { step_size: o.step_size, gamma: o.gamma });
  }
  override get_lr(): number[] {
    this._warnGetLr();
    if (this.last_epoch === 0 || this.last_epoch % this.step_size !== 0) return this._groupLrs();
    return this._groupLrs().map((lr) => lr * this.gamma);
  }
  _get_closed_form_lr(): number[] {
    return this.base_lrs.map((b) => b * this.gamma ** Math.floor(this.last_epoch / this.step_size));
  }
}

/**
 * `MultiStepLR(optimizer, milestones, gamma=0.1, last_epoch=-1)`: multiplies
 * the learning rates by `gamma` at each milestone (a repeated milestone
 * multiplies once per occurrence).
 */
export class MultiStepLR extends LRScheduler {
  /** PyTorch's `Counter`: milestone → occurrences. */
  declare milestones: Map<number, number>;
  declare gamma: number;
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options("MultiStepLR", args, ["milestones", "gamma", "last_epoch"], {
      gamma: 0.1,
      last_epoch: -1,
    });
    const counter = new Map<number, number>();
    for (const m of o.milestones as Iterable<number>) counter.set(m, (counter.get(m) ?? 0) + 1);
    super(optimizer, o.last_epoch as number, { milestones: counter, gamma: o.gamma });
  }
  override get_lr(): number[] {
    this._warnGetLr();
    const n = this.milestones.get(this.last_epoch);
    if (n === undefined) return this._groupLrs();
    return this._groupLrs().map((lr) => lr * this.gamma ** n);
  }
  _get_closed_form_lr(): number[] {
    let passed = 0;
    for (const [m, n] of this.milestones) if (m <= this.last_epoch) passed += n;
    return this.base_lrs.map((b) => b * this.gamma ** passed);
  }
}

/** `ExponentialLR(optimizer, gamma, last_epoch=-1)`: multiplies the learning rates by `gamma` every epoch. */
export class ExponentialLR extends LRScheduler {
  declare gamma: number;
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options("ExponentialLR", args, ["gamma", "last_epoch"], { last_epoch: -1 });
    super(optimizer, o.last_epoch as number, { gamma: o.gamma });
  }
  override get_lr(): number[] {
    this._warnGetLr();
    if (this._is_initial) return this._groupLrs();
    return this._groupLrs().map((lr) => lr * this.gamma);
  }
  _get_closed_form_lr(): number[] {
    return this.base_lrs.map((b) => b * this.gamma ** this.last_epoch);
  }
}

/**
 * `LambdaLR(optimizer, lr_lambda, last_epoch=-1)`: the initial learning rate
 * times `lr_lambda(epoch)` (one function, or one per group).
 */
export class LambdaLR extends LRScheduler {
  declare lr_lambdas: ((epoch: number) => number)[];
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options("LambdaLR", args, ["lr_lambda", "last_epoch"], { last_epoch: -1 });
    const n = optimizer instanceof Optimizer ? optimizer.param_groups.length : 0;
    const f = o.lr_lambda as ((e: number) => number) | ((e: number) => number)[];
    let lambdas: ((e: number) => number)[];
    if (Array.isArray(f)) {
      if (f.length !== n) throw new ValueError(`Expected ${n} lr_lambdas, but got ${f.length}`);
      lambdas = [...f];
    } else lambdas = Array.from({ length: n }, () => f);
    super(optimizer, o.last_epoch as number, { lr_lambdas: lambdas });
  }
  override get_lr(): number[] {
    this._warnGetLr();
    return this.base_lrs.map((b, i) => b * this.lr_lambdas[i](this.last_epoch));
  }
  /** As PyTorch: functions are not saved (`None` for each). */
  override state_dict(): Record<string, unknown> {
    const sd = super.state_dict();
    sd.lr_lambdas = this.lr_lambdas.map(() => null);
    return sd;
  }
  override load_state_dict(state_dict: Record<string, unknown>): void {
    const { lr_lambdas: _, ...rest } = state_dict;
    Object.assign(this, rest);
  }
}

/**
 * `CosineAnnealingLR(optimizer, T_max, eta_min=0.0, last_epoch=-1)`: cosine
 * annealing from the initial learning rate to `eta_min` over `T_max` epochs,
 * with PyTorch's recursive formula (and its numbers past `T_max`).
 * @example Five epochs
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { SGD } from "./sgd.ts";
 * import { CosineAnnealingLR } from "./lr_scheduler.ts";
 * const opt = new SGD([torch.zeros(1, { requires_grad: true })], { lr: 0.1 });
 * const sched = new CosineAnnealingLR(opt, 4);
 * for (let i = 0; i < 4; i++) {
 *   opt.step();
 *   sched.step();
 * }
 * console.log(sched.get_last_lr()); // [ 0 ]
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  declare T_max: number;
  declare eta_min: number;
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options("CosineAnnealingLR", args, ["T_max", "eta_min", "last_epoch"], {
      eta_min: 0,
      last_epoch: -1,
    });
    super(optimizer, o.last_epoch as number, { T_max: o.T_max, eta_min: o.eta_min });
  }
  override get_lr(): number[] {
    this._warnGetLr();
    const { T_max, eta_min, last_epoch } = this;
    const groups = this._groupLrs();
    if (this._is_initial) return groups;
    if (this._step_count === 1 && last_epoch > 0) {
      return this.base_lrs.map((b) =>
        eta_min + (b - eta_min) * (1 + Math.cos(last_epoch * Math.PI / T_max)) / 2
      );
    }
    if ((last_epoch - 1 - T_max) % (2 * T_max) === 0) {
      return groups.map((lr, i) => lr + (this.base_lrs[i] - eta_min) * (1 - Math.cos(Math.PI / T_max)) / 2);
    }
    return groups.map((lr) =>
      (1 + Math.cos(Math.PI * last_epoch / T_max)) / (1 + Math.cos(Math.PI * (last_epoch - 1) / T_max)) *
        (lr - eta_min) + eta_min
    );
  }
  _get_closed_form_lr(): number[] {
    return this.base_lrs.map((b) =>
      this.eta_min + (b - this.eta_min) * (1 + Math.cos(Math.PI * this.last_epoch / this.T_max)) / 2
    );
  }
}
