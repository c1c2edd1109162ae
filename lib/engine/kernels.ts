/**
 * Engine kernels written in JavaScript, for the work the backend's own
 * kernels do slowly or not at all: strided reads and writes of views (the
 * wasm `Slice` copies its whole input first, `Gather` is slow on large
 * tensors). Plain loops here run at 1–5 ns an element (no SIMD), so
 * element-wise math stays with the backend's kernels; these move data. They run on the backend's memory in place (the wasm heap, or
 * the cpu backend's arrays), are registered as ordinary tfjs kernels (so the
 * engine counts and frees their outputs as any other), and exist for the
 * `wasm` and `cpu` backends; `jsKernels()` says whether the active backend
 * has them (a GPU backend uses the plain tfjs ops instead).
 * @module
 */
import { onGpu, tf } from "./backend.ts";
import { type MatmulAcc, type MatmulNT, smallMatmuls, type StridedCopy, stridedCopy } from "./wasm.ts";

type Arr = Float32Array | Int32Array | Uint8Array;
type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;

/** Allocates outputs and views backend memory, for one kernel run. */
interface Mem {
  /** A new output; views taken before the last `alloc` are stale (the wasm heap may grow). */
  alloc(shape: number[], dtype: tf.DataType): Info;
  view(t: Info): Arr;
}

type Body = (inputs: Info[], attrs: Attrs, mem: Mem) => Info;

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(t: Info): Arr;
}
interface CpuBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Arr): Info;
  data: { get(id: unknown): { values: Arr } };
}

function arrayFor(dtype: tf.DataType, n: number): Arr {
  return dtype === "int32" ? new Int32Array(n) : dtype === "bool" ? new Uint8Array(n) : new Float32Array(n);
}

const BACKENDS = ["wasm", "cpu"];
const names: string[] = [];

function register(name: string, inputNames: string[], body: Body): void {
  names.push(name);
  for (const backendName of BACKENDS) {
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const ins = inputNames.map((k) => (inputs as Record<string, Info>)[k]);
        const mem: Mem = backendName === "wasm"
          ? {
            alloc: (shape, dtype) => (backend as unknown as WasmBackend).makeOutput(shape, dtype),
            view: (t) => (backend as unknown as WasmBackend).typedArrayFromHeap(t),
          }
          : {
            alloc: (shape, dtype) => {
              let n = 1;
              for (const d of shape) n *= d;
              return (backend as unknown as CpuBackend).makeTensorInfo(shape, dtype, arrayFor(dtype, n));
            },
            view: (t) => (backend as unknown as CpuBackend).data.get(t.dataId).values,
          };
        return body(ins, attrs as Attrs, mem) as tf.TensorInfo;
      },
    });
  }
}

/** Whether the active backend runs these kernels, for tensors (if given) that live on it (not webgpu). */
export function jsKernels(...on: tf.TensorInfo[]): boolean {
  const b = tf.getBackend();
  if (b !== "wasm" && b !== "cpu") return false;
  for (const t of on) if (onGpu(t)) return false;
  return true;
}

let engine: ReturnType<typeof tf.engine> | null = null;

function runJs(name: string, inputs: Record<string, tf.Tensor>, attrs: Attrs): tf.Tensor {
  engine ??= tf.engine();
  return engine.runKernel(
    name,
    inputs as unknown as tf.NamedTensorMap,
    attrs as tf.NamedAttrMap,
  ) as tf.Tensor;
}

// ---- strided views ---------------------------------------------------------------------------

/**
 * Copies the strided view (shape, strides, offset) of `src` into `dst` (row-major). Stride-0
 * dims broadcast. Runs of a contiguous last dim are block copies.
 */
