/**
 * PyTorch constructs classes by calling them (`nn.Linear(3, 4)`); in
 * JavaScript that needs `new`. `callable(C)` accepts both.
 * @module
 */

// deno-lint-ignore no-explicit-any
type Ctor = abstract new (...args: any) => any;

/** A class that can also be called without `new`. */
export type Callable<C extends Ctor> = C & ((...args: ConstructorParameters<C>) => InstanceType<C>);

/**
 * Wraps a class so that calling it constructs it.
 * @param cls the class
 * @returns the same class, callable
 * @example Both forms
 * ```ts
 * import { callable } from "./callable.ts";
 * class Point { constructor(readonly x: number) {} }
 * const P = callable(Point);
 * console.log(P(1).x, new P(2).x); // 1 2
 * ```
 */
export function callable<C extends Ctor>(cls: C): Callable<C> {
  return new Proxy(cls, {
    apply(target, _self, args) {
      return Reflect.construct(target as unknown as new (...a: unknown[]) => unknown, args);
    },
  }) as Callable<C>;
}
