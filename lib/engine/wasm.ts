/**
 * Kernels compiled to WebAssembly at run time, working directly on the wasm
 * backend's memory (engine/kernels.ts gives addresses): element-wise float32
 * graphs with SIMD (an optimizer's update of one parameter becomes one pass
 * over its arrays instead of ten engine ops), and a strided copy (a
 * transpose at a fraction of the engine's generic kernel's cost).
 *
 * A kernel is written as an expression graph (`Kernel`: loads from array
 * slots, scalar parameters, `+ − × ÷ √`, negation, the engine's maximum) and
 * compiled once per graph shape. WebAssembly's `f32` and `f32x4` arithmetic
 * is IEEE single precision, the same operations the engine's kernels run, so
 * a kernel computes bit for bit what the op-by-op path computes when its
 * graph has the same operations in the same order.
 *
 * Each iteration loads every array it reads before storing any, so an
 * output may be the same memory as an input (updates in place).
 * @module
 */
type Op = "load" | "param" | "add" | "sub" | "mul" | "div" | "sqrt" | "neg" | "pmax";

/** A value in a kernel: four lanes in the vector loop, one in the scalar tail. */
export class Val {
  constructor(readonly op: Op, readonly args: Val[], readonly k: number, readonly id: number) {}
}

/** A compiled kernel: `run(pointers, n, params)` over `n` elements (missing pointers are 0). */
export type Compiled = (ptrs: number[], n: number, params: number[]) => void;

/** Builds an element-wise kernel over `slots` arrays (byte addresses) and `params` scalars. */
export class Kernel {
  readonly #nodes: Val[] = [];
  readonly #stores: [number, Val][] = [];
  readonly #loads = new Map<number, Val>();
  constructor(readonly slots: number, readonly params: number) {}

  #node(op: Op, args: Val[], k = 0): Val {
    const v = new Val(op, args, k, this.#nodes.length);
    this.#nodes.push(v);
    return v;
  }

  /** Slot `s`'s element. */
  load(s: number): Val {
    let v = this.#loads.get(s);
    if (!v) this.#loads.set(s, v = this.#node("load", [], s));
    return v;
  }
  /** Scalar parameter `i` (a float32). */
  param(i: number): Val {
    return this.#node("param", [], i);
  }
  add(a: Val, b: Val): Val {
    return this.#node("add", [a, b]);
  }
  sub(a: Val, b: Val): Val {
    return this.#node("sub", [a, b]);
  }
  mul(a: Val, b: Val): Val {
    return this.#node("mul", [a, b]);
  }
  div(a: Val, b: Val): Val {
    return this.#node("div", [a, b]);
  }
  sqrt(a: Val): Val {
    return this.#node("sqrt", [a]);
  }
  neg(a: Val): Val {
    return this.#node("neg", [a]);
  }
  /** The engine's `maximum(a, b)`: `a < b ? b : a` (a NaN in `a` wins, one in `b` loses). */
  pmax(a: Val, b: Val): Val {
    return this.#node("pmax", [a, b]);
  }
  /** Writes `v` to slot `s`. */
  store(s: number, v: Val): void {
    this.#stores.push([s, v]);
  }

