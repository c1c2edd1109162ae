import assert from "node:assert/strict";
import {
  formatTensor,
  formatTensorData,
  get_printoptions,
  PRINT_OPTS,
  type PrintDType,
  pyFormatExp,
  pyFormatFixed,
  set_printoptions,
} from "../../lib/tensor/format.ts";
import fixtureJson from "../fixtures/format.json" with { type: "json" };

type JsonValue = number | boolean | string;

interface FixtureOptions {
  precision?: number;
  threshold?: number | string;
  edgeitems?: number;
  linewidth?: number;
  profile?: "default" | "short" | "full";
  sci_mode?: boolean | null;
}

interface FixtureCase {
  name: string;
  values: JsonValue[];
  shape: number[];
  dtype: PrintDType;
  expected: string;
  options?: FixtureOptions;
  device?: string;
  grad_fn?: string;
  requires_grad?: boolean;
  indent?: number;
}

interface Fixture {
  torch_version: string;
  cases: FixtureCase[];
  data_cases: FixtureCase[];
  scalars: [number, number, string | null, string][];
}

const fixture = fixtureJson as unknown as Fixture;

function decode(v: JsonValue): number | boolean {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  if (typeof v === "string") throw new Error(`bad fixture value ${v}`);
  return v;
}

function withOptions<T>(opts: FixtureOptions | undefined, fn: () => T): T {
  set_printoptions({ profile: "default" });
  if (opts) {
    const { threshold, ...rest } = opts;
    set_printoptions({
      ...rest,
      ...(threshold === undefined ? {} : { threshold: typeof threshold === "string" ? Infinity : threshold }),
    });
  }
  try {
    return fn();
  } finally {
    set_printoptions({ profile: "default" });
  }
}

Deno.test("fixture: repr matches PyTorch", async (t) => {
  assert.ok(fixture.cases.length > 200);
  for (const c of fixture.cases) {
    await t.step(c.name, () => {
      const got = withOptions(c.options, () =>
        formatTensor({
          values: c.values.map(decode),
          shape: c.shape,
          dtype: c.dtype,
          device: c.device,
          grad_fn: c.grad_fn,
          requires_grad: c.requires_grad,
        }));
      assert.equal(got, c.expected);
    });
  }
});

Deno.test("fixture: _tensor_str with explicit indent", () => {
  for (const c of fixture.data_cases) {
    const got = withOptions(
      c.options,
      () => formatTensorData(c.values.map(decode), c.shape, c.dtype, c.indent ?? 7),
    );
    assert.equal(got, c.expected, c.name);
  }
});

Deno.test("fixture: Python '{:.Nf}' and '{:.Ne}'", () => {
  for (const [x, p, fixed, exp] of fixture.scalars) {
    if (fixed !== null) assert.equal(pyFormatFixed(x, p), fixed, `${x} .${p}f`);
    assert.equal(pyFormatExp(x, p), exp, `${x} .${p}e`);
  }
});

