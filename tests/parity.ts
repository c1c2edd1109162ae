/**
 * What the parity suites share: fixtures written by real PyTorch hold each
 * case as `(python, ts)` code and PyTorch's outcome; these helpers compile the
 * TypeScript side and compare values, naming the place that differs.
 */
import assert from "node:assert/strict";
import { Tensor, torch } from "../mod.ts";
import { gpuStatus } from "../lib/engine/webgpu.ts";
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

// ---- devices ------------------------------------------------------------------------------------

/**
 * The devices the parity suites replay on: always `cpu`; `webgpu` too when a WebGPU adapter
 * exists (lavapipe on CI machines). `DENOTORCH_TEST_DEVICES=cpu` limits the run to the cpu.
 */
export const TEST_DEVICES: string[] = (Deno.env.get("DENOTORCH_TEST_DEVICES") ?? "cpu,webgpu").split(",");

let gpuProbe: Promise<string | null> | null = null;

/** Starts webgpu for the suites; resolves to null when usable, else the reason to skip. */
export function webgpuSkipReason(): Promise<string | null> {
  gpuProbe ??= (async () => {
    if (!TEST_DEVICES.includes("webgpu")) return "DENOTORCH_TEST_DEVICES leaves webgpu out";
    if (!(await torch.webgpu.init())) return `no WebGPU adapter: ${gpuStatus()?.reason}`;
    return null;
  })();
  return gpuProbe;
}

/** Runs `body` with `dev` as the default device (factory functions and new layers use it). */
export async function onDevice<T>(dev: string, body: () => Promise<T> | T): Promise<T> {
  const before = torch.get_default_device();
  torch.set_default_device(dev);
  try {
    return await body();
  } finally {
    torch.set_default_device(before);
  }
}

/**
 * Reads back every webgpu tensor in a result (nested arrays, return types, Parameters) so
 * that `listOf` and `reprOf` can answer synchronously.
 */
export async function fetchAll(x: unknown, seen = new Set<unknown>()): Promise<void> {
  if (x === null || typeof x !== "object" || seen.has(x)) return;
  seen.add(x);
  if (x instanceof Tensor) {
    await x._fetchForDisplay();
    if (x._grad) await fetchAll(x._grad, seen);
    return;
  }
  if (Array.isArray(x)) {
    for (const v of x) await fetchAll(v, seen);
    return;
  }
  // plain objects, return types, state dicts: whatever holds tensors in its own fields
  for (const v of Object.values(x)) await fetchAll(v, seen);
}

/** `t.tolist()` on every device (a webgpu tensor must have been through `fetchAll`). */
export function listOf(t: Tensor): unknown {
  if (!t._storage.slot.gpu) return t.tolist();
  assert.ok(t._shown, "a webgpu tensor read back by fetchAll");
  return t._nested(t._shown.data);
}

/** PyTorch's repr as the cpu prints it: a webgpu tensor's device suffix left out. */
export function reprOf(x: unknown): string {
  const text = String(x);
  if (!text.includes("device='webgpu:0'")) return text;
  return unwrapSuffix(text.replace(/,\s*device='webgpu:0'/g, ""));
}

/**
 * The repr with its keyword suffixes (`grad_fn=`, `requires_grad=`, `dtype=`) kept on the
 * last line: PyTorch moves them to a line of their own when the last line is full, which
 * the webgpu device suffix changes. Compare `unwrapSuffix(want)` with a webgpu `reprOf`.
 */
export function unwrapSuffix(text: string): string {
  return text.replace(/,\n\s*(grad_fn=|requires_grad=|dtype=)/g, ", $1");
}

/** Messages of checks the cpu makes with a host read, which webgpu cannot do synchronously (README). */
const CPU_ONLY = [
  /^ZeroDivisionError$/,
  /^index out of range in self$/,
  /^index -?\d+ is out of bounds for dimension \d+ with size \d+$/,
  /^Target -?\d+ is out of bounds\.$/,
  /^all elements of input should be between 0 and 1$/,
];

/** Whether an expected error comes from a check webgpu skips (documented in the README). */
export function cpuOnlyError(message: string): boolean {
  return CPU_ONLY.some((r) => r.test(message));
}

/**
 * Whether two reprs print the same structure, numbers aside: on webgpu a value may differ
 * from the cpu's in its last float32 bits (GPU `pow`, `exp`), which can change how PyTorch
 * prints it (`1.` against `1.0000`), so the values are compared within tolerance instead.
 */
export function sameReprShape(got: string, want: string): boolean {
  const shape = (s: string) =>
    s.replace(/-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|nan|inf/g, "#").replace(/\s+/g, " ");
  return shape(got) === shape(want);
}

/** Whether an error is the one a synchronous read of a webgpu tensor gives. */
export function isSyncReadError(e: unknown): boolean {
  return e instanceof Error &&
    /cannot (read a tensor on|be read synchronously|copy a tensor from)|synchronously \(Deno's WebGPU/.test(
      e.message,
    );
}

/**
 * Registers a parity suite's areas on every test device: `name: area` on the cpu and
 * `name on webgpu: area` (ignored, with the reason printed, when no adapter exists). `run`
 * replays one case on a device and pushes the ids it had to skip (reads a webgpu tensor
 * synchronously, or expects a cpu-only check); they are printed per area.
 */
export async function deviceSuites<C extends { id: string; area: string }>(
  name: string,
  cases: C[],
  run: (c: C, dev: string, skipped: string[]) => Promise<void>,
): Promise<void> {
  const areas = [...new Set(cases.map((c) => c.area))];
  for (const area of areas) {
    Deno.test(`${name}: ${area}`, async (t) => {
      for (const c of cases.filter((x) => x.area === area)) await t.step(c.id, () => run(c, "cpu", []));
    });
  }
  const skip = await webgpuSkipReason();
  if (skip) console.log(`${name} on webgpu skipped: ${skip}`);
  for (const area of areas) {
    Deno.test({
      name: `${name} on webgpu: ${area}`,
      ignore: skip !== null,
      fn: async (t) => {
        const skipped: string[] = [];
        for (const c of cases.filter((x) => x.area === area)) {
          await t.step(c.id, () => run(c, "webgpu", skipped));
        }
        if (skipped.length) {
          console.log(
            `  skipped ${skipped.length} case(s) that read values synchronously or expect a cpu-only check (not possible on webgpu): ${
              skipped.join(", ")
            }`,
          );
        }
      },
    });
  }
}

/** A fixture case as `onDeviceCase` sees it. */
export interface DeviceCase {
  id: string;
  expected: { type: string; message?: string };
}

/**
 * Runs a case body on `dev` and reads back the webgpu tensors of its result; returns `skip`
 * (recording the id in `skipped`) for a case webgpu cannot replay: one whose body read a
 * webgpu tensor synchronously, or that expects a cpu-only check's error and got a value.
 */
export async function onDeviceCase(
  dev: string,
  c: DeviceCase,
  skipped: string[],
  body: () => unknown,
): Promise<{ value: unknown } | { error: unknown } | "skip"> {
  try {
    const value = await onDevice(dev, async () => {
      const r = body();
      await fetchAll(r);
      return r;
    });
    // a check webgpu skips (its error comes only from the cpu): nothing to compare
    if (dev !== "cpu" && c.expected.type === "error" && cpuOnlyError(c.expected.message ?? "")) {
      skipped.push(c.id);
      return "skip";
    }
    return { value };
  } catch (e) {
    if (dev !== "cpu" && isSyncReadError(e)) {
      skipped.push(c.id);
      return "skip";
    }
    return { error: e };
  }
}
