/**
 * Grad mode: `torch.no_grad`, `enable_grad`, `set_grad_enabled`,
 * `inference_mode`, in callback form (`torch.no_grad(() => …)`) and
 * `using` form (`using _ = torch.no_grad();`).
 * @module
 */

/** Whether ops record the graph now. */
export const gradMode = { enabled: true };

/** A scope that restores the previous grad mode when disposed. */
export interface GradModeScope extends Disposable {
  /** Restores the previous mode (what `using` calls). */
  [Symbol.dispose](): void;
}

function scope(enabled: boolean): GradModeScope {
  const prev = gradMode.enabled;
  gradMode.enabled = enabled;
  let done = false;
  return {
    [Symbol.dispose]() {
      if (!done) {
        done = true;
        gradMode.enabled = prev;
      }
    },
  };
}

function withMode<T>(enabled: boolean, fn?: () => T): T | GradModeScope {
  const s = scope(enabled);
  if (!fn) return s;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    s[Symbol.dispose]();
    throw e;
  }
  if (result instanceof Promise) {
    // an async body keeps the mode until it settles
    return result.finally(() => s[Symbol.dispose]()) as T;
  }
  s[Symbol.dispose]();
  return result;
}

/**
 * `torch.no_grad`: runs `fn` without recording the graph, or returns a
 * scope for `using`.
 * @example Both forms
 * ```ts
 * import { no_grad, gradMode } from "./grad_mode.ts";
 * no_grad(() => console.log(gradMode.enabled)); // false
 * { using _ = no_grad(); }
 * ```
 */
export function no_grad(): GradModeScope;
export function no_grad<T>(fn: () => T): T;
export function no_grad<T>(fn?: () => T): T | GradModeScope {
  return withMode(false, fn);
}

/** `torch.enable_grad`: records the graph inside `fn` (or the `using` scope). */
export function enable_grad(): GradModeScope;
export function enable_grad<T>(fn: () => T): T;
export function enable_grad<T>(fn?: () => T): T | GradModeScope {
  return withMode(true, fn);
}

/** `torch.set_grad_enabled(mode)`: sets the mode now; also usable as a scope or with a callback. */
export function set_grad_enabled(mode: boolean): GradModeScope;
export function set_grad_enabled<T>(mode: boolean, fn: () => T): T;
export function set_grad_enabled<T>(mode: boolean, fn?: () => T): T | GradModeScope {
  return withMode(Boolean(mode), fn);
}

/** `torch.inference_mode`: like `no_grad` here (no separate inference tensors). */
export function inference_mode(): GradModeScope;
export function inference_mode<T>(fn: () => T): T;
export function inference_mode<T>(fn?: () => T): T | GradModeScope {
  return withMode(false, fn);
}

/** `torch.is_grad_enabled()`. */
export function is_grad_enabled(): boolean {
  return gradMode.enabled;
}