function gatherStrided(
  src: Arr,
  dst: Arr,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  scatter: boolean,
): void {
  const nd = shape.length;
  let n = 1;
  for (let i = 0; i < nd; i++) n *= shape[i];
  if (n === 0) return;
  if (nd === 0) {
    if (scatter) src[offset] = dst[0];
    else dst[0] = src[offset];
    return;
  }
  const last = nd - 1;
  const len = shape[last];
  const st = strides[last];
  const idx = new Array<number>(nd).fill(0);
  let pos = offset;
  let k = 0;
  while (k < n) {
    if (st === 1 && len >= 16) {
      if (scatter) src.set(dst.subarray(k, k + len), pos);
      else dst.set(src.subarray(pos, pos + len), k);
      k += len;
    } else if (scatter) {
      for (let j = 0, p = pos; j < len; j++, p += st) src[p] = dst[k++];
    } else {
      for (let j = 0, p = pos; j < len; j++, p += st) dst[k++] = src[p];
    }
    let d = last - 1;
    while (d >= 0) {
      idx[d]++;
      pos += strides[d];
      if (idx[d] < shape[d]) break;
      pos -= strides[d] * shape[d];
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
}

register("DenotorchStridedRead", ["x"], ([x], a, mem) => {
  const shape = a.shape as number[];
  const out = mem.alloc(shape, x.dtype);
  gatherStrided(mem.view(x), mem.view(out), shape, a.strides as number[], a.offset as number, false);
  return out;
});

register("DenotorchStridedWrite", ["base", "value"], ([base, value], a, mem) => {
  const out = mem.alloc(base.shape.slice(), base.dtype);
  const o = mem.view(out);
  o.set(mem.view(base));
  gatherStrided(o, mem.view(value), a.shape as number[], a.strides as number[], a.offset as number, true);
  return out;
});

/** The strided view of a storage's engine tensor as a new contiguous tensor of `shape`. */
export function stridedRead(
  x: tf.Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): tf.Tensor {
  return runJs("DenotorchStridedRead", { x }, { shape: shape.slice(), strides: strides.slice(), offset });
}

/** A copy of `base` with `value` (the view's shape, base's dtype) written through the view. */
export function stridedWrite(
  base: tf.Tensor,
  value: tf.Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): tf.Tensor {
  return runJs("DenotorchStridedWrite", { base, value }, {
    shape: shape.slice(),
    strides: strides.slice(),
    offset,
  });
}

// ---- pooling ----------------------------------------------------------------------------------
//
// Pools over the last two dims as lists of window taps (see nn/functional.ts): `idx[o·k + t]` is
// the input position the t-th tap of output o reads, `hw` a tap in the padding. They read and
// write the backend's memory directly (no copies to and from JavaScript arrays).

register("DenotorchPool", ["x"], ([x], a, mem) => {
  const lead = a.lead as number;
  const ohw = a.ohw as number;
  const out = mem.alloc(a.shape as number[], "float32");
  const xs = mem.view(x) as Float32Array;
  const ys = mem.view(out) as Float32Array;
  const idx = a.idx as Int32Array;
  const arg = a.arg as Int32Array | null;
  if (arg) maxPoolLoop(xs, ys, arg, idx, lead, a.hw as number, ohw, a.k as number);
  else avgPoolLoop(xs, ys, idx, a.divisor as Float32Array, lead, a.hw as number, ohw, a.k as number);
  return out;
});

register("DenotorchPoolGrad", ["dy"], ([dy], a, mem) => {
  const lead = a.lead as number;
  const hw = a.hw as number;
  const out = mem.alloc(a.shape as number[], "float32");
  const dx = mem.view(out) as Float32Array;
  dx.fill(0);
  const g = mem.view(dy) as Float32Array;
  const arg = a.arg as Int32Array | null;
  if (arg) maxPoolBackLoop(g, dx, arg, lead, hw, a.ohw as number);
  else {avgPoolBackLoop(
      g,
      dx,
      a.idx as Int32Array,
      a.divisor as Float32Array,
      lead,
      hw,
      a.ohw as number,
      a.k as number,
    );}
  return out;
});

/** Geometry of a pool: `lead` planes of `hw` inputs, `ohw` outputs of `k` taps each. */
export interface PoolTaps {
  idx: Int32Array;
  k: number;
  lead: number;
  hw: number;
  ohw: number;
  divisor: Float32Array | null;
}

/**
 * A max pool (`arg` given: filled with each output's argmax, the first largest value in
 * window order, a NaN winning) or an average pool (sum of the taps over `divisor`), output
 * of `shape`.
 */
export function pool(x: tf.Tensor, t: PoolTaps, shape: number[], arg: Int32Array | null): tf.Tensor {
  return runJs("DenotorchPool", { x }, { ...t, shape, arg });
}

/** The pool's input gradient (of `shape`) from the output gradient `dy`. */
export function poolGrad(dy: tf.Tensor, t: PoolTaps, shape: number[], arg: Int32Array | null): tf.Tensor {
  return runJs("DenotorchPoolGrad", { dy }, { ...t, shape, arg });
}

// The loops live in their own small functions: V8 keeps their variables in registers (variables
// a closure captures are re-read from its context on every turn).

function maxPoolLoop(
  xs: Float32Array,
  ys: Float32Array,
  arg: Int32Array,
  idx: Int32Array,
  lead: number,
  hw: number,
  ohw: number,
  k: number,
): void {
  for (let l = 0; l < lead; l++) {
    const base = l * hw;
    const out = l * ohw;
    for (let o = 0; o < ohw; o++) {
      const t0 = o * k;
      let best = -Infinity;
      let at = -1;
      for (let t = 0; t < k; t++) {
        const p = idx[t0 + t];
        if (p === hw) continue;
        if (at < 0) at = p;
        const v = xs[base + p];
        if (v > best || v !== v) {
          best = v;
          at = p;
        }
      }
      ys[out + o] = best;
      arg[out + o] = at;
    }
  }
}

function avgPoolLoop(
  xs: Float32Array,
  ys: Float32Array,
  idx: Int32Array,
  div: Float32Array,
  lead: number,
  hw: number,
  ohw: number,
  k: number,
): void {
  for (let l = 0; l < lead; l++) {
    const base = l * hw;
    for (let o = 0; o < ohw; o++) {
      const t0 = o * k;
      let sum = 0;
      for (let t = 0; t < k; t++) {
        const p = idx[t0 + t];
        if (p !== hw) sum += xs[base + p];
      }
      ys[l * ohw + o] = sum / div[o];
    }
  }
}

function maxPoolBackLoop(
  g: Float32Array,
  dx: Float32Array,
  arg: Int32Array,
  lead: number,
  hw: number,
  ohw: number,
): void {
  for (let l = 0; l < lead; l++) {
    const base = l * hw;
    const out = l * ohw;
    for (let o = 0; o < ohw; o++) dx[base + arg[out + o]] += g[out + o];
  }
}

function avgPoolBackLoop(
  g: Float32Array,
  dx: Float32Array,
  idx: Int32Array,
  div: Float32Array,
  lead: number,
  hw: number,
  ohw: number,
  k: number,
): void {
  for (let l = 0; l < lead; l++) {
    const base = l * hw;
    for (let o = 0; o < ohw; o++) {
      const v = g[l * ohw + o] / div[o];
      for (let t = 0; t < k; t++) {
        const p = idx[o * k + t];
        if (p !== hw) dx[base + p] += v;
      }
    }
  }
}

// ---- the wasm heap, directly ---------------------------------------------------------------------
//
// Fused element-wise updates (optimizer steps) and small host reads (a loss's targets) work on
// the wasm backend's memory in place: a tfjs op each would cost more in dispatch than the work.
// Only for tensors the wasm backend holds; anything else takes the tfjs path.

/** The parts of the wasm backend the heap functions use. */
interface WasmHeap {
  dataIdMap: {
    get(dataId: object): { id: number; memoryOffset: number; refCount: number } | undefined;
  };
  wasm: {
    HEAPU8: Uint8Array;
    tfjs: {
      disposeData(id: number): void;
      registerTensor(id: number, size: number, memoryOffset: number): void;
    };
  };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): Info;
}

/** The wasm backend holding `t`'s data, or null (another backend, or wasm never started). */
function wasmOf(t: tf.Tensor): WasmHeap | null {
  engine ??= tf.engine();
  const b = engine.registry.wasm;
  if (b === undefined) return null;
  const info = engine.state.tensorInfo.get(t.dataId);
  return info !== undefined && info.backend === b ? b as unknown as WasmHeap : null;
}

/** Whether `t`'s data lives in the wasm backend's memory (where the heap functions below apply). */
export function onWasm(t: tf.Tensor): boolean {
  return wasmOf(t) !== null;
}

/**
 * A view of `t`'s data on the wasm heap (no copy), or null unless `t` is a float32 / int32
 * tensor on the wasm backend. The view is valid until the backend next allocates (the heap may
 * grow, which detaches it): allocate first, then take views.
 */
export function heapView(t: tf.Tensor): Float32Array | Int32Array | null {
  const b = wasmOf(t);
  if (b === null || (t.dtype !== "float32" && t.dtype !== "int32")) return null;
  const d = b.dataIdMap.get(t.dataId);
  if (d === undefined) return null;
  const buf = b.wasm.HEAPU8.buffer;
  return t.dtype === "float32"
    ? new Float32Array(buf, d.memoryOffset, t.size)
    : new Int32Array(buf, d.memoryOffset, t.size);
}

/**
 * Whether `t`'s data may be written in place: it is on the wasm backend and no other engine
 * tensor shares it (`tf.clone` and reshapes share data, counted by the backend).
 */
export function heapWritable(t: tf.Tensor): boolean {
  const b = wasmOf(t);
  return b !== null && b.dataIdMap.get(t.dataId)?.refCount === 1;
}

/**
 * Call after writing `t`'s data in place. The backend's XNNPACK operators keep packed copies
 * of their weights (a matmul's right operand, a convolution's filter and bias), cached by the
 * tensor's backend id: the data is registered again under a new id, which drops those
 * operators, so the next op reads the new values instead of the stale packed copy.
 */
export function heapWritten(t: tf.Tensor): void {
  const b = wasmOf(t);
  const d = b?.dataIdMap.get(t.dataId);
  if (!b || !d) return;
  b.wasm.tfjs.disposeData(d.id);
  d.id = b.dataIdNextNumber++;
  b.wasm.tfjs.registerTensor(d.id, t.size, d.memoryOffset);
}

/** Where `t`'s data starts in the wasm heap (a byte address), or -1 when it is not there. */
export function heapOffset(t: tf.Tensor): number {
  const d = wasmOf(t)?.dataIdMap.get(t.dataId);
  return d === undefined ? -1 : d.memoryOffset;
}

/**
 * The wasm backend's memory, for kernels compiled against it (see optim/wasm.ts); null when
 * the backend is not running, or runs threaded (a shared memory these kernels do not import).
 */
export function heapMemory(): WebAssembly.Memory | null {
  engine ??= tf.engine();
  const b = engine.registry.wasm as unknown as { wasm?: { asm?: { memory?: unknown } } } | undefined;
  const m = b?.wasm?.asm?.memory;
  return m instanceof WebAssembly.Memory && !(m.buffer instanceof SharedArrayBuffer) ? m : null;
}

/**
 * A new tensor of `shape` (float32 unless told) on the wasm backend with uninitialised data (to be filled
 * through `heapView`), or null when the wasm backend is not running.
 */
export function heapAlloc(shape: number[], dtype: "float32" | "int32" = "float32"): tf.Tensor | null {
  engine ??= tf.engine();
  const b = engine.registry.wasm;
  if (b === undefined) return null;
  const info = (b as unknown as WasmHeap).makeOutput(shape.slice(), dtype);
  return engine.makeTensorFromTensorInfo(info, b);
}

// ---- negative log likelihood -------------------------------------------------------------------
//
// `nll_loss` on (rows, C) log-probabilities, given each row's class (`cls`, 0 for an ignored
// row) and weight (`wi`, 0 for an ignored row): a gather, a scale and a sum, each a tfjs op with
// its own upload otherwise. Float32 arithmetic in the order of those ops.

register("DenotorchNll", ["x"], ([x], a, mem) => {
  const rows = a.rows as number;
  const reduction = a.reduction as string;
  const out = mem.alloc(a.shape as number[], "float32");
  nllLoop(
    mem.view(x) as Float32Array,
    mem.view(out) as Float32Array,
    a.cls as Int32Array,
    a.wi as Float32Array,
    rows,
    a.c as number,
    reduction === "none" ? 0 : reduction === "sum" ? 1 : 2,
    a.total as number,
  );
  return out;
});

register("DenotorchNllGrad", ["g"], ([g], a, mem) => {
  const out = mem.alloc(a.shape as number[], "float32");
  const gx = mem.view(out) as Float32Array;
  gx.fill(0);
  const gs = mem.view(g) as Float32Array;
  const cls = a.cls as Int32Array;
  const k = a.k as Float32Array;
  const c = a.c as number;
  const each = gs.length > 1;
  // the zeros' `+ v`: a scatter adds into zeros (-0 becomes +0)
  for (let i = 0; i < cls.length; i++) gx[i * c + cls[i]] = 0 + Math.fround(k[i] * gs[each ? i : 0]);
  return out;
});

function nllLoop(
  xs: Float32Array,
  ys: Float32Array,
  cls: Int32Array,
  wi: Float32Array,
  rows: number,
  c: number,
  mode: number, // 0 none, 1 sum, 2 mean
  total: number,
): void {
  const f = Math.fround;
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const l = f(xs[i * c + cls[i]] * -wi[i]);
    if (mode === 0) ys[i] = l;
    else sum = f(sum + l);
  }
  if (mode !== 0) ys[0] = mode === 1 ? sum : f(sum / f(total));
}