Deno.test("pyFormat: half-even ties and special values", () => {
  assert.equal(pyFormatFixed(0.03125, 4), "0.0312");
  assert.equal(pyFormatFixed(0.09375, 4), "0.0938");
  assert.equal(pyFormatFixed(2.5, 0), "2");
  assert.equal(pyFormatFixed(3.5, 0), "4");
  assert.equal(pyFormatFixed(-2.5, 0), "-2");
  assert.equal(pyFormatFixed(-0, 4), "-0.0000");
  assert.equal(pyFormatFixed(-1e-9, 4), "-0.0000");
  assert.equal(pyFormatFixed(0, 0), "0");
  assert.equal(pyFormatFixed(-0, 0), "-0");
  assert.equal(pyFormatFixed(1e21, 1), "1000000000000000000000.0");
  assert.equal(pyFormatFixed(NaN, 4), "nan");
  assert.equal(pyFormatFixed(Infinity, 4), "inf");
  assert.equal(pyFormatFixed(-Infinity, 4), "-inf");
  assert.equal(pyFormatExp(1.03125, 4), "1.0312e+00");
  assert.equal(pyFormatExp(123465, 4), "1.2346e+05");
  assert.equal(pyFormatExp(123475, 4), "1.2348e+05");
  // the double nearest 9.99995 is slightly above the tie
  assert.equal(pyFormatExp(9.99995, 4), "1.0000e+01");
  assert.equal(pyFormatExp(0.15625, 3), "1.562e-01");
  assert.equal(pyFormatExp(1e-5, 4), "1.0000e-05");
  assert.equal(pyFormatExp(1e100, 4), "1.0000e+100");
  assert.equal(pyFormatExp(0, 4), "0.0000e+00");
  assert.equal(pyFormatExp(-0, 2), "-0.00e+00");
  assert.equal(pyFormatExp(1.5, 0), "2e+00");
  assert.equal(pyFormatExp(2.5, 0), "2e+00");
  assert.equal(pyFormatExp(5e-324, 3), "4.941e-324");
  assert.equal(pyFormatExp(NaN, 4), "nan");
  assert.equal(pyFormatExp(-Infinity, 4), "-inf");
  assert.equal(pyFormatFixed(0.5, 120), "0.5" + "0".repeat(119));
  assert.equal(pyFormatExp(0.5, 120), "5." + "0".repeat(120) + "e-01");
});

Deno.test("pyFormat: fast path agrees with exact path on many values", () => {
  // Compare against values whose Python text is derivable: for random dyadic
  // values, formatting at a precision with enough digits is exact, and the
  // rounded versions must equal rounding that exact string half-to-even.
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const f32 = new Float32Array(1);
  for (let i = 0; i < 5000; i++) {
    const k = Math.floor(rand() * 1e6) - 5e5;
    const bits = Math.floor(rand() * 12);
    let x = k / 2 ** bits;
    if (i % 2 === 0) {
      f32[0] = (rand() - 0.5) * 10 ** Math.floor(rand() * 16 - 8);
      x = f32[0];
    }
    for (const p of [0, 1, 2, 4, 6]) {
      const full = pyFormatFixed(x, 60); // exact for these values
      assert.equal(pyFormatFixed(x, p), roundFixedString(full, p), `${x} ${p}`);
      if (x !== 0) {
        assert.equal(pyFormatExp(x, p), roundExpString(full, p), `${x} ${p}e`);
      }
    }
  }
});

/** Round a long exact fixed-point string (|x| < 1e21) to p digits, ties-even. */
function roundFixedString(s: string, p: number): string {
  const neg = s.startsWith("-");
  const body = neg ? s.slice(1) : s;
  const [ip, fp] = body.split(".");
  const digits = BigInt(ip + fp.slice(0, p));
  const rest = fp.slice(p);
  const half = "5" + "0".repeat(rest.length - 1);
  let q = digits;
  if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  let out = q.toString();
  if (p > 0) {
    out = out.padStart(p + 1, "0");
    out = out.slice(0, -p) + "." + out.slice(-p);
  }
  return (neg ? "-" : "") + out;
}

/** Scientific form of a long exact fixed-point string (non-zero), ties-even. */
function roundExpString(s: string, p: number): string {
  const neg = s.startsWith("-");
  const [ip, fp] = (neg ? s.slice(1) : s).split(".");
  const all = ip + fp;
  const first = all.search(/[1-9]/);
  let e = ip.length - 1 - first;
  const sig = all.slice(first).padEnd(p + 2, "0");
  let q = BigInt(sig.slice(0, p + 1));
  const rest = sig.slice(p + 1);
  const half = "5" + "0".repeat(rest.length - 1);
  if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  if (q === 10n ** BigInt(p + 1)) {
    q /= 10n;
    e++;
  }
  const d = q.toString();
  const mant = p === 0 ? d : d[0] + "." + d.slice(1);
  const ae = Math.abs(e);
  return (neg ? "-" : "") + mant + (e < 0 ? "e-" : "e+") +
    String(ae).padStart(2, "0");
}

