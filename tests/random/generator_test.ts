/**
 * Replays tests/fixtures/random.json (made by tests/fixtures/gen_random.py with PyTorch 1.13)
 * on lib/random/generator.ts. No PyTorch needed.
 */
import assert from "node:assert/strict";
import { default_generator, Generator } from "../../lib/random/generator.ts";
import fixture from "../fixtures/random.json" with { type: "json" };

interface Summary {
  n: number;
  fnv1a32: number;
  sum: number;
  samples: [number, number][];
}

interface Op {
  op: string;
  n?: number;
  shape?: number[];
  from?: number;
  to?: number;
  mean?: number;
  std?: number;
  low?: number;
  high?: number;
  value?: string;
  base64?: string;
  values?: number[];
  summary?: Summary;
}

interface Case {
  name: string;
  seed: string;
  ops: Op[];
}

const cases = (fixture as unknown as { cases: Case[] }).cases;

/** FNV-1a (32-bit) over bytes, as in gen_random.py. */
function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function int32Bytes(values: Float64Array): Uint8Array {
  return new Uint8Array(Int32Array.from(values).buffer);
}

function seedOf(c: Case): bigint {
  return BigInt(c.seed);
}

/**
 * Normal tolerance: 1e-6 absolute, relative beyond |x| > 1, and measured in units of the
 * standard-normal draw z = (x - mean) / std (so std = 3 or x near a cancelling mean still passes).
 */
function assertClose(
  actual: number,
  expected: number,
  where: string,
  mean = 0,
  std = 1,
): void {
  const z = Math.abs((expected - mean) / (std || 1));
  const tol = 1e-6 * Math.max(1, Math.abs(expected), std * Math.max(1, z));
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${where}: got ${actual}, expected ${expected} (diff ${Math.abs(actual - expected)})`,
  );
}

function checkFloatsExact(got: Float32Array, op: Op, where: string): void {
  if (op.values) {
    assert.deepEqual(Array.from(got), op.values, where);
    return;
  }
  const s = op.summary!;
  assert.equal(got.length, s.n, `${where}: length`);
  for (const [i, v] of s.samples) assert.equal(got[i], v, `${where}[${i}]`);
  assert.equal(
    fnv1a32(new Uint8Array(got.buffer)),
    s.fnv1a32,
    `${where}: checksum`,
  );
}

function checkFloatsClose(got: Float32Array, op: Op, where: string): void {
  const mean = op.mean ?? 0;
  const std = op.std ?? 1;
  if (op.values) {
    assert.equal(got.length, op.values.length, `${where}: length`);
    op.values.forEach((v, i) => assertClose(got[i], v, `${where}[${i}]`, mean, std));
    return;
  }
  const s = op.summary!;
  assert.equal(got.length, s.n, `${where}: length`);
  for (const [i, v] of s.samples) {
    assertClose(got[i], v, `${where}[${i}]`, mean, std);
  }
  let sum = 0;
  for (let i = 0; i < got.length; i++) sum += got[i];
  assert.ok(
    Math.abs(sum - s.sum) <= 1e-6 * got.length,
    `${where}: sum ${sum} vs ${s.sum}`,
  );
}

function checkInts(got: Float64Array, op: Op, where: string): void {
  if (op.values) {
    assert.deepEqual(Array.from(got), op.values, where);
    return;
  }
  const s = op.summary!;
  assert.equal(got.length, s.n, `${where}: length`);
  for (const [i, v] of s.samples) assert.equal(got[i], v, `${where}[${i}]`);
  let sum = 0;
  for (let i = 0; i < got.length; i++) sum += got[i];
  assert.equal(sum, s.sum, `${where}: sum`);
  assert.equal(fnv1a32(int32Bytes(got)), s.fnv1a32, `${where}: checksum`);
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** PyTorch's state struct has uninitialised padding at [5044, 5048) and [5053, 5056). */
function withoutPadding(b: Uint8Array): Uint8Array {
  const c = b.slice();
  c.fill(0, 5044, 5048);
  c.fill(0, 5053, 5056);
  return c;
}

/** Run one fixture op on g and compare. */
function runOp(g: Generator, op: Op, where: string): void {
  switch (op.op) {
    case "rand":
      return checkFloatsExact(g.uniform(op.n!), op, where);
    case "uniform":
      return checkFloatsExact(g.uniform(op.n!, op.from, op.to), op, where);
    case "randn":
      return checkFloatsClose(g.normal(op.n!), op, where);
    case "normal":
      return checkFloatsClose(g.normal(op.n!, op.mean, op.std), op, where);
    case "randint":
      return checkInts(g.randint(op.n!, op.low!, op.high!), op, where);
    case "random_":
      return checkInts(g.random_(op.n!, op.from!, op.to!), op, where);
    case "randperm":
      return checkInts(g.randperm(op.n!), op, where);
    case "random64":
      assert.equal(g.nextUint64() & (2n ** 63n - 1n), BigInt(op.value!), where);
      return;
    case "sampler": {
      // RandomSampler: a 63-bit seed from the global stream seeds a fresh generator.
      const epochSeed = g.nextUint64() & (2n ** 63n - 1n);
      const order = new Generator(epochSeed).randperm(op.n!);
      assert.deepEqual(Array.from(order), op.values, where);
      return;
    }
    case "initial_seed":
      assert.equal(BigInt(g.initial_seed()), BigInt(op.value!), where);
      return;
    case "get_state": {
      const expected = decodeBase64(op.base64!);
      const got = g.get_state();
      assert.equal(got.length, expected.length, `${where}: state size`);
      assert.deepEqual(
        withoutPadding(got),
        withoutPadding(expected),
        `${where}: state bytes`,
      );
      // Also: loading PyTorch's bytes gives the same state back.
      const loaded = new Generator().set_state(expected).get_state();
      assert.deepEqual(
        withoutPadding(loaded),
        withoutPadding(expected),
        `${where}: reload`,
      );
      return;
    }
    default:
      throw new Error(`unknown fixture op ${op.op}`);
  }
}

Deno.test("fixture was generated and is non-trivial", () => {
  assert.ok(cases.length > 50);
});

for (const c of cases) {
  Deno.test(`pytorch: seed ${c.seed}: ${c.name}`, () => {
    const g = new Generator().manual_seed(seedOf(c));
    c.ops.forEach((op, k) => runOp(g, op, `${c.name} (seed ${c.seed}) op#${k} ${op.op}`));
  });
}