/**
 * `nll_loss` of `x` (rows × c log-probabilities, row-major): `-wi[i]·x[i, cls[i]]` per row
 * (`shape` [rows]) for reduction "none", their sum, or the sum over `total` for "mean".
 */
export function nll(
  x: tf.Tensor,
  cls: Int32Array,
  wi: Float32Array,
  c: number,
  reduction: "none" | "mean" | "sum",
  total: number,
  shape: number[],
): tf.Tensor {
  return runJs("DenotorchNll", { x }, { cls, wi, rows: cls.length, c, reduction, total, shape });
}

/** The gradient of `nll`: zeros of `shape` (rows × c) but `k[i]·g` (or `k[i]·g[i]`) at `cls[i]`. */
export function nllGrad(
  g: tf.Tensor,
  cls: Int32Array,
  k: Float32Array,
  c: number,
  shape: number[],
): tf.Tensor {
  return runJs("DenotorchNllGrad", { g }, { cls, k, c, shape });
}

// ---- log_softmax over rows -------------------------------------------------------------------------
//
// `cross_entropy`'s log_softmax on (rows, C) logits and its gradient, one pass each: the engine's
// `logSoftmax` is six ops, its gradient (`g - exp(out)·Σg`) four more. Computed in double, then
// rounded to float32 once.

