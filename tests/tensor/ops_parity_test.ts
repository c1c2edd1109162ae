/**
 * Op parity: replays tests/fixtures/ops.json (written by gen_ops.py with real
 * PyTorch) through the facade and compares values, dtypes, shapes, printed
 * text and errors. Needs no PyTorch.
 */
import assert from "node:assert/strict";
import { device, dtype, Size, Tensor, torch } from "../../mod.ts";
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
  sameReprShape,
  unwrapSuffix,
} from "../parity.ts";
import fixtureJson from "../fixtures/ops.json" with { type: "json" };

type Expected =
  | { type: "tensor"; repr: string; dtype: string; shape: number[]; values: Json }
  | { type: "return_types"; name: string; repr: string; items: Expected[] }
  | { type: "size"; repr: string; value: number[] }
  | { type: "dtype"; repr: string }
  | { type: "device"; repr: string }
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
}

interface LeftOut extends Case {
  reason: string;
}

interface TsOnly {
  id: string;
  python: string;
  ts: string;
  pytorch: Expected;
  expect_error: string;
  message_contains: string;
}

interface Fixture {
  torch_version: string;
  differences: string[];
  cases: Case[];
  left_out: LeftOut[];
  ts_only: TsOnly[];
}

const fixture = fixtureJson as unknown as Fixture;

/** `(torch) => …` from a case's TypeScript code. */
function compile(code: string): (t: typeof torch) => unknown {
  return compileCase<(t: typeof torch) => unknown>(code, ["torch"]);
}

function compare(got: unknown, want: Expected, where: string): void {
  switch (want.type) {
    case "tensor": {
      assert.ok(got instanceof Tensor, `${where}: expected a Tensor, got ${String(got)}`);
      assert.equal(String(got.dtype), `torch.${want.dtype}`, `${where}: dtype`);
      assert.deepEqual([...got.shape], want.shape, `${where}: shape`);
      compareValues(listOf(got), want.values, got.dtype.is_floating_point, `${where}: values`);
      checkRepr(got, want.repr, where);
      return;
    }
    case "return_types": {
      assert.ok(
        got !== null && typeof got === "object" && "values" in got && "indices" in got,
        `${where}: expected torch.return_types.${want.name}`,
      );
      const r = got as { values: unknown; indices: unknown };
      compare(r.values, want.items[0], `${where}.values`);
      compare(r.indices, want.items[1], `${where}.indices`);
      checkRepr(got, want.repr, where);
      return;
    }
    case "size":
      assert.ok(got instanceof Size, `${where}: expected a torch.Size, got ${String(got)}`);
      assert.deepEqual([...got], want.value, `${where}: sizes`);
      assert.equal(String(got), want.repr, `${where}: repr`);
      return;
    case "dtype":
      assert.ok(got instanceof dtype, `${where}: expected a dtype, got ${String(got)}`);
      assert.equal(String(got), want.repr, `${where}: repr`);
      return;
    case "device":
      assert.ok(got instanceof device, `${where}: expected a device, got ${String(got)}`);
      // a case made on webgpu reports webgpu where PyTorch's (on cpu) reports cpu
      assert.equal(
        got.repr(),
        got.type === "webgpu" ? want.repr.replace("type='cpu'", "type='webgpu', index=0") : want.repr,
        `${where}: repr`,
      );
      return;
    case "bool":
      assert.equal(got, want.value, `${where}: bool`);
      return;
    case "int":
      assert.equal(typeof got, "number", `${where}: number expected, got ${String(got)}`);
      assert.equal(got, want.value, `${where}: int`);
      return;
    case "float": {
      assert.equal(typeof got, "number", `${where}: number expected, got ${String(got)}`);
      const w = decode(want.value) as number;
      assert.ok(closeFloat(got as number, w), `${where}: got ${got}, want ${w}`);
      return;
    }
    case "str":
      assert.equal(got, want.value, `${where}: str`);
      return;
    case "none":
      assert.ok(got === null || got === undefined, `${where}: expected None, got ${String(got)}`);
      return;
    case "tuple":
    case "list": {
      // Python tuples and lists are JS arrays (or array-likes such as return values)
      assert.ok(Array.isArray(got), `${where}: expected a ${want.type}, got ${String(got)}`);
      assert.equal(got.length, want.items.length, `${where}: length`);
      want.items.forEach((w, i) => compare(got[i], w, `${where}[${i}]`));
      return;
    }
    case "error":
      throw new Error(`${where}: expected ${want.error}: ${want.message}, got ${describe(got)}`);
  }
}