  /** The kernel as a function over `memory` (the wasm backend's). */
  compile(memory: WebAssembly.Memory): Compiled {
    const bytes = encode(this.slots, this.params, this.#nodes, this.#stores);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const run = inst.exports.run as (...args: number[]) => void;
    const S = this.slots;
    // slots past the pointers given are unused by the graph: address 0
    return (ptrs, n, params) => run(...ptrs, ...Array(Math.max(0, S - ptrs.length)).fill(0), n, ...params);
  }
}

// ---- encoding -------------------------------------------------------------------------------------

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

// opcodes (WebAssembly core and fixed-width SIMD)
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_AND = 0x71;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const F32_LOAD = 0x2a;
const F32_STORE = 0x38;
const F32_LT = 0x5d;
const SELECT = 0x1b;
const BLOCK = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const EMPTY = 0x40;
const SIMD = 0xfd;

const SCALAR: Partial<Record<Op, number>> = {
  add: 0x92,
  sub: 0x93,
  mul: 0x94,
  div: 0x95,
  sqrt: 0x91,
  neg: 0x8c,
};
const VECTOR: Partial<Record<Op, number>> = {
  add: 0xe4,
  sub: 0xe5,
  mul: 0xe6,
  div: 0xe7,
  sqrt: 0xe3,
  neg: 0xe1,
  pmax: 0xeb,
};
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const F32X4_SPLAT = 0x13;

function simd(op: number): number[] {
  return [SIMD, ...uleb(op)];
}

/**
 * The module: `run(ptr_0 … ptr_{S−1}, n, c_0 … c_{P−1})`, a vector loop over groups of four
 * elements, then a scalar loop over the rest.
 */
function encode(S: number, P: number, nodes: Val[], stores: [number, Val][]): Uint8Array<ArrayBuffer> {
  const N = nodes.length;
  const n = S; // local index of the element count
  const c = (i: number) => S + 1 + i;
  const i = S + 1 + P; // byte position
  const end = i + 1;
  const splat = (k: number) => end + 1 + k;
  const vloc = (v: Val) => end + 1 + P + v.id;
  const sloc = (v: Val) => end + 1 + P + N + v.id;

  const code: number[] = [];
  const get = (l: number) => code.push(LOCAL_GET, ...uleb(l));
  const set = (l: number) => code.push(LOCAL_SET, ...uleb(l));
  const addr = (slot: number) => {
    get(slot);
    get(i);
    code.push(I32_ADD);
  };
  for (let k = 0; k < P; k++) {
    get(c(k));
    code.push(...simd(F32X4_SPLAT));
    set(splat(k));
  }
  const loop = (step: number, vector: boolean) => {
    code.push(BLOCK, EMPTY, LOOP, EMPTY);
    get(i);
    get(end);
    code.push(I32_GE_U, BR_IF, 1);
    for (const v of nodes) {
      const out = vector ? vloc(v) : sloc(v);
      const arg = (a: Val) => get(vector ? vloc(a) : sloc(a));
      switch (v.op) {
        case "load":
          addr(v.k);
          code.push(...(vector ? [...simd(V128_LOAD), 0, 0] : [F32_LOAD, 2, 0]));
          break;
        case "param":
          get(vector ? splat(v.k) : c(v.k));
          break;
        case "pmax":
          if (vector) {
            arg(v.args[0]);
            arg(v.args[1]);
            code.push(...simd(VECTOR.pmax!));
          } else {
            // select(b, a, a < b)
            arg(v.args[1]);
            arg(v.args[0]);
            arg(v.args[0]);
            arg(v.args[1]);
            code.push(F32_LT, SELECT);
          }
          break;
        default:
          for (const a of v.args) arg(a);
          if (vector) code.push(...simd(VECTOR[v.op]!));
          else code.push(SCALAR[v.op]!);
      }
      set(out);
    }
    for (const [slot, v] of stores) {
      addr(slot);
      get(vector ? vloc(v) : sloc(v));
      code.push(...(vector ? [...simd(V128_STORE), 0, 0] : [F32_STORE, 2, 0]));
    }
    get(i);
    code.push(I32_CONST, ...sleb(step), I32_ADD);
    set(i);
    code.push(BR, 0, END, END);
  };
  // the vector loop ends at n rounded down to a multiple of four, in bytes
  get(n);
  code.push(I32_CONST, ...sleb(-4), I32_AND, I32_CONST, 2, I32_SHL);
  set(end);
  loop(16, true);
  get(n);
  code.push(I32_CONST, 2, I32_SHL);
  set(end);
  loop(4, false);
  code.push(END);

  const locals: number[][] = [[...uleb(2), I32]];
  if (P + N > 0) locals.push([...uleb(P + N), V128]);
  if (N > 0) locals.push([...uleb(N), F32]);
  return module([...Array(S + 1).fill(I32), ...Array(P).fill(F32)], locals, code);
}

/** A module importing `env.memory` and exporting one function `run(params)` with `locals`. */
function module(params: number[], locals: number[][], code: number[]): Uint8Array<ArrayBuffer> {
  const body = [...vec(locals), ...code];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([[0x60, ...uleb(params.length), ...params, 0]])),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name("run"), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(bytes);
}

// ---- strided copy -----------------------------------------------------------------------------------