register("DenotorchLogSoftmax", ["x"], ([x], a, mem) => {
  const out = mem.alloc(x.shape.slice(), "float32");
  logSoftmaxLoop(mem.view(x) as Float32Array, mem.view(out) as Float32Array, a.c as number);
  return out;
});

register("DenotorchLogSoftmaxGrad", ["g", "y"], ([g, y], a, mem) => {
  const out = mem.alloc(g.shape.slice(), "float32");
  logSoftmaxGradLoop(
    mem.view(g) as Float32Array,
    mem.view(y) as Float32Array,
    mem.view(out) as Float32Array,
    a.c as number,
  );
  return out;
});

function logSoftmaxLoop(xs: Float32Array, ys: Float32Array, c: number): void {
  for (let r = 0; r < xs.length; r += c) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) if (xs[r + j] > max) max = xs[r + j];
    // a row of -inf gives -inf - -inf = nan, as the engine's kernel does
    if (max === -Infinity) max = 0;
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(xs[r + j] - max);
    const lse = Math.log(sum);
    for (let j = 0; j < c; j++) ys[r + j] = xs[r + j] - max - lse;
  }
}

function logSoftmaxGradLoop(gs: Float32Array, ys: Float32Array, out: Float32Array, c: number): void {
  for (let r = 0; r < gs.length; r += c) {
    let sum = 0;
    for (let j = 0; j < c; j++) sum += gs[r + j];
    for (let j = 0; j < c; j++) out[r + j] = gs[r + j] - Math.exp(ys[r + j]) * sum;
  }
}

