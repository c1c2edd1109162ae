/**
 * Autograd parity: replays tests/fixtures/autograd.json (written by
 * gen_autograd.py with real PyTorch) through the facade and compares
 * gradients (values, shapes), node names (`grad_fn.name()`, the repr's
 * `grad_fn=<…>`, `next_functions`) and error messages. Needs no PyTorch.
 */
import assert from "node:assert/strict";
import { Size, Tensor, torch } from "../../mod.ts";
import {
  closeFloat,
  compareValues,
  compile as compileCase,
  decode,
  describe,
  deviceSuites,
  errorName,
  type Json,
  listOf,
  onDeviceCase,
  reprOf,
  unwrapSuffix,
} from "../parity.ts";
import fixtureJson from "../fixtures/autograd.json" with { type: "json" };

type Expected =
  | { type: "tensor"; repr: string; dtype: string; shape: number[]; values: Json }
  | { type: "size"; repr: string; value: number[] }
  | { type: "bool"; value: boolean }
  | { type: "int"; value: number }
  | { type: "float"; value: number | string; repr: string }
  | { type: "str"; value: string }
  | { type: "none" }
  | { type: "tuple" | "list"; items: Expected[] }
  | { type: "error"; error: string; message: string };

interface Case {
  area: string;
  id: string;
  python: string;
  ts: string;
  expected: Expected;
  pytorch_1_13?: Expected;
  expected_source?: string;
}

interface Fixture {
  torch_version: string;
  pytorch2: string[];
  cases: Case[];
}

const fixture = fixtureJson as unknown as Fixture;

/** `nf(t)`: the names of `t.grad_fn.next_functions` (null where no gradient flows). */
function nf(t: Tensor): (string | null)[] {
  const fn = t.grad_fn as unknown as { next_functions: [{ name(): string } | null, number][] };
  return fn.next_functions.map(([f]) => (f === null ? null : f.name()));
}

/** `(torch, nf) => …` from a case's TypeScript code. */
function compile(code: string): (t: typeof torch, n: typeof nf) => unknown {
  return compileCase<(t: typeof torch, n: typeof nf) => unknown>(code, ["torch", "nf"]);
}

/**
 * The printed text must match; where values agree within tolerance, a digit
 * rounded the other way in the last printed place is not a difference.
 */
function compareRepr(got: string, want: string, where: string): void {
  if (got === want) return;
  const shape = (s: string) => s.replace(/(?<![A-Za-z\d])-?\d+\.?\d*(e[+-]\d+)?/g, "#").replace(/\s+/g, " ");
  assert.equal(shape(got), shape(want), `${where}: repr\n${got}\nwant\n${want}`);
}

function compare(
  got: unknown,
  want: Expected,
  where: string,
  close?: (got: number, want: number) => boolean,
): void {
  switch (want.type) {
    case "tensor": {
      assert.ok(got instanceof Tensor, `${where}: expected a Tensor, got ${String(got)}`);
      assert.equal(String(got.dtype), `torch.${want.dtype}`, `${where}: dtype`);
      assert.deepEqual([...got.shape], want.shape, `${where}: shape`);
      compareValues(listOf(got), want.values, got.dtype.is_floating_point, `${where}: values`, close);
      const text = reprOf(got);
      compareRepr(text, text === String(got) ? want.repr : unwrapSuffix(want.repr), where);
      return;
    }
    case "size":
      assert.ok(got instanceof Size, `${where}: expected a torch.Size, got ${String(got)}`);
      assert.deepEqual([...got], want.value, `${where}: sizes`);
      return;
    case "bool":
      assert.equal(got, want.value, `${where}: bool`);
      return;
    case "int":
      assert.equal(got, want.value, `${where}: int`);
      return;
    case "float": {
      assert.equal(typeof got, "number", `${where}: number expected, got ${String(got)}`);
      assert.ok(
        closeFloat(got as number, decode(want.value) as number),
        `${where}: got ${got}, want ${want.value}`,
      );
      return;
    }
    case "str":
      assert.equal(got, want.value, `${where}: str`);
      return;
    case "none":
      assert.ok(got === null || got === undefined, `${where}: expected None, got ${describe(got)}`);
      return;
    case "tuple":
    case "list": {
      assert.ok(Array.isArray(got), `${where}: expected a ${want.type}, got ${describe(got)}`);
      assert.equal(got.length, want.items.length, `${where}: length`);
      want.items.forEach((w, i) => compare(got[i], w, `${where}[${i}]`, close));
      return;
    }
    case "error":
      throw new Error(`${where}: expected ${want.error}: ${want.message}, got ${describe(got)}`);
  }
}

async function runCase(c: Case, dev: string, skipped: string[]): Promise<void> {
  const fn = compile(c.ts);
  torch.manual_seed(0);
  const warn = console.warn;
  console.warn = () => {}; // the non-leaf .grad warning (tested on its own)
  let r;
  try {
    r = await onDeviceCase(dev, c, skipped, () => fn(torch, nf));
  } finally {
    console.warn = warn;
    // a case that failed half way must not leave grad mode off for the next one
    torch.set_grad_enabled(true);
  }
  if (r === "skip") return;
  if ("error" in r) {
    const e = r.error;
    if (c.expected.type !== "error") throw e;
    const msg = e instanceof Error ? e.message : String(e);
    assert.equal(errorName(e), c.expected.error, `${c.id}: error type (message: ${msg})`);
    assert.equal(msg, c.expected.message, `${c.id}: message`);
    return;
  }
  compare(r.value, c.expected, c.id, dev !== "cpu" && GPU_LOOSE.test(c.id) ? looseClose : undefined);
}

/**
 * Ops whose GPU builtins are less precise than float32 rounding (lavapipe's asin/acos are
 * off by up to ~4e-4): on webgpu their values are compared within 1e-3 (README, Differences).
 */
const GPU_LOOSE = /^(asin|acos)/;
const looseClose = (got: number, want: number) => closeFloat(got, want, 1e-3, 1e-3);

Deno.test("autograd fixture is complete", () => {
  assert.ok(fixture.cases.length >= 300, "at least 300 cases");
  const areas = new Set(fixture.cases.map((c) => c.area));
  for (
    const a of [
      "leaves",
      "unary",
      "binary",
      "reductions",
      "matmul",
      "views",
      "join",
      "indexing",
      "inplace",
      "engine",
      "hooks",
      "autograd_grad",
      "grad_mode",
      "lesson2",
    ]
  ) assert.ok(areas.has(a), `area ${a}`);
  // every case that expects a 2.x outcome keeps the 1.13 one beside it, with the reason
  for (const c of fixture.cases.filter((c) => c.pytorch_1_13)) {
    assert.ok(c.expected_source?.startsWith("PyTorch 2.x: "), c.id);
    assert.ok(fixture.pytorch2.some((r) => c.expected_source!.endsWith(r)), c.id);
  }
});

await deviceSuites("autograd parity", fixture.cases, runCase);