/**
 * `copy(src, dst, d0…d3, s0…s3, t0…t3)`: copies 32-bit elements over four nested loops of
 * sizes `d` (outermost first), reading at byte address `src` with byte strides `s`, writing
 * at `dst` with byte strides `t`. A transpose is a copy with permuted strides; the caller
 * picks the loop order.
 */
export type StridedCopy = (src: number, dst: number, ...sizesAndStrides: number[]) => void;

/** The strided copy over `memory`: four nested loops, one load and one store per element. */
export function stridedCopy(memory: WebAssembly.Memory): StridedCopy {
  // params: 0 src, 1 dst, 2-5 sizes, 6-9 source strides, 10-13 destination strides;
  // locals: 14-17 counters, 18-21 source and 22-25 destination addresses per level
  const code: number[] = [];
  const get = (l: number) => code.push(LOCAL_GET, l);
  const set = (l: number) => code.push(LOCAL_SET, l);
  const bump = (addr: number, by: number) => {
    get(addr);
    get(by);
    code.push(I32_ADD);
    set(addr);
  };
  get(0);
  set(18);
  get(1);
  set(22);
  const level = (k: number) => {
    code.push(I32_CONST, 0);
    set(14 + k);
    code.push(BLOCK, EMPTY, LOOP, EMPTY);
    get(14 + k);
    get(2 + k);
    code.push(I32_GE_U, BR_IF, 1);
    if (k < 3) {
      get(18 + k);
      set(19 + k);
      get(22 + k);
      set(23 + k);
      level(k + 1);
    } else {
      get(25);
      get(21);
      code.push(F32_LOAD, 2, 0, F32_STORE, 2, 0);
    }
    bump(18 + k, 6 + k);
    bump(22 + k, 10 + k);
    get(14 + k);
    code.push(I32_CONST, 1, I32_ADD);
    set(14 + k);
    code.push(BR, 0, END, END);
  };
  level(0);
  code.push(END);
  const bytes = module(Array(14).fill(I32), [[...uleb(12), I32]], code);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports
    .run as StridedCopy;
}

// ---- small matrix products --------------------------------------------------------------------------
//
// The products of an `nn.Linear` at small batch sizes, with no transposed copies: through the
// engine, each is a batched matmul between two transposes (XNNPACK takes neither operand
// transposed), four kernel dispatches for a few microseconds of arithmetic. Float32 sums in
// their own order (like any matmul's: within float32 rounding of another's).

/** Emits structured WebAssembly code (locals by index). */
class Code {
  readonly bytes: number[] = [];
  op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  get(l: number): this {
    return this.op(LOCAL_GET, ...uleb(l));
  }
  set(l: number): this {
    return this.op(LOCAL_SET, ...uleb(l));
  }
  i32(v: number): this {
    return this.op(I32_CONST, ...sleb(v));
  }
  /** `l += by` (a local). */
  bump(l: number, by: number): this {
    return this.get(l).get(by).op(I32_ADD).set(l);
  }
  /** `l += v` (a constant). */
  inc(l: number, v: number): this {
    return this.get(l).i32(v).op(I32_ADD).set(l);
  }
  /** `while (counter < limit) body` (unsigned; the body advances the counter). */
  while(counter: number, limit: number, body: () => void): this {
    this.op(BLOCK, EMPTY, LOOP, EMPTY).get(counter).get(limit).op(I32_GE_U, BR_IF, 1);
    body();
    return this.op(BR, 0, END, END);
  }
  /** `get(addr) + get(off)`, then a 16-byte load. */
  load128(addr: number, off: number): this {
    return this.get(addr).get(off).op(I32_ADD, ...simd(V128_LOAD), 0, 0);
  }
  loadF32(addr: number, off: number): this {
    return this.get(addr).get(off).op(I32_ADD, F32_LOAD, 2, 0);
  }
}

const I32_EQZ = 0x45;
const IF = 0x04;
const F32_CONST = 0x43;
const F32X4_EXTRACT_LANE = 0x1f;
const MEMORY_FILL = [0xfc, 0x0b, 0x00];

/** `C = A·Bᵀ (+ bias)`: `nt(a, b, bias, c, m, n, k)`, A m×k, B n×k, C m×n, bias n (0: none). */
export type MatmulNT = (
  a: number,
  b: number,
  bias: number,
  c: number,
  m: number,
  n: number,
  k: number,
) => void;