/** `log_softmax` of `x` over rows of `c` > 0 (the last dim): a new tensor of x's shape. */
export function logSoftmaxRows(x: tf.Tensor, c: number): tf.Tensor {
  return runJs("DenotorchLogSoftmax", { x }, { c });
}

/** The gradient of `logSoftmaxRows` from its output `y` and the output gradient `g`. */
export function logSoftmaxRowsGrad(g: tf.Tensor, y: tf.Tensor, c: number): tf.Tensor {
  return runJs("DenotorchLogSoftmaxGrad", { g, y }, { c });
}

// ---- transposes on the wasm heap ----------------------------------------------------------------

let copier: { memory: WebAssembly.Memory; copy: StridedCopy } | null = null;
/** Elements of the output's contiguous dim per tile (see `heapTranspose`). */
const TILE = 8;

/**
 * `tf.transpose(x, perm)` for a float32 or int32 tensor of rank ≤ 4 on the wasm backend, as one
 * compiled strided copy (engine/wasm.ts): the backend's own transpose is a generic loop, up to
 * four times slower on the shapes around convolutions. Null elsewhere, and where only size-1
 * dims move (then use `tf.transpose`, or a reshape).
 */
export function heapTranspose(x: tf.Tensor, perm: number[]): tf.Tensor | null {
  const r = x.rank;
  if (r > 4 || perm.length !== r || (x.dtype !== "float32" && x.dtype !== "int32") || x.size === 0) {
    return null;
  }
  const src = heapOffset(x);
  const memory = src < 0 ? null : heapMemory();
  if (memory === null) return null;
  // byte strides of the input
  const inStride = new Array<number>(r);
  for (let i = r - 1, st = 4; i >= 0; i--) {
    inStride[i] = st;
    st *= x.shape[i];
  }
  // the output's dims (size-1 dims dropped; neighbours that stay neighbours merged), each with
  // its input stride
  const dims: { d: number; s: number }[] = [];
  for (const p of perm) {
    const d = x.shape[p];
    if (d === 1) continue;
    const last = dims[dims.length - 1];
    if (last && last.s === inStride[p] * d) dims[dims.length - 1] = { d: last.d * d, s: inStride[p] };
    else dims.push({ d, s: inStride[p] });
  }
  if (dims.length < 2) return null; // no element moves
  // The loops, outermost first. The output's contiguous dim B innermost reads the input with
  // B's stride: fine when that is short. Otherwise (a copy between channels-first and
  // channels-last touches a cache line per element that way, many in one cache set) the
  // input's contiguous dim A goes innermost when B is short, or B is cut in tiles of TILE:
  // the other dims, the tiles, A, B within the tile (each tile reads TILE input rows and
  // writes whole runs of the output).
  const B = dims.length - 1;
  const A = dims.findIndex((e) => e.s === 4);
  const outStride = new Array<number>(dims.length);
  for (let i = dims.length - 1, st = 4; i >= 0; i--) {
    outStride[i] = st;
    st *= dims[i].d;
  }
  let tile = TILE;
  while (dims[B].d % tile !== 0) tile >>= 1;
  const loops: [number, number, number][] = []; // size, input stride, output stride
  const loop = (i: number) => loops.push([dims[i].d, dims[i].s, outStride[i]]);
  if (dims[B].s <= 64 || A < 0) dims.forEach((_, i) => loop(i));
  else {
    for (let i = 0; i < dims.length; i++) if (i !== A && i !== B) loop(i);
    if (dims[B].d <= 16 || tile === 1) {
      loop(B);
      loop(A);
    } else {
      loops.push([dims[B].d / tile, dims[B].s * tile, 4 * tile]);
      loop(A);
      loops.push([tile, dims[B].s, 4]);
    }
  }
  if (loops.length > 4) return null;
  while (loops.length < 4) loops.unshift([1, 0, 0]);
  if (copier?.memory !== memory) copier = { memory, copy: stridedCopy(memory) };
  const out = heapAlloc(perm.map((d) => x.shape[d]), x.dtype);
  if (out === null) return null;
  copier.copy(
    src,
    heapOffset(out),
    ...loops.map((l) => l[0]),
    ...loops.map((l) => l[1]),
    ...loops.map((l) => l[2]),
  );
  return out;
}

