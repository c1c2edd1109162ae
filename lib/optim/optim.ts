/**
 * The `optim` namespace (`torch.optim`): optimizers and learning-rate
 * schedulers, each constructible with or without `new`, as PyTorch's
 * classes are called.
 * @example Train a line
 * ```ts
 * import { nn, torch } from "../../mod.ts";
 * import { optim } from "./optim.ts";
 * torch.manual_seed(0);
 * const model = nn.Linear(1, 1);
 * const opt = optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * const x = torch.tensor([[0.5], [1.0], [2.0]]);
 * const y = x.mul(2).add(1);
 * for (let i = 0; i < 100; i++) {
 *   opt.zero_grad();
 *   nn.functional.mse_loss(model(x), y).backward();
 *   opt.step();
 * }
 * console.log(String(model.weight.round({ decimals: 2 }).detach())); // tensor([[2.]])
 * ```
 * @module
 */
import { callable } from "../nn/callable.ts";
import { Optimizer } from "./optimizer.ts";
import { SGD } from "./sgd.ts";
import { Adam, AdamW } from "./adam.ts";
import { RMSprop } from "./rmsprop.ts";
import {
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LRScheduler,
  MultiStepLR,
  StepLR,
} from "./lr_scheduler.ts";

/** `torch.optim.lr_scheduler`. */
export const lr_scheduler = {
  LRScheduler,
  /** PyTorch's old name of the base class. */
  _LRScheduler: LRScheduler,
  StepLR: callable(StepLR),
  MultiStepLR: callable(MultiStepLR),
  ExponentialLR: callable(ExponentialLR),
  LambdaLR: callable(LambdaLR),
  CosineAnnealingLR: callable(CosineAnnealingLR),
};

/** `torch.optim`. */
export const optim = {
  Optimizer,
  SGD: callable(SGD),
  Adam: callable(Adam),
  AdamW: callable(AdamW),
  RMSprop: callable(RMSprop),
  lr_scheduler,
};

export {
  Adam,
  AdamW,
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LRScheduler,
  MultiStepLR,
  Optimizer,
  RMSprop,
  SGD,
  StepLR,
};
export type { OptimizerStateDict, ParamGroup, ParamState } from "./optimizer.ts";
