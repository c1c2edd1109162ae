// deno-lint-ignore-file no-import-prefix -- pinned npm: specifiers keep mod.ts importable from scripts outside the project (no import map there)
/**
 * Starts TensorFlow.js with the fastest CPU backend: wasm (SIMD) whose
 * `.wasm` binaries load from the npm package on disk, never the network;
 * the plain JS cpu backend is the fallback.
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import { setWasmPaths } from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
import "npm:@tensorflow/tfjs-backend-cpu@4.22.0";

export { tf };

let ready: Promise<string> | null = null;

function wasmDir(): string {
  // DENOTORCH_WASM_DIR: where the .wasm files are when the package is not on disk (a bundle)
  const dir = Deno.env.get("DENOTORCH_WASM_DIR");
  if (dir) return dir.endsWith("/") ? dir : dir + "/";
  // The package's dist/ folder holds the .wasm files next to its entry point.
  // pinned npm: specifiers (not import-map names) so mod.ts also works when imported from outside the project
  const entry = import.meta.resolve("npm:@tensorflow/tfjs-backend-wasm@4.22.0");
  return new URL("./", entry).href;
}

/**
 * Initialises the engine once; later calls return the same promise.
 * @returns the name of the tfjs backend in use ("wasm" or "cpu")
 */
export function initEngine(): Promise<string> {
  if (ready) return ready;
  ready = (async () => {
    // tfjs logs a banner about the "node" platform and backend changes; keep the prompt clean.
    // PROD (not IS_TEST) silences it: IS_TEST also turns on a per-kernel leak check whose
    // bookkeeping array grows by one entry per kernel run, forever.
    tf.env().set("PROD", true);
    const preferred = Deno.env.get("DENOTORCH_CPU_BACKEND") ?? "wasm";
    fastKernels();
    if (preferred === "wasm") {
      let why = "tfjs could not start it";
      try {
        setWasmPaths(wasmDir());
        if (await tf.setBackend("wasm")) return "wasm";
      } catch (e) {
        why = e instanceof Error ? e.message : String(e);
      }
      // the JS backend is ~100× slower: never fall back without saying so
      console.warn(
        `denotorch: the wasm engine did not start (${why}); the cpu device runs on tfjs's JS backend, ~100× slower. ` +
          "Set DENOTORCH_WASM_DIR to the folder of tfjs-backend-wasm's .wasm files, or DENOTORCH_CPU_BACKEND=cpu to silence this",
      );
    }
    await tf.setBackend("cpu");
    return "cpu";
  })();
  return ready;
}

interface EngineInternals {
  runKernel(name: string, inputs: unknown, attrs?: unknown): tf.Tensor | tf.Tensor[];
  makeTensorFromTensorInfo(info: tf.TensorInfo): tf.Tensor;
  makeTensor(values: tf.TypedArray, shape: number[], dtype: tf.DataType, backend?: unknown): tf.Tensor;
  backendName: string | null;
  backendInstance: unknown;
  pendingBackendInit: unknown;
  state: {
    profiling: boolean;
    gradientDepth: number;
    kernelDepth: number;
    tensorInfo: WeakMap<object, { backend: unknown }>;
  };
}

/** The started webgpu backend, or null (then nothing below costs anything on the cpu path). */
let gpu: tf.KernelBackend | null = null;

/** Makes `b` the backend of the `webgpu` device (lib/engine/webgpu.ts starts it). */
export function attachGpu(b: tf.KernelBackend | null): void {
  gpu = b;
}

/** The webgpu backend, if started. */
export function gpuBackend(): tf.KernelBackend | null {
  return gpu;
}

/** Whether an engine tensor's data lives on the webgpu backend. */
export function onGpu(t: tf.TensorInfo): boolean {
  if (gpu === null) return false;
  const e = tf.engine() as unknown as EngineInternals;
  return e.state.tensorInfo.get(t.dataId)?.backend === gpu;
}

/** A copy of a cpu engine tensor made on the webgpu backend (a fresh tensor the caller owns). */
export function copyToGpu(t: tf.Tensor): tf.Tensor {
  if (gpu === null) throw new Error("the webgpu backend is not started");
  const e = tf.engine() as unknown as EngineInternals;
  return e.makeTensor(t.dataSync() as tf.TypedArray, t.shape.slice(), t.dtype, gpu);
}

/**
 * Runs `body` with the webgpu backend as tfjs's active backend: creation ops
 * (`tf.zeros`, `tf.scalar`) inside it make webgpu tensors.
 */
