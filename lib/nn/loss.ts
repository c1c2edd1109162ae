/**
 * Losses: `F.cross_entropy`, `F.nll_loss`, `F.mse_loss`, `F.l1_loss`,
 * `F.binary_cross_entropy(_with_logits)` and their modules.
 * @module
 */
import { callable } from "./callable.ts";
import { ModuleClass } from "./module.ts";

/** The loss functions of `F`. */
export const functional = {};

/** The loss modules of `nn`. */
export const modules = {};

export { callable, ModuleClass };