Deno.test("pytorch: ops continue correctly from a state loaded from PyTorch bytes", () => {
  for (const c of cases) {
    c.ops.forEach((op, k) => {
      if (op.op !== "get_state") return;
      const g = new Generator().set_state(decodeBase64(op.base64!));
      for (const next of c.ops.slice(k + 1)) {
        runOp(g, next, `${c.name}: after loaded state #${k}: ${next.op}`);
      }
    });
  }
});

Deno.test("defaults: seed 67280421310721 like torch.Generator()", () => {
  const g = new Generator();
  assert.equal(g.initial_seed(), 67280421310721);
  const h = new Generator(67280421310721);
  assert.equal(g.nextUint32(), h.nextUint32());
  assert.ok(default_generator instanceof Generator);
});

Deno.test("MT19937 reference outputs (init_genrand(5489))", () => {
  const g = new Generator(5489);
  const first = [3499211612, 581869302, 3890346734, 3586334585, 545404204];
  assert.deepEqual(first.map(() => g.nextUint32()), first);
  const h = new Generator(5489);
  for (let i = 0; i < 9999; i++) h.nextUint32();
  assert.equal(h.nextUint32(), 4123659995); // the C++11 std::mt19937 check value
});

Deno.test("seed: low 32 bits drive the stream; initial_seed keeps the full value", () => {
  const a = new Generator(2n ** 32n + 5n);
  const b = new Generator(5);
  assert.equal(a.nextUint32(), b.nextUint32());
  assert.equal(a.initial_seed(), 2 ** 32 + 5);
  assert.equal(new Generator(2n ** 60n + 7n).initial_seed(), 2n ** 60n + 7n);
  assert.equal(new Generator(-1).initial_seed(), 2n ** 64n - 1n);
  assert.throws(() => new Generator(2n ** 64n), RangeError);
  assert.throws(() => new Generator(-(2n ** 63n) - 1n), RangeError);
  assert.throws(() => new Generator(1.5), RangeError);
});

Deno.test("seed(): applies and returns a new seed", () => {
  const g = new Generator();
  const s = g.seed();
  assert.equal(g.initial_seed(), s);
  const first = g.nextUint32();
  assert.equal(new Generator(s).nextUint32(), first);
});

Deno.test("nextUint64: first output is the high half", () => {
  const g = new Generator(0);
  const h = new Generator(0);
  const hi = h.nextUint32();
  const lo = h.nextUint32();
  assert.equal(g.nextUint64(), (BigInt(hi) << 32n) | BigInt(lo));
});

Deno.test("manual_seed clears the normal cache", () => {
  const g = new Generator(0);
  g.normal(1); // leaves the sine sample cached
  g.manual_seed(0);
  assert.deepEqual(g.normal(1), new Generator(0).normal(1));
});

Deno.test("get_state/set_state round-trips MT position and normal cache", () => {
  const g = new Generator(123);
  for (const prep of [0, 1, 623, 624, 625, 1300]) {
    g.manual_seed(123);
    for (let i = 0; i < prep; i++) g.nextUint32();
    g.normal(3); // odd count: cache left valid
    const s = g.get_state();
    const a = [g.normal(5), g.uniform(700), g.randperm(20)];
    const h = new Generator(9).set_state(s);
    assert.deepEqual(h.get_state(), s);
    const b = [h.normal(5), h.uniform(700), h.randperm(20)];
    assert.deepEqual(b, a);
    assert.equal(h.initial_seed(), 123);
  }
  // A freshly seeded state round-trips too.
  const f = new Generator(77).get_state();
  assert.deepEqual(new Generator().set_state(f).get_state(), f);
  assert.throws(() => g.set_state(new Uint8Array(10)), RangeError);
});