export function withGpu<T>(body: () => T): T {
  if (gpu === null) throw new Error("the webgpu backend is not started");
  const e = tf.engine() as unknown as EngineInternals;
  const name = e.backendName, inst = e.backendInstance;
  if (inst === gpu) return body();
  e.backendName = "webgpu";
  e.backendInstance = gpu;
  try {
    return body();
  } finally {
    e.backendName = name;
    e.backendInstance = inst;
  }
}

/**
 * Every tfjs op ends in `engine.runKernel`, whose bookkeeping (kernel registry lookup by a
 * string key, scopes, gradient tape, profiler checks) costs about as much as a small
 * kernel itself. The facade never records tfjs gradients nor profiles, so the common case
 * runs the backend's kernel directly: the outputs are made and tracked exactly as the
 * engine makes them (tf.memory() counts them). Anything else takes the engine's own path.
 *
 * tfjs has one active backend, but tensors live on two (cpu and webgpu): a kernel runs
 * where its tensor inputs live, as PyTorch dispatches on its inputs' device. The facade
 * refuses ops that mix devices, so a cpu input of a webgpu kernel is a scalar operand
 * the op made; it is copied (never moved: tfjs would move a shared cpu storage).
 */
function fastKernels(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  const slow = engine.runKernel.bind(engine);
  const env = tf.env();
  const caches = new Map<string, Map<string, tf.KernelFunc | null>>();
  const direct = (name: string, inputs: unknown, attrs: unknown): tf.Tensor | tf.Tensor[] => {
    const st = engine.state;
    const backend = engine.backendInstance;
    if (
      backend == null || engine.pendingBackendInit != null || st.profiling || st.gradientDepth > 0 ||
      env.getBool("DEBUG")
    ) return slow(name, inputs, attrs);
    const bname = engine.backendName!;
    let cache = caches.get(bname);
    if (cache === undefined) caches.set(bname, cache = new Map());
    let k = cache.get(name);
    if (k === undefined) {
      k = tf.getKernel(name, bname)?.kernelFunc ?? null;
      cache.set(name, k);
    }
    if (k === null) return slow(name, inputs, attrs);
    st.kernelDepth++;
    let out: tf.TensorInfo | tf.TensorInfo[];
    try {
      out = k({ inputs, attrs, backend } as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo | tf.TensorInfo[];
    } finally {
      st.kernelDepth--;
    }
    if (Array.isArray(out)) {
      return out.map((
        o,
      ) => ((o as tf.Tensor).rank != null ? o as tf.Tensor : engine.makeTensorFromTensorInfo(o)));
    }
    return (out as tf.Tensor).rank != null ? out as tf.Tensor : engine.makeTensorFromTensorInfo(out);
  };
  engine.runKernel = (name, inputs, attrs) => {
    if (gpu === null || engine.backendInstance === gpu || !anyOnGpu(engine, inputs)) {
      return direct(name, inputs, attrs);
    }
    const copies: tf.Tensor[] = [];
    const moved = placeOnGpu(engine, inputs, copies);
    try {
      return withGpu(() => direct(name, moved, attrs));
    } finally {
      for (const c of copies) c.dispose();
    }
  };
}

function anyOnGpu(engine: EngineInternals, inputs: unknown): boolean {
  const info = engine.state.tensorInfo;
  for (const v of Object.values(inputs as Record<string, unknown>)) {
    if (Array.isArray(v)) {
      for (const x of v) if (x && info.get((x as tf.Tensor).dataId)?.backend === gpu) return true;
    } else if (v && info.get((v as tf.Tensor).dataId)?.backend === gpu) return true;
  }
  return false;
}

function placeOnGpu(engine: EngineInternals, inputs: unknown, copies: tf.Tensor[]): unknown {
  const info = engine.state.tensorInfo;
  const place = (x: unknown): unknown => {
    if (!x || info.get((x as tf.Tensor).dataId)?.backend === gpu) return x;
    const c = copyToGpu(x as tf.Tensor);
    copies.push(c);
    return c;
  };
  // some kernels (Concat, AddN) take a list of tensors rather than named ones
  if (Array.isArray(inputs)) return inputs.map(place);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? v.map(place) : place(v);
  }
  return out;
}

/** The tfjs backend that runs the `cpu` device. */
export function cpuBackendName(): string {
  return tf.getBackend();
}