/**
 * `C[r, :] = Σ_s A(r, s)·B[s, :]`: `acc(a, ar, as, b, c, R, S, L)`, A read at
 * `a + r·ar + s·as` (byte strides: A or Aᵀ), B S×L, C R×L.
 */
export type MatmulAcc = (
  a: number,
  ar: number,
  as: number,
  b: number,
  c: number,
  R: number,
  S: number,
  L: number,
) => void;

function instantiate<T>(memory: WebAssembly.Memory, params: number, locals: number[][], code: Code): T {
  const bytes = module(Array(params).fill(I32), locals, [...code.bytes, END]);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.run as T;
}

/** The two small-product kernels over `memory`. */
export function smallMatmuls(memory: WebAssembly.Memory): { nt: MatmulNT; acc: MatmulAcc } {
  return { nt: matmulNT(memory), acc: matmulAcc(memory) };
}

function matmulNT(memory: WebAssembly.Memory): MatmulNT {
  // params 0 a, 1 b, 2 bias, 3 c, 4 m, 5 n, 6 k; i32 locals 7 i, 8 j, 9 kk, 10 pa, 11 pb,
  // 12 pc (row of C), 13 k4 (bytes of whole vectors), 14 kb (row bytes of A, B), 15 m4 (rows
  // in blocks of four), 16 nb (row bytes of C), 17 t (scratch); v128 18-21 acc0-3, 22 bv;
  // f32 23-26 s0-3, 27 bs
  const [a, b, bias, c, m, n, k, i, j, kk, pa, pb, pc, k4, kb, m4, nb, t] = Array.from(
    { length: 18 },
    (_, x) => x,
  );
  const ACC = 18;
  const BV = 22;
  const S = 23;
  const BS = 27;
  const q = new Code();
  const lane = (v: number, l: number) => q.get(v).op(...simd(F32X4_EXTRACT_LANE), l);
  // ((l0 + l1) + l2) + l3 of acc into s
  const hsum = (acc: number, s: number) => {
    lane(acc, 0);
    lane(acc, 1).op(SCALAR.add!);
    lane(acc, 2).op(SCALAR.add!);
    lane(acc, 3).op(SCALAR.add!).set(s);
  };
  // address of row r of A (from pa) at offset kk: pa + r·kb + kk, in t
  const rowAt = (r: number) => {
    q.get(pa).get(kk).op(I32_ADD);
    for (let x = 0; x < r; x++) q.get(kb).op(I32_ADD);
  };
  // one block of `rows` rows of C: for each column j, `rows` dot products sharing B's loads
  const block = (rows: number) => {
    q.get(b).set(pb).i32(0).set(j);
    q.while(j, n, () => {
      for (let r = 0; r < rows; r++) q.op(F32_CONST, 0, 0, 0, 0, ...simd(F32X4_SPLAT)).set(ACC + r);
      q.i32(0).set(kk);
      q.while(kk, k4, () => {
        q.load128(pb, kk).set(BV);
        for (let r = 0; r < rows; r++) {
          q.get(ACC + r);
          rowAt(r);
          q.op(...simd(V128_LOAD), 0, 0).get(BV).op(...simd(VECTOR.mul!), ...simd(VECTOR.add!)).set(ACC + r);
        }
        q.inc(kk, 16);
      });
      for (let r = 0; r < rows; r++) hsum(ACC + r, S + r);
      q.while(kk, kb, () => {
        q.loadF32(pb, kk).set(BS);
        for (let r = 0; r < rows; r++) {
          q.get(S + r);
          rowAt(r);
          q.op(F32_LOAD, 2, 0).get(BS).op(SCALAR.mul!, SCALAR.add!).set(S + r);
        }
        q.inc(kk, 4);
      });
      q.get(bias).op(I32_EQZ, I32_EQZ, IF, EMPTY);
      q.get(bias).get(j).i32(2).op(I32_SHL, I32_ADD, F32_LOAD, 2, 0).set(BS);
      for (let r = 0; r < rows; r++) q.get(S + r).get(BS).op(SCALAR.add!).set(S + r);
      q.op(END);
      // C[i + r, j] at pc + r·nb + 4j
      q.get(pc).get(j).i32(2).op(I32_SHL, I32_ADD).set(t);
      for (let r = 0; r < rows; r++) {
        q.get(t);
        for (let x = 0; x < r; x++) q.get(nb).op(I32_ADD);
        q.get(S + r).op(F32_STORE, 2, 0);
      }
      q.bump(pb, kb).inc(j, 1);
    });
    for (let r = 0; r < rows; r++) q.bump(pa, kb).bump(pc, nb);
    q.inc(i, rows);
  };
  q.get(k).i32(2).op(I32_SHL).set(kb);
  q.get(k).i32(-4).op(I32_AND).i32(2).op(I32_SHL).set(k4);
  q.get(n).i32(2).op(I32_SHL).set(nb);
  q.get(m).i32(-4).op(I32_AND).set(m4);
  q.get(a).set(pa).get(c).set(pc).i32(0).set(i);
  q.while(i, m4, () => block(4));
  q.while(i, m, () => block(1));
  return instantiate<MatmulNT>(memory, 7, [[...uleb(11), I32], [5, V128], [5, F32]], q);
}

