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
import { tf } from "./backend.ts";

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

/** Whether the active backend runs these kernels. */
export function jsKernels(): boolean {
  const b = tf.getBackend();
  return b === "wasm" || b === "cpu";
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

/** Names of the kernels here (for tests). */
export const kernelNames: readonly string[] = names;