// ---- small matrix products on the wasm heap ----------------------------------------------------------

let products: { memory: WebAssembly.Memory; nt: MatmulNT; acc: MatmulAcc } | null = null;

/**
 * The compiled small-product kernels (engine/wasm.ts) and the heap addresses of `ts`, when
 * all are non-empty float32 tensors on the wasm backend; else null.
 */
function productsFor(ts: tf.Tensor[]): { nt: MatmulNT; acc: MatmulAcc; at: number[] } | null {
  const at: number[] = [];
  for (const t of ts) {
    if (t.dtype !== "float32" || t.size === 0) return null;
    const o = heapOffset(t);
    if (o < 0) return null;
    at.push(o);
  }
  const memory = heapMemory();
  if (memory === null) return null;
  if (products?.memory !== memory) products = { memory, ...smallMatmuls(memory) };
  return { nt: products.nt, acc: products.acc, at };
}

/**
 * `x·wᵀ + bias` for x (m×k), w (n×k), bias (n, or null) on the wasm backend, as one compiled
 * kernel (no transposed copies; for small m, where the engine's transposes and dispatch cost
 * more than the arithmetic). Null where that does not apply.
 */
export function heapLinear(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor | null): tf.Tensor | null {
  const [m, k] = x.shape as [number, number];
  const n = w.shape[0];
  if (x.rank !== 2 || w.rank !== 2 || w.shape[1] !== k || (bias && (bias.rank !== 1 || bias.size !== n))) {
    return null;
  }
  const p = productsFor(bias ? [x, w, bias] : [x, w]);
  const out = p && heapAlloc([m, n]);
  if (!p || !out) return null;
  p.nt(p.at[0], p.at[1], bias ? p.at[2] : 0, heapOffset(out), m, n, k);
  return out;
}