Deno.test("formatTensor: hand-written examples", () => {
  set_printoptions({ profile: "default" });
  assert.equal(
    formatTensor({ values: [1, 2], shape: [2], dtype: "float32" }),
    "tensor([1., 2.])",
  );
  assert.equal(
    formatTensor({
      values: [1, 2],
      shape: [2],
      dtype: "float32",
      requires_grad: true,
    }),
    "tensor([1., 2.], requires_grad=True)",
  );
  assert.equal(
    formatTensor({
      values: [0.5, 1.25],
      shape: [2],
      dtype: "float32",
      grad_fn: "DivBackward1",
      requires_grad: true,
    }),
    "tensor([0.5000, 1.2500], grad_fn=<DivBackward1>)",
  );
  assert.equal(
    formatTensor({
      values: [1, 2],
      shape: [2],
      dtype: "int32",
      device: "webgpu:0",
    }),
    "tensor([1, 2], device='webgpu:0', dtype=torch.int32)",
  );
  assert.equal(
    formatTensor({ values: [1, 2], shape: [2], dtype: "int64", device: "cpu" }),
    "tensor([1, 2])",
  );
  assert.equal(
    formatTensor({ values: [], shape: [0, 3], dtype: "int64" }),
    "tensor([], size=(0, 3), dtype=torch.int64)",
  );
  assert.equal(
    formatTensor({ values: [], shape: [0], dtype: "float32" }),
    "tensor([])",
  );
  assert.equal(
    formatTensor({ values: [true, false], shape: [2], dtype: "bool" }),
    "tensor([ True, False])",
  );
  assert.equal(
    formatTensor({ values: [3], shape: [], dtype: "float32" }),
    "tensor(3.)",
  );
  assert.equal(
    formatTensor({
      values: [1, 2, 3, 4],
      shape: [2, 2],
      dtype: "float32",
      prefix: "Tensor(",
    }),
    "Tensor([[1., 2.],\n        [3., 4.]])",
  );
  assert.equal(
    formatTensorData(new Float32Array([1, 2, 3, 4]), [2, 2], "float32", 7),
    "[[1., 2.],\n        [3., 4.]]",
  );
  assert.throws(() => formatTensorData([1, 2], [3], "float32", 7), RangeError);
  assert.throws(() => formatTensorData([1, 2], [-1], "float32", 7), RangeError);
});

Deno.test("set_printoptions / get_printoptions semantics", () => {
  set_printoptions({ profile: "default" });
  assert.deepEqual(get_printoptions(), {
    precision: 4,
    threshold: 1000,
    edgeitems: 3,
    linewidth: 80,
    sci_mode: null,
  });
  set_printoptions({ profile: "short", precision: 3, sci_mode: true });
  assert.deepEqual(get_printoptions(), {
    precision: 3,
    threshold: 1000,
    edgeitems: 2,
    linewidth: 80,
    sci_mode: true,
  });
  // like torch: sci_mode is reset to None whenever it is not passed
  set_printoptions({ linewidth: 100 });
  assert.equal(PRINT_OPTS.sci_mode, null);
  assert.equal(PRINT_OPTS.linewidth, 100);
  set_printoptions({ profile: "full" });
  assert.equal(PRINT_OPTS.threshold, Infinity);
  const copy = get_printoptions();
  copy.precision = 99;
  assert.equal(PRINT_OPTS.precision, 4);
  set_printoptions({ profile: "default" });
  assert.equal(PRINT_OPTS.threshold, 1000);
});

Deno.test("performance: 1000-element tensor formats in a few ms", () => {
  set_printoptions({ profile: "default" });
  const values = new Float32Array(1000);
  let s = 1;
  for (let i = 0; i < values.length; i++) {
    s = (s * 16807) % 2147483647;
    values[i] = (s / 2147483647 - 0.5) * 8;
  }
  const tieValues = Array.from({ length: 1000 }, (_, i) => (i - 500) / 32);
  // warm up
  formatTensor({ values, shape: [1000], dtype: "float32" });
  for (const v of [values, tieValues]) {
    const t0 = performance.now();
    const n = 20;
    for (let i = 0; i < n; i++) {
      formatTensor({ values: v, shape: [10, 100], dtype: "float32" });
    }
    const ms = (performance.now() - t0) / n;
    assert.ok(ms < 20, `took ${ms.toFixed(2)} ms`);
  }
});