Deno.test("randint/random_ validate arguments and use random64 for wide ranges", () => {
  const g = new Generator(0);
  assert.throws(() => g.randint(3, 5, 5), RangeError);
  assert.throws(() => g.random_(3, 0.5, 5), RangeError);
  assert.throws(() => g.uniform(3, 1, 0), RangeError);
  assert.throws(() => g.normal(3, 0, -1), RangeError);
  assert.throws(() => g.randperm(-1), RangeError);
  const wide = new Generator(0).randint(4, 0, 2 ** 40);
  const ref = new Generator(0);
  for (const v of wide) assert.equal(v, Number(ref.nextUint64() % 2n ** 40n));
  assert.deepEqual(
    new Generator(1).random_(50, -3, 9),
    new Generator(1).randint(50, -3, 9),
  );
});

Deno.test("empty sizes consume nothing", () => {
  const g = new Generator(0);
  assert.equal(g.uniform(0).length, 0);
  assert.equal(g.normal(0).length, 0);
  assert.equal(g.randint(0, 0, 5).length, 0);
  assert.equal(g.randperm(0).length, 0);
  assert.equal(g.nextUint32(), new Generator(0).nextUint32());
});

Deno.test("bernoulli: seeded, reproducible, follows the uniform stream", () => {
  const a = new Generator(5).bernoulli(20000, 0.3);
  const b = new Generator(5).bernoulli(20000, 0.3);
  assert.deepEqual(a, b);
  const u = new Generator(5).uniform(20000);
  a.forEach((v, i) => assert.equal(v, u[i] < 0.3 ? 1 : 0));
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean - 0.3) < 0.015, `mean ${mean}`);
  assert.ok(new Generator(1).bernoulli(100, 1).every((v) => v === 1));
  assert.ok(new Generator(1).bernoulli(100, 0).every((v) => v === 0));
  const p = new Float32Array(4).fill(0.5);
  p[0] = 0;
  p[3] = 1;
  const m = new Generator(2).bernoulli(4, p);
  assert.equal(m[0], 0);
  assert.equal(m[3], 1);
  assert.throws(() => new Generator(2).bernoulli(3, p), RangeError);
  assert.throws(() => new Generator(2).bernoulli(3, 1.5), RangeError);
});

Deno.test("normal: large-sample moments on both paths", () => {
  const g = new Generator(3);
  const x = g.normal(200000, 2, 0.5);
  let s = 0;
  let s2 = 0;
  for (const v of x) {
    s += v;
    s2 += v * v;
  }
  const mean = s / x.length;
  const std = Math.sqrt(s2 / x.length - mean * mean);
  assert.ok(Math.abs(mean - 2) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.5) < 0.01, `std ${std}`);
  let t = 0;
  for (let i = 0; i < 20000; i++) t += g.normal(1)[0];
  assert.ok(Math.abs(t / 20000) < 0.05);
});

Deno.test("performance: randn(1e6) and rand(1e6) are fast", () => {
  const g = new Generator(0);
  g.normal(1e6); // warm up
  g.uniform(1e6);
  const t0 = performance.now();
  g.normal(1e6);
  const t1 = performance.now();
  g.uniform(1e6);
  const t2 = performance.now();
  g.randperm(1e6);
  const t3 = performance.now();
  console.log(
    `randn(1e6) ${(t1 - t0).toFixed(1)} ms, rand(1e6) ${(t2 - t1).toFixed(1)} ms, ` +
      `randperm(1e6) ${(t3 - t2).toFixed(1)} ms`,
  );
  // Generous bound (shared CI machines); a few ms is typical.
  assert.ok(t1 - t0 < 500, `randn(1e6) took ${t1 - t0} ms`);
});

/** Straightforward float32 block-of-16 transform with Math.log/cos/sin, as a reference. */
function referenceNormal(seed: number, n: number, mean: number, std: number) {
  const fr = Math.fround;
  const d = new Generator(seed).uniform(n);
  const m = fr(mean);
  const s = fr(std);
  const twoPi = fr(2 * Math.PI);
  for (let o = 0; o + 16 <= n; o += 16) {
    for (let j = 0; j < 8; j++) {
      const radius = fr(Math.sqrt(fr(-2 * fr(Math.log(fr(1 - d[o + j]))))));
      const theta = fr(twoPi * d[o + j + 8]);
      d[o + j] = fr(radius * fr(Math.cos(theta))) * s + m;
      d[o + j + 8] = fr(radius * fr(Math.sin(theta))) * s + m;
    }
  }
  return d;
}

Deno.test("normal(>=16): fast log/sincos kernels match Math.log/cos/sin in float32", () => {
  for (const [seed, mean, std] of [[0, 0, 1], [11, -1, 3]]) {
    const n = 200000; // a multiple of 16, so no tail refill in the reference
    const ref = referenceNormal(seed, n, mean, std);
    const got = new Generator(seed).normal(n, mean, std);
    let differ = 0;
    for (let i = 0; i < n; i++) {
      if (got[i] !== ref[i]) {
        differ++;
        assertClose(got[i], ref[i], `seed ${seed} [${i}]`, mean, std);
      }
    }
    assert.ok(differ <= n * 1e-4, `${differ} of ${n} differ`);
  }
});