function checkError(e: unknown, want: { error: string; message: string }, where: string): void {
  const msg = e instanceof Error ? e.message : String(e);
  assert.equal(errorName(e), want.error, `${where}: error type (message: ${msg})`);
  const first = want.message.split("\n")[0];
  assert.ok(
    msg === want.message || msg === first,
    `${where}: message\n  got:  ${JSON.stringify(msg)}\n  want: ${JSON.stringify(want.message)}`,
  );
}

/** The repr check: exact, except that float values printed from webgpu may differ in the last digits. */
function checkRepr(got: unknown, want: string, where: string): void {
  const r = reprOf(got);
  if (r === want) return;
  if (r !== String(got)) want = unwrapSuffix(want);
  if (r === want) return;
  const gpu = got instanceof Tensor ? got._storage.slot.gpu : true;
  assert.ok(
    gpu && sameReprShape(r, want),
    `${where}: repr\n  got:  ${JSON.stringify(r)}\n  want: ${JSON.stringify(want)}`,
  );
}

/** Replays one case on `dev` (webgpu skips what it cannot replay: see onDeviceCase). */
async function runCase(c: Case, dev: string, skipped: string[]): Promise<void> {
  const fn = compile(c.ts);
  torch.manual_seed(0);
  const r = await onDeviceCase(dev, c, skipped, () => fn(torch));
  if (r === "skip") return;
  if ("error" in r) {
    if (c.expected.type !== "error") throw r.error;
    checkError(r.error, c.expected, c.id);
    return;
  }
  compare(r.value, c.expected, c.id);
}

Deno.test("ops fixture is complete", () => {
  assert.ok(fixture.cases.length >= 250, "at least 250 cases");
  const areas = new Set(fixture.cases.map((c) => c.area));
  for (
    const a of [
      "creation",
      "dtype",
      "pointwise",
      "reductions",
      "matmul",
      "shape",
      "views",
      "indexing",
      "conversions",
      "lesson1",
    ]
  ) {
    assert.ok(areas.has(a), `area ${a}`);
  }
  assert.ok(fixture.differences.length > 0);
});

await deviceSuites("ops parity", fixture.cases, runCase);

Deno.test("ops left out of the compared set: documented, and still close", async (t) => {
  for (const c of fixture.left_out) {
    await t.step(c.id, () => {
      assert.ok(fixture.differences.includes(c.reason), `${c.id}: its reason is listed in differences`);
      // not PyTorch's exact outcome (see the reason), but the same kind of result
      assert.equal(c.expected.type, "tensor", `${c.id}: only tensor results are left out`);
      const want = c.expected as Extract<Expected, { type: "tensor" }>;
      torch.manual_seed(0);
      const got = compile(c.ts)(torch);
      assert.ok(got instanceof Tensor, `${c.id}: a Tensor`);
      assert.equal(String(got.dtype), `torch.${want.dtype}`);
      assert.deepEqual([...got.shape], want.shape);
      compareValues(got.tolist(), want.values, got.dtype.is_floating_point, `${c.id}: values`);
    });
  }
});

Deno.test("ops parity: dtypes the engine cannot hold raise a clear error", async (t) => {
  for (const c of fixture.ts_only) {
    await t.step(c.id, () => {
      // PyTorch accepts these (recorded as the fixture's `pytorch` outcome)
      assert.notEqual(c.pytorch.type, "error", `${c.id}: PyTorch fails here, so it belongs in cases`);
      const fn = compile(c.ts);
      torch.manual_seed(0);
      assert.throws(
        () => fn(torch),
        (e: unknown) => {
          assert.equal(errorName(e), c.expect_error, `${c.id}: error type`);
          assert.ok(
            e instanceof Error && e.message.includes(c.message_contains),
            `${c.id}: message ${e instanceof Error ? e.message : e} lacks ${c.message_contains}`,
          );
          return true;
        },
      );
    });
  }
});
