/**
 * What the parity suites share: fixtures written by real PyTorch hold each
 * case as `(python, ts)` code and PyTorch's outcome; these helpers compile the
 * TypeScript side and compare values, naming the place that differs.
 */
import assert from "node:assert/strict";
import { Tensor } from "../mod.ts";
import { TorchError } from "../lib/errors.ts";

/** A fixture value: numbers, with nan/inf as the strings "nan", "inf", "-inf". */
export type Json = number | string | boolean | null | Json[];

/** Decodes one fixture number (nan/inf strings) or boolean. */
export function decode(v: Json): number | boolean {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  if (typeof v === "string" || Array.isArray(v) || v === null) {
    throw new Error(`bad fixture value ${JSON.stringify(v)}`);
  }
  return v;
}

/** Float equality within `atol + rtol·|want|`; nan equals nan, infinities must match. */
export function closeFloat(got: number, want: number, rtol = 1e-5, atol = 1e-6): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= atol + rtol * Math.abs(want);
}

/** Compares nested values: floats with `close`, ints and bools exactly. */
export function compareValues(
  got: unknown,
  want: Json,
  isFloat: boolean,
  where: string,
  close: (got: number, want: number) => boolean = closeFloat,
): void {
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${where}: expected a list, got ${String(got)}`);
    assert.equal(got.length, want.length, `${where}: length`);
    want.forEach((w, i) => compareValues(got[i], w, isFloat, `${where}[${i}]`, close));
    return;
  }
  const w = decode(want);
  if (typeof w === "boolean" || !isFloat) {
    assert.equal(got, w, `${where}: exact value`);
    return;
  }
  assert.equal(typeof got, "number", `${where}: number expected`);
  assert.ok(close(got as number, w), `${where}: got ${got}, want ${w}`);
}

/**
 * Builds `(...names) => { ...statements; return (last); }` from `a; b; last`
 * (cases keep ";" out of strings, so a plain split finds the statements).
 */
export function compile<F extends (...args: never[]) => unknown>(code: string, names: string[]): F {
  const parts = code.split(";").map((p) => p.trim()).filter((p) => p !== "");
  const last = parts.pop();
  const body = [...parts.map((p) => p + ";"), `return (${last});`].join("\n");
  return new Function(...names, body) as F;
}

/** A value for a failure message. */
export function describe(x: unknown): string {
  try {
    return x instanceof Tensor ? String(x) : JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

/** Python's exception type name of a thrown value. */
export function errorName(e: unknown): string {
  if (e instanceof TorchError) return e.pyName;
  return e instanceof Error ? e.name : typeof e;
}