/** `g·w` for g (m×n), w (n×k) on the wasm backend (the input gradient of `heapLinear`), or null. */
export function heapLinearGradInput(g: tf.Tensor, w: tf.Tensor): tf.Tensor | null {
  const [m, n] = g.shape as [number, number];
  const k = w.shape[1] as number;
  if (g.rank !== 2 || w.rank !== 2 || w.shape[0] !== n) return null;
  const p = productsFor([g, w]);
  const out = p && heapAlloc([m, k]);
  if (!p || !out) return null;
  p.acc(p.at[0], 4 * n, 4, p.at[1], heapOffset(out), m, n, k);
  return out;
}

/** `gᵀ·x` for g (m×n), x (m×k) on the wasm backend (the weight gradient of `heapLinear`), or null. */
export function heapLinearGradWeight(g: tf.Tensor, x: tf.Tensor): tf.Tensor | null {
  const [m, n] = g.shape as [number, number];
  const k = x.shape[1] as number;
  if (g.rank !== 2 || x.rank !== 2 || x.shape[0] !== m) return null;
  const p = productsFor([g, x]);
  const out = p && heapAlloc([n, k]);
  if (!p || !out) return null;
  p.acc(p.at[0], 4, 4 * n, p.at[1], heapOffset(out), n, m, k);
  return out;
}

/** Names of the kernels here (for tests). */
export const kernelNames: readonly string[] = names;
