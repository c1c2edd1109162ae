/**
 * nn parity: replays tests/fixtures/nn.json (written by gen_nn.py with real
 * PyTorch) through the facade: seeded initialisation, forward values,
 * gradients, grad_fn names, module printing, state dicts, train/eval,
 * losses, errors and warnings. Needs no PyTorch.
 */
import assert from "node:assert/strict";
import { F, nn, torch } from "../../mod.ts";
import { compare, describe, type Expected } from "./compare.ts";
import { deviceSuites, onDeviceCase } from "../parity.ts";
import { TorchError } from "../../lib/errors.ts";
import { helpers } from "./helpers.ts";
import { _poolPath } from "../../lib/nn/functional.ts";
import fixtureJson from "../fixtures/nn.json" with { type: "json" };

interface Case {
  area: string;
  id: string;
  python: string;
  ts: string;
  expected: Expected;
  warnings?: string[];
}

interface LeftOut extends Case {
  reason: string;
}

interface TsOnly extends Case {
  expect_error: string;
  message_contains: string;
  reason: string;
}

interface Fixture {
  torch_version: string;
  prelude: string;
  differences: string[];
  cases: Case[];
  left_out: LeftOut[];
  ts_only: TsOnly[];
}

const fixture = fixtureJson as unknown as Fixture;

type CaseFn = (t: typeof torch, n: typeof nn, f: typeof F, h: typeof helpers) => unknown;

/** Builds `(torch, nn, F, H) => { ...statements; return (last); }` from `a; b; last`. */
function compile(code: string): CaseFn {
  const parts = code.split(";").map((p) => p.trim()).filter((p) => p !== "");
  const last = parts.pop();
  const prelude = `const { ${Object.keys(helpers).join(", ")} } = H;`;
  const body = [prelude, ...parts.map((p) => p + ";"), `return (${last});`].join("\n");
  return new Function("torch", "nn", "F", "H", body) as CaseFn;
}

function errorName(e: unknown): string {
  if (e instanceof TorchError) return e.pyName;
  return e instanceof Error ? e.name : typeof e;
}

/** Runs a case on `dev` with console.warn captured; returns its value or error and the warnings ("skip": see onDeviceCase). */
async function execute(
  c: Case,
  dev = "cpu",
  skipped: string[] = [],
): Promise<{ value?: unknown; error?: unknown; warnings: string[] } | "skip"> {
  const fn = compile(c.ts);
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => warnings.push(a.map(String).join(" "));
  torch.manual_seed(0);
  try {
    const r = await onDeviceCase(dev, c, skipped, () => fn(torch, nn, F, helpers));
    if (r === "skip") return r;
    return "error" in r ? { error: r.error, warnings } : { value: r.value, warnings };
  } finally {
    console.warn = warn;
    torch.set_grad_enabled(true); // a failed case must not leave grad mode off for the next
  }
}

async function runCase(c: Case, dev = "cpu", skipped: string[] = []): Promise<void> {
  const r = await execute(c, dev, skipped);
  if (r === "skip") return;
  if (r.error !== undefined) {
    if (c.expected.type !== "error") throw r.error;
    const msg = r.error instanceof Error ? r.error.message : String(r.error);
    assert.equal(errorName(r.error), c.expected.error, `${c.id}: error type (message: ${msg})`);
    assert.equal(msg, c.expected.message, `${c.id}: message`);
  } else {
    compare(r.value, c.expected, c.id);
  }
  assert.deepEqual(r.warnings, c.warnings ?? [], `${c.id}: warnings`);
}

Deno.test("nn fixture is complete", () => {
  assert.ok(fixture.cases.length >= 400, "at least 400 cases");
  const areas = new Set(fixture.cases.map((c) => c.area));
  for (
    const a of [
      "init",
      "linear",
      "conv",
      "pool",
      "batchnorm",
      "dropout",
      "activation",
      "embedding",
      "containers",
      "module",
      "loss",
      "lesson",
    ]
  ) {
    assert.ok(areas.has(a), `area ${a}`);
  }
});

await deviceSuites("nn parity", fixture.cases, runCase);

Deno.test("nn parity: pool, engine path (the one non-cpu devices take)", async (t) => {
  _poolPath.host = false;
  try {
    for (const c of fixture.cases.filter((x) => x.area === "pool")) {
      await t.step(c.id, () => runCase(c));
    }
  } finally {
    _poolPath.host = true;
  }
});

Deno.test("nn left out of the compared set: documented, and the same kind of result", async (t) => {
  for (const c of fixture.left_out) {
    await t.step(c.id, async () => {
      assert.ok(fixture.differences.includes(c.reason), `${c.id}: its reason is listed in differences`);
      const r = await execute(c);
      if (r === "skip") throw new Error("cpu cases are never skipped");
      if (r.error !== undefined) throw r.error;
      assert.equal(typeof r.value, typeof c.expected);
    });
  }
});

Deno.test("nn: what the engine cannot do raises a clear error", async (t) => {
  for (const c of fixture.ts_only) {
    await t.step(c.id, async () => {
      assert.ok(fixture.differences.includes(c.reason), `${c.id}: its reason is listed in differences`);
      assert.notEqual(c.expected.type, "error", `${c.id}: PyTorch runs it`);
      const r = await execute(c);
      if (r === "skip") throw new Error("cpu cases are never skipped");
      assert.ok(r.error !== undefined, `${c.id}: expected ${c.expect_error}, got ${describe(r.value)}`);
      assert.equal(errorName(r.error), c.expect_error, `${c.id}: error type`);
      const msg = r.error instanceof Error ? r.error.message : String(r.error);
      assert.ok(msg.includes(c.message_contains), `${c.id}: message ${msg} lacks ${c.message_contains}`);
    });
  }
});
