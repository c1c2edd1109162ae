/**
 * PyTorch-exact CPU random numbers (PyTorch 1.13 `CPUGeneratorImpl`), in plain TypeScript.
 *
 * A {@link Generator} is an MT19937 engine plus the one-sample normal cache PyTorch keeps.
 * After the same `manual_seed`, `uniform` / `randint` / `randperm` / `random_` reproduce
 * `torch.rand` / `torch.randint` / `torch.randperm` / `Tensor.random_` bit-exactly. `normal`
 * reproduces `torch.randn` / `Tensor.normal_` bit-exactly below 16 elements (double Box-Muller),
 * and within a few float32 ulps from 16 elements on: there PyTorch's x86-64 AVX2 kernel uses
 * approximate SIMD log/sin/cos (about 83% of values come out bit-identical, the rest 1-3 ulps off).
 * `get_state` / `set_state` use the byte layout of `torch.get_rng_state()`.
 *
 * No dependencies; hot paths use only 32-bit integer and double arithmetic (no BigInt).
 *
 * @example
 * ```ts
 * import { Generator } from "./generator.ts";
 * const g = new Generator().manual_seed(0);
 * g.uniform(2); // Float32Array [0.49625658988952637, 0.7682217955589294] as torch.rand(2)
 * ```
 * @module
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

const TWO_POW_32 = 4294967296;
const TWO_POW_M24 = 1 / 16777216; // 2**-24
const TWO_POW_M53 = 1 / 9007199254740992; // 2**-53
const TWO_PI = 2 * Math.PI;
const TWO_PI_F32 = Math.fround(2 * Math.PI);

const UINT64_MASK = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Size in bytes of PyTorch 1.13's `torch.get_rng_state()` for the CPU generator. */
const STATE_SIZE = 5056;
/** Size of the legacy (`THGeneratorState` only) state that PyTorch also accepts. */
const LEGACY_STATE_SIZE = 5048;
// Byte offsets in PyTorch's CPUGeneratorImplState (little-endian, x86-64 layout).
const OFF_SEED = 0; // uint64 the_initial_seed
const OFF_LEFT = 8; // int32 left
const OFF_SEEDED = 12; // int32 seeded
const OFF_NEXT = 16; // uint64 next
const OFF_STATE = 24; // uint64 state[624] (each holds a uint32)
const OFF_NORMAL_X = 5016; // double (unused)
const OFF_NORMAL_Y = 5024; // double: cached double normal sample
const OFF_NORMAL_RHO = 5032; // double (unused)
const OFF_NORMAL_VALID = 5040; // int32
const OFF_FLOAT_NORMAL = 5048; // float next_float_normal_sample
const OFF_FLOAT_NORMAL_VALID = 5052; // bool

/** MT19937 state transition ("twist") of all 624 words, in place. */
function twist(mt: Int32Array): void {
  let kk = 0;
  let y: number;
  for (; kk < N - M; kk++) {
    y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
    mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  }
  for (; kk < N - 1; kk++) {
    y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
    mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  }
  y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
  mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
}

/** MT19937 tempering of one state word; the result is an int32 (apply `>>> 0` for uint32). */
function temper(x: number): number {
  let y = x ^ (x >>> 11);
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  return y ^ (y >>> 18);
}

/**
 * Write float32 uniforms (r & 0xFFFFFF) * 2**-24 to out[start..end) from the MT state at index k;
 * returns the new index. Module-level and blocked per twist so V8 compiles one tight loop.
 */
function fillUnit24(
  mt: Int32Array,
  k: number,
  out: Float32Array,
  start: number,
  end: number,
): number {
  let i = start;
  while (i < end) {
    if (k >= N) {
      twist(mt);
      k = 0;
    }
    const stop = Math.min(end, i + (N - k));
    for (; i < stop; i++) {
      const x = mt[k++];
      let y = x ^ (x >>> 11);
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= y >>> 18;
      out[i] = (y & 0xffffff) * TWO_POW_M24;
    }
  }
  return k;
}

/** Write `count` raw uint32 outputs to out[0..count) from index k; returns the new index. */
function fillRaw(
  mt: Int32Array,
  k: number,
  out: Uint32Array,
  count: number,
): number {
  let i = 0;
  while (i < count) {
    if (k >= N) {
      twist(mt);
      k = 0;
    }
    const stop = Math.min(count, i + (N - k));
    for (; i < stop; i++) {
      const x = mt[k++];
      let y = x ^ (x >>> 11);
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      out[i] = y ^ (y >>> 18);
    }
  }
  return k;
}

function checkCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${what}: n must be a non-negative integer, got ${n}`);
  }
}

function toUint64Seed(seed: number | bigint): bigint {
  let s: bigint;
  if (typeof seed === "bigint") {
    s = seed;
  } else {
    if (!Number.isInteger(seed)) {
      throw new RangeError(`seed must be an integer, got ${seed}`);
    }
    s = BigInt(seed);
  }
  if (s < INT64_MIN || s > UINT64_MASK) {
    throw new RangeError(`seed ${s} is outside [-(2**63), 2**64)`);
  }
  return BigInt.asUintN(64, s);
}

function seedOut(u: bigint): number | bigint {
  return u <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(u) : u;
}

/**
 * A PyTorch-compatible CPU random generator (MT19937 + normal cache).
 *
 * @example
 * ```ts
 * const g = new Generator(42);
 * const x = g.normal(16);       // == torch.manual_seed(42); torch.randn(16)
 * const p = g.randperm(10);     // continues the same stream
 * ```
 */
export class Generator {
  /** MT19937 state words (as int32: same bits, and V8 keeps them unboxed). */
  #mt: Int32Array = new Int32Array(N);
  /** Index of the next state word to temper; N means "twist before the next output". */
  #mti = N;
  /** True between seeding and the first twist (PyTorch then reports next = 0, left = 1). */
  #fresh = true;
  /** The uint64 seed last given to manual_seed (or carried in a loaded state). */
  #seed = 0n;
  /** Cached second Box-Muller sample of the double normal path (PyTorch's next_double_normal_sample). */
  #normalCache: number | null = null;
  /** PyTorch's next_float_normal_sample (never used by CPU kernels; kept so states round-trip). */
  #floatNormalCache: number | null = null;

  /**
   * Create a generator seeded like `torch.Generator()` (seed 67280421310721) or with `seed`.
   *
   * @example
   * ```ts
   * new Generator().initial_seed(); // 67280421310721
   * new Generator(0).nextUint32();  // 2357136044
   * ```
   */
  constructor(seed: number | bigint = 67280421310721) {
    this.manual_seed(seed);
  }

  /**
   * Re-seed: the low 32 bits of `seed` feed MT19937's `init_genrand`; the normal cache is cleared.
   * Accepts integers in [-(2**63), 2**64); negatives are taken as two's complement, as PyTorch does.
   *
   * @example
   * ```ts
   * const g = new Generator().manual_seed(2n ** 60n + 7n);
   * ```
   */
  manual_seed(seed: number | bigint): this {
    const u = toUint64Seed(seed);
    this.#seed = u;
    const mt = this.#mt;
    mt[0] = Number(u & 0xffffffffn);
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = Math.imul(1812433253, prev ^ (prev >>> 30)) + i;
    }
    this.#mti = N;
    this.#fresh = true;
    this.#normalCache = null;
    this.#floatNormalCache = null;
    return this;
  }

  /**
   * The seed last set (as an unsigned 64-bit value): a number when it is a safe integer,
   * otherwise a bigint.
   *
   * @example
   * ```ts
   * new Generator(-1).initial_seed(); // 18446744073709551615n
   * ```
   */
  initial_seed(): number | bigint {
    return seedOut(this.#seed);
  }

  /**
   * Seed with a fresh non-deterministic 64-bit value (like `torch.seed()`), and return it.
   *
   * @example
   * ```ts
   * const g = new Generator();
   * const s = g.seed();
   * g.initial_seed() === s; // true
   * ```
   */
  seed(): number | bigint {
    const words = new Uint32Array(2);
    crypto.getRandomValues(words);
    const s = (BigInt(words[0]) << 32n) | BigInt(words[1]);
    this.manual_seed(s);
    return seedOut(s);
  }

  /**
   * The next MT19937 output (PyTorch's `random()`), a number in [0, 2**32).
   *
   * @example
   * ```ts
   * new Generator(0).nextUint32(); // 2357136044
   * ```
   */
  nextUint32(): number {
    if (this.#mti >= N) {
      twist(this.#mt);
      this.#mti = 0;
      this.#fresh = false;
    }
    return temper(this.#mt[this.#mti++]) >>> 0;
  }

  /** Write `count` float32 uniforms in [0, 1) (24 bits each) to out[start..]: the hot path. */
  #fillUnit24(out: Float32Array, start: number, count: number): void {
    if (count <= 0) return;
    this.#mti = fillUnit24(this.#mt, this.#mti, out, start, start + count);
    this.#fresh = false;
  }

  /** Write `count` raw outputs (uint32) to out[0..]: the hot path of randint / randperm. */
  #fillRaw(out: Uint32Array, count: number): void {
    if (count <= 0) return;
    this.#mti = fillRaw(this.#mt, this.#mti, out, count);
    this.#fresh = false;
  }

  /**
   * PyTorch's `random64()`: two outputs, the first is the high half.
   *
   * @example
   * ```ts
   * const g = new Generator(0);
   * const seed = g.nextUint64() & (2n ** 63n - 1n); // what RandomSampler draws
   * ```
   */
  nextUint64(): bigint {
    const hi = this.nextUint32();
    const lo = this.nextUint32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Double uniform in [0, 1) from 53 bits of `random64()`. */
  #nextDouble(): number {
    const hi = this.nextUint32();
    const lo = this.nextUint32();
    return ((hi & 0x1fffff) * TWO_POW_32 + lo) * TWO_POW_M53;
  }

  /** One sample of PyTorch's double Box-Muller `normal_distribution<double>` (with cache). */
  #boxMuller(mean: number, std: number): number {
    const cached = this.#normalCache;
    if (cached !== null) {
      this.#normalCache = null;
      return cached * std + mean;
    }
    const u1 = this.#nextDouble();
    const u2 = this.#nextDouble();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = TWO_PI * u1;
    this.#normalCache = r * Math.sin(theta);
    return r * Math.cos(theta) * std + mean;
  }

  /**
   * Float32 uniform on [from, to) as `torch.rand` / `Tensor.uniform_(from, to)`: bit-exact.
   *
   * @example
   * ```ts
   * new Generator(0).uniform(3, -2, 3); // == torch.manual_seed(0); torch.empty(3).uniform_(-2, 3)
   * ```
   */
  uniform(n: number, from = 0, to = 1): Float32Array {
    checkCount(n, "uniform");
    if (!(from <= to)) {
      throw new RangeError(
        `uniform: expects from <= to, got from=${from} to=${to}`,
      );
    }
    const f = Math.fround(from);
    const range = Math.fround(Math.fround(to) - f);
    const out = new Float32Array(n);
    this.#fillUnit24(out, 0, n);
    // x (24 bits) is exact in float32; x * range + f is done in double, then rounded once.
    if (f !== 0 || range !== 1) {
      for (let i = 0; i < n; i++) out[i] = out[i] * range + f;
    }
    return out;
  }

  /**
   * Float32 normal samples as `torch.randn` / `Tensor.normal_(mean, std)`, taking PyTorch's
   * path by size: n < 16 uses the cached double Box-Muller (bit-exact); n >= 16 the float32
   * block-of-16 fill (within a few float32 ulps; it neither reads nor clears the cache).
   *
   * @example
   * ```ts
   * const g = new Generator(0);
   * g.normal(5);          // torch.randn(5)
   * g.normal(40, 2, 0.5); // then torch.empty(40).normal_(2, 0.5)
   * ```
   */
  normal(n: number, mean = 0, std = 1): Float32Array {
    checkCount(n, "normal");
    if (!(std >= 0)) {
      throw new RangeError(`normal: expects std >= 0.0, got ${std}`);
    }
    const out = new Float32Array(n);
    if (n < 16) {
      for (let i = 0; i < n; i++) out[i] = this.#boxMuller(mean, std);
      return out;
    }
    const m = Math.fround(mean);
    const s = Math.fround(std);
    this.#fillUnit24(out, 0, n);
    for (let i = 0; i + 16 <= n; i += 16) fill16(out, i, m, s);
    if (n % 16 !== 0) {
      // PyTorch redraws the last 16 slots and transforms them again.
      this.#fillUnit24(out, n - 16, 16);
      fill16(out, n - 16, m, s);
    }
    return out;
  }

  /**
   * Integers in [low, high) as `torch.randint(low, high, (n,))`: exact (ranges >= 2**32 take
   * PyTorch's `random64()` path; bounds must be safe integers).
   *
   * @example
   * ```ts
   * new Generator(0).randint(6, 0, 10); // == torch.manual_seed(0); torch.randint(0, 10, (6,))
   * ```
   */
  randint(n: number, low: number, high: number): Float64Array {
    checkCount(n, "randint");
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
      throw new RangeError(
        `randint: bounds must be safe integers, got ${low}, ${high}`,
      );
    }
    if (!(low < high)) {
      throw new RangeError(
        `randint: expects low < high, got low=${low} high=${high}`,
      );
    }
    const out = new Float64Array(n);
    const range = high - low;
    if (range < TWO_POW_32) {
      const raw = new Uint32Array(n);
      this.#fillRaw(raw, n);
      for (let i = 0; i < n; i++) out[i] = (raw[i] % range) + low;
    } else {
      const r = BigInt(range);
      const b = BigInt(low);
      for (let i = 0; i < n; i++) out[i] = Number((this.nextUint64() % r) + b);
    }
    return out;
  }

  /**
   * A permutation of 0..n-1 as `torch.randperm(n)`: exact.
   *
   * @example
   * ```ts
   * new Generator(0).randperm(8); // == torch.manual_seed(0); torch.randperm(8)
   * ```
   */
  randperm(n: number): Float64Array {
    checkCount(n, "randperm");
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    if (n < 2) return out;
    // The draws do not depend on the swaps, so take all n - 1 of them first.
    const raw = new Uint32Array(n - 1);
    this.#fillRaw(raw, n - 1);
    for (let i = 0; i < n - 1; i++) {
      const j = i + (raw[i] % (n - i));
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /**
   * `Tensor.random_(from, to)` on n elements: integers in [from, to), same algorithm as randint.
   *
   * @example
   * ```ts
   * new Generator(0).random_(4, -3, 9);
   * ```
   */
  random_(n: number, from: number, to: number): Float64Array {
    return this.randint(n, from, to);
  }

  /**
   * Seeded Bernoulli(p) draws (1 or 0) from the float32 uniform stream: 1 where u < p.
   * Reproducible, but not equal to PyTorch's (MKL-backed) bernoulli.
   *
   * @example
   * ```ts
   * const keep = new Generator(0).bernoulli(10, 0.8); // a dropout mask
   * ```
   */
  bernoulli(n: number, p: number | Float32Array): Float32Array {
    checkCount(n, "bernoulli");
    const out = new Float32Array(n);
    if (typeof p === "number") {
      if (!(p >= 0 && p <= 1)) {
        throw new RangeError(`bernoulli: expects 0 <= p <= 1, got ${p}`);
      }
      this.#fillUnit24(out, 0, n);
      for (let i = 0; i < n; i++) out[i] = out[i] < p ? 1 : 0;
      return out;
    }
    if (p.length !== n) {
      throw new RangeError(
        `bernoulli: p has ${p.length} elements, expected ${n}`,
      );
    }
    for (let i = 0; i < n; i++) {
      const pi = p[i];
      if (!(pi >= 0 && pi <= 1)) {
        throw new RangeError(
          `bernoulli: expects 0 <= p <= 1, got ${pi} at ${i}`,
        );
      }
    }
    this.#fillUnit24(out, 0, n);
    for (let i = 0; i < n; i++) out[i] = out[i] < p[i] ? 1 : 0;
    return out;
  }

  /**
   * The full state, in the byte layout of PyTorch 1.13's `torch.get_rng_state()` (5056 bytes,
   * padding zeroed), so states can be exchanged with PyTorch.
   *
   * @example
   * ```ts
   * const g = new Generator(1);
   * const s = g.get_state();
   * const a = g.normal(3);
   * g.set_state(s).normal(3); // same as a
   * ```
   */
  get_state(): Uint8Array {
    const bytes = new Uint8Array(STATE_SIZE);
    const dv = new DataView(bytes.buffer);
    dv.setBigUint64(OFF_SEED, this.#seed, true);
    const atTwist = this.#mti >= N;
    const next = atTwist && this.#fresh ? 0 : this.#mti;
    const left = atTwist ? 1 : N + 1 - this.#mti;
    dv.setInt32(OFF_LEFT, left, true);
    dv.setInt32(OFF_SEEDED, 1, true);
    dv.setBigUint64(OFF_NEXT, BigInt(next), true);
    const mt = this.#mt;
    for (let i = 0; i < N; i++) {
      dv.setUint32(OFF_STATE + 8 * i, mt[i] >>> 0, true);
    }
    dv.setFloat64(OFF_NORMAL_X, 0, true);
    dv.setFloat64(OFF_NORMAL_RHO, 0, true);
    if (this.#normalCache !== null) {
      dv.setFloat64(OFF_NORMAL_Y, this.#normalCache, true);
      dv.setInt32(OFF_NORMAL_VALID, 1, true);
    }
    if (this.#floatNormalCache !== null) {
      dv.setFloat32(OFF_FLOAT_NORMAL, this.#floatNormalCache, true);
      bytes[OFF_FLOAT_NORMAL_VALID] = 1;
    }
    return bytes;
  }

  /**
   * Restore a state from {@link Generator.get_state} or PyTorch's `torch.get_rng_state()`
   * (5056 bytes, or the 5048-byte legacy layout).
   *
   * @example
   * ```ts
   * const g = new Generator(3);
   * const copy = new Generator().set_state(g.get_state());
   * ```
   */
  set_state(state: Uint8Array): this {
    if (state.length !== STATE_SIZE && state.length !== LEGACY_STATE_SIZE) {
      throw new RangeError(
        `set_state: expected ${STATE_SIZE} or ${LEGACY_STATE_SIZE} bytes, got ${state.length}`,
      );
    }
    const dv = new DataView(state.buffer, state.byteOffset, state.byteLength);
    const left = dv.getInt32(OFF_LEFT, true);
    const next = dv.getBigUint64(OFF_NEXT, true);
    if (left < 1 || left > N || next > BigInt(N)) {
      throw new RangeError(
        `set_state: invalid MT position (left=${left}, next=${next})`,
      );
    }
    const nx = Number(next);
    // PyTorch's engine only produces left + next == N + 1, or left == 1 with next == 0 (seeded).
    if (left + nx !== N + 1 && !(left === 1 && nx === 0)) {
      throw new RangeError(
        `set_state: inconsistent MT position (left=${left}, next=${nx})`,
      );
    }
    const words = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      if (dv.getUint32(OFF_STATE + 8 * i + 4, true) !== 0) {
        throw new RangeError(`set_state: state word ${i} exceeds 32 bits`);
      }
      words[i] = dv.getUint32(OFF_STATE + 8 * i, true);
    }
    this.#mt.set(words);
    this.#seed = dv.getBigUint64(OFF_SEED, true);
    this.#mti = left === 1 ? N : nx;
    this.#fresh = left === 1 && nx === 0;
    this.#normalCache = dv.getInt32(OFF_NORMAL_VALID, true) !== 0 ? dv.getFloat64(OFF_NORMAL_Y, true) : null;
    this.#floatNormalCache = state.length === STATE_SIZE && state[OFF_FLOAT_NORMAL_VALID] !== 0
      ? dv.getFloat32(OFF_FLOAT_NORMAL, true)
      : null;
    return this;
  }
}

// Double-precision kernels for the float32 normal path: faster than Math.log/cos/sin and accurate
// to ~1e-11, so after rounding to float32 they agree with Math.fround(Math.log(x)) etc. except in
// vanishingly rare near-ties (tests/random checks this on 400k samples).
const LN2 = Math.LN2;
const PIO2_HI = Math.PI / 2; // 1.5707963267948966
const PIO2_LO = 6.123233995736766e-17; // pi/2 - PIO2_HI
const TWO_OVER_PI = 2 / Math.PI;
// Taylor coefficients: log1p (L), sin (S), cos (C).
const L2 = -1 / 2;
const L3 = 1 / 3;
const L4 = -1 / 4;
const L5 = 1 / 5;
const L6 = -1 / 6;
const L7 = 1 / 7;
const S3 = -1 / 6;
const S5 = 1 / 120;
const S7 = -1 / 5040;
const S9 = 1 / 362880;
const S11 = -1 / 39916800;
const S13 = 1 / 6227020800;
const C2 = -1 / 2;
const C4 = 1 / 24;
const C6 = -1 / 720;
const C8 = 1 / 40320;
const C10 = -1 / 3628800;
const C12 = 1 / 479001600;
const C14 = -1 / 87178291200;

// log table: m in [1, 2) falls in bin j = floor((m - 1) * 128), with c_j = 1 + j / 128 (so c_0 = 1
// and log(1) comes out exactly 0); log(m) = log(c_j) + log1p(m / c_j - 1), |m / c_j - 1| < 1/128.
const LOG_BINS = 128;
const LOG_C = new Float64Array(LOG_BINS);
const LOG_INV_C = new Float64Array(LOG_BINS);
for (let j = 0; j < LOG_BINS; j++) {
  const c = 1 + j / LOG_BINS;
  LOG_C[j] = Math.log(c);
  LOG_INV_C[j] = 1 / c;
}
const POW2_NEG = new Float64Array(32);
for (let e = 0; e < 32; e++) POW2_NEG[e] = 2 ** -e;

/** log(u) for u = k * 2**-24 with k an integer in [1, 2**24] (all values 1 - uniform takes). */
function logUnit24(u: number): number {
  const k = u * 16777216;
  const e = 31 - Math.clz32(k);
  const m = k * POW2_NEG[e]; // [1, 2)
  const j = ((m - 1) * LOG_BINS) | 0;
  const r = m * LOG_INV_C[j] - 1;
  // log1p(r) by its Taylor series to r**7 (|r| < 1/128: error < 3e-18).
  const log1p = r *
    (1 + r * (L2 + r * (L3 + r * (L4 + r * (L5 + r * (L6 + r * L7))))));
  return (e - 24) * LN2 + LOG_C[j] + log1p;
}

/** sin(r) for |r| <= pi/4: Taylor series to r**13 (error < 1e-11). */
function sinPoly(r: number): number {
  const r2 = r * r;
  return r +
    r * r2 * (S3 + r2 * (S5 + r2 * (S7 + r2 * (S9 + r2 * (S11 + r2 * S13)))));
}

/** cos(r) for |r| <= pi/4: Taylor series to r**14 (error < 1e-12). */
function cosPoly(r: number): number {
  const r2 = r * r;
  return 1 +
    r2 *
      (C2 +
        r2 * (C4 + r2 * (C6 + r2 * (C8 + r2 * (C10 + r2 * (C12 + r2 * C14))))));
}

/**
 * PyTorch's float32 block-of-16 Box-Muller (`normal_fill_16_AVX2`, the kernel x86-64 builds run),
 * in place on d[o..o+15]: pairs d[o+j] (u1 = 1 - d) with d[o+j+8] (u2) for j in 0..7.
 * Every step is float32: theta = float(2*pi) * u2, radius = sqrt(-2 * log(u1)), n = radius * cos
 * (or sin); the store is a fused n * std + mean (one rounding). PyTorch's SIMD log/sincos differ
 * from correctly rounded ones by a few float32 ulps at most.
 */
function fill16(d: Float32Array, o: number, mean: number, std: number): void {
  const fr = Math.fround;
  for (let j = 0; j < 8; j++) {
    const u1 = fr(1 - d[o + j]);
    const u2 = d[o + j + 8];
    const radius = fr(Math.sqrt(fr(-2 * fr(logUnit24(u1)))));
    const theta = fr(TWO_PI_F32 * u2); // in [0, 2*pi]
    const q = Math.round(theta * TWO_OVER_PI); // quadrant 0..4
    const r = theta - q * PIO2_HI - q * PIO2_LO; // |r| <= pi/4
    const sr = sinPoly(r);
    const cr = cosPoly(r);
    let sin: number;
    let cos: number;
    switch (q & 3) {
      case 0:
        sin = sr;
        cos = cr;
        break;
      case 1:
        sin = cr;
        cos = -sr;
        break;
      case 2:
        sin = -sr;
        cos = -cr;
        break;
      default:
        sin = -cr;
        cos = sr;
    }
    // float * float is exact in double, so this rounds (almost always) like an FMA.
    d[o + j] = fr(radius * fr(cos)) * std + mean;
    d[o + j + 8] = fr(radius * fr(sin)) * std + mean;
  }
}

/**
 * A process-wide generator, the counterpart of `torch.default_generator`
 * (starts at seed 67280421310721, like a fresh `torch.Generator()`).
 *
 * @example
 * ```ts
 * import { default_generator, Generator } from "./generator.ts";
 * default_generator.manual_seed(0);
 * const order = new Generator(default_generator.nextUint64() & (2n ** 63n - 1n)).randperm(10);
 * ```
 */
export const default_generator: Generator = new Generator();
