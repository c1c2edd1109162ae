/**
 * Python's built-ins that PyTorch code leans on: `print`, `len`, `range`,
 * `enumerate`, `zip`, `iter`, `next`, `list`, `str`, `repr`, `isinstance`-free.
 * @module
 */
import { TorchTypeError } from "./errors.ts";

/** Text of a value as Python's `str()` shows it (tensors print PyTorch's text). */
export function str(x: unknown): string {
  if (x === null || x === undefined) return "None";
  if (x === true) return "True";
  if (x === false) return "False";
  if (typeof x === "string") return x;
  if (typeof x === "number") return pyNumber(x);
  if (Array.isArray(x) && x.constructor === Array) return `[${x.map(repr).join(", ")}]`;
  if (typeof x === "object" && typeof (x as { toString?: unknown }).toString === "function") {
    const s = String(x);
    if (s !== "[object Object]") return s;
  }
  return Deno.inspect(x);
}

/** Text of a value as Python's `repr()` shows it. */
export function repr(x: unknown): string {
  if (typeof x === "string") return `'${x.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  return str(x);
}

function pyNumber(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return String(x);
}

/**
 * Python's `repr(float)`: the shortest round-trip digits, in exponent form
 * below 1e-4 or from 1e16 (`1e-05`, `0.1`, `1e+16`), with `.0` on integral values.
 */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return pyNumber(x);
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const ax = Math.abs(x);
  if (ax < 1e-4 || ax >= 1e16) {
    const [m, e] = x.toExponential().split("e");
    const exp = Number(e);
    return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const s = String(x);
  return /[.e]/.test(s) ? s : s + ".0";
}

/** Python's `print(*values, sep=' ', end='\n')`. */
export function print(...values: unknown[]): void {
  let sep = " ";
  let end = "\n";
  const last = values[values.length - 1];
  if (
    last && typeof last === "object" && Object.getPrototypeOf(last) === Object.prototype &&
    ("sep" in last || "end" in last)
  ) {
    values.pop();
    const o = last as { sep?: string; end?: string };
    sep = o.sep ?? sep;
    end = o.end ?? end;
  }
  const text = values.map(str).join(sep) + end;
  Deno.stdout.writeSync(new TextEncoder().encode(text));
}

/** Python's `len(x)`: arrays, strings, tensors (first dim), anything with `__len__()` or `length`. */
export function len(x: unknown): number {
  if (x === null || x === undefined) throw new TorchTypeError("object of type 'NoneType' has no len()");
  const o = x as { __len__?: () => number; length?: number; size?: unknown; _shape?: number[] };
  if (typeof o.__len__ === "function") return o.__len__();
  if (Array.isArray(o._shape)) {
    if (o._shape.length === 0) throw new TorchTypeError("len() of a 0-d tensor");
    return o._shape[0];
  }
  if (typeof o.length === "number") return o.length;
  if (x instanceof Map || x instanceof Set) return x.size;
  throw new TorchTypeError(`object of type '${typeof x}' has no len()`);
}

/** Python's `range(stop)` / `range(start, stop, step)`, iterable and indexable via `list()`. */
export function* range(a: number, b?: number, step = 1): IterableIterator<number> {
  const [start, stop] = b === undefined ? [0, a] : [a, b];
  if (step === 0) throw new TorchTypeError("range() arg 3 must not be zero");
  if (step > 0) { for (let i = start; i < stop; i += step) yield i; }
  else for (let i = start; i > stop; i += step) yield i;
}

/** Python's `enumerate(iterable, start=0)`: yields `[i, item]`. */
export function* enumerate<T>(it: Iterable<T>, start = 0): IterableIterator<[number, T]> {
  let i = start;
  for (const x of it) yield [i++, x];
}

/** Python's `zip(*iterables)`: stops at the shortest. */
export function* zip<T extends unknown[]>(...its: { [K in keyof T]: Iterable<T[K]> }): IterableIterator<T> {
  const iters = its.map((i) => (i as Iterable<unknown>)[Symbol.iterator]());
  while (true) {
    const out: unknown[] = [];
    for (const it of iters) {
      const r = it.next();
      if (r.done) return;
      out.push(r.value);
    }
    yield out as T;
  }
}

/** Python's `iter(x)`. */
export function iter<T>(x: Iterable<T>): Iterator<T> {
  const f = (x as { [Symbol.iterator]?: () => Iterator<T> })?.[Symbol.iterator];
  if (typeof f !== "function") throw new TorchTypeError(`'${typeof x}' object is not iterable`);
  return f.call(x);
}

/** Python's `next(iterator, default?)`; raises StopIteration when exhausted and no default. */
export function next<T, D = never>(it: Iterator<T>, ...dflt: [D] | []): T | D {
  const r = it.next();
  if (r.done) {
    if (dflt.length) return dflt[0] as D;
    throw new StopIteration();
  }
  return r.value;
}

/** Python's `StopIteration`. */
export class StopIteration extends Error {
  override name = "StopIteration";
}

/** Python's `list(iterable)`. */
export function list<T>(it: Iterable<T>): T[] {
  return [...it];
}
