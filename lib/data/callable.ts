/**
 * Python-flavoured helpers of the data and vision APIs: callable instances (`transform(img)`, as
 * Python objects with `__call__`), and Python's `repr` of numbers and tuples. Classes callable
 * without `new` come from `../nn/callable.ts`.
 * @module
 */
import { pyFloat } from "../python.ts";

/**
 * Base of objects that are called like functions (Python's `__call__`): the constructor returns a
 * function whose prototype is the instance's class, so `obj(x)` runs `obj.__call__(x)`, and
 * subclass fields and methods work as usual.
 */
export interface CallableObject {
  // deno-lint-ignore no-explicit-any
  (...args: any[]): any;
}
export class CallableObject {
  constructor() {
    const self = function (...args: unknown[]): unknown {
      return (self as unknown as { __call__(...a: unknown[]): unknown }).__call__(...args);
    };
    Object.setPrototypeOf(self, new.target.prototype);
    // A function's own `name` and `length` would shadow class members of those names.
    delete (self as { name?: string }).name;
    delete (self as { length?: number }).length;
    return self as unknown as CallableObject;
  }

  /** What calling the object does. */
  __call__(..._args: unknown[]): unknown {
    throw new Error(`${this.constructor.name} is not callable`);
  }
}

/** Python's `repr` of a number typed as given (integers stay integers). */
export function pyNum(x: number): string {
  return Number.isInteger(x) ? String(x) : pyFloat(x);
}

/** Python's `repr` of a tuple of numbers: `(0.5, 0.5, 0.5)`, `(3,)`. */
export function pyTuple(xs: readonly number[], fmt: (x: number) => string = pyNum): string {
  return xs.length === 1 ? `(${fmt(xs[0])},)` : `(${xs.map(fmt).join(", ")})`;
}

export { pyFloat };