function matmulAcc(memory: WebAssembly.Memory): MatmulAcc {
  // params 0 a, 1 ar, 2 as, 3 b, 4 c, 5 R, 6 S, 7 L; i32 locals 8 r, 9 s, 10 v, 11 par,
  // 12 pas, 13 pb, 14 pc, 15 l4 (bytes of whole vectors), 16 lb (row bytes), 17 s4 (terms in
  // blocks of four); v128 18-21 av0-3; f32 22-25 x0-3
  const [a, ar, as, b, c, R, S, L, r, s, v, par, pas, pb, pc, l4, lb, s4] = Array.from(
    { length: 18 },
    (_, y) => y,
  );
  const AV = 18;
  const X = 22;
  const q = new Code();
  // B's row `u` below pb at offset v: pb + u·lb + v
  const bAt = (u: number) => {
    q.get(pb).get(v).op(I32_ADD);
    for (let y = 0; y < u; y++) q.get(lb).op(I32_ADD);
  };
  // C[r, :] += Σ_u x_u·B[s + u, :] for `terms` consecutive s
  const block = (terms: number) => {
    for (let u = 0; u < terms; u++) {
      q.get(pas);
      for (let y = 0; y < u; y++) q.get(as).op(I32_ADD);
      q.op(F32_LOAD, 2, 0).set(X + u).get(X + u).op(...simd(F32X4_SPLAT)).set(AV + u);
    }
    q.i32(0).set(v);
    q.while(v, l4, () => {
      q.get(pc).get(v).op(I32_ADD).load128(pc, v);
      for (let u = 0; u < terms; u++) {
        q.get(AV + u);
        bAt(u);
        q.op(...simd(V128_LOAD), 0, 0, ...simd(VECTOR.mul!), ...simd(VECTOR.add!));
      }
      q.op(...simd(V128_STORE), 0, 0).inc(v, 16);
    });
    q.while(v, lb, () => {
      q.get(pc).get(v).op(I32_ADD).loadF32(pc, v);
      for (let u = 0; u < terms; u++) {
        q.get(X + u);
        bAt(u);
        q.op(F32_LOAD, 2, 0, SCALAR.mul!, SCALAR.add!);
      }
      q.op(F32_STORE, 2, 0).inc(v, 4);
    });
    for (let u = 0; u < terms; u++) q.bump(pb, lb).bump(pas, as);
    q.inc(s, terms);
  };
  q.get(L).i32(2).op(I32_SHL).set(lb);
  q.get(L).i32(-4).op(I32_AND).i32(2).op(I32_SHL).set(l4);
  q.get(S).i32(-4).op(I32_AND).set(s4);
  q.get(a).set(par).get(c).set(pc).i32(0).set(r);
  q.while(r, R, () => {
    q.get(pc).i32(0).get(lb).op(...MEMORY_FILL);
    q.get(par).set(pas).get(b).set(pb).i32(0).set(s);
    q.while(s, s4, () => block(4));
    q.while(s, S, () => block(1));
    q.bump(pc, lb).bump(par, ar).inc(r, 1);
  });
  return instantiate<MatmulAcc>(memory, 8, [[...uleb(10), I32], [4, V128], [4, F32]], q);
}
