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
      try {
        setWasmPaths(wasmDir());
        if (await tf.setBackend("wasm")) return "wasm";
      } catch (_) {
        // fall through to the JS backend
      }
    }
    await tf.setBackend("cpu");
    return "cpu";
  })();
  return ready;
}

interface EngineInternals {
  runKernel(name: string, inputs: unknown, attrs?: unknown): tf.Tensor | tf.Tensor[];
  makeTensorFromTensorInfo(info: tf.TensorInfo): tf.Tensor;
  backendName: string | null;
  backendInstance: unknown;
  pendingBackendInit: unknown;
  state: { profiling: boolean; gradientDepth: number; kernelDepth: number };
}

/**
 * Every tfjs op ends in `engine.runKernel`, whose bookkeeping (kernel registry lookup by a
 * string key, scopes, gradient tape, profiler checks) costs about as much as a small
 * kernel itself. The facade never records tfjs gradients nor profiles, so the common case
 * runs the backend's kernel directly: the outputs are made and tracked exactly as the
 * engine makes them (tf.memory() counts them). Anything else takes the engine's own path.
 */
function fastKernels(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  const slow = engine.runKernel.bind(engine);
  const env = tf.env();
  const cache = new Map<string, tf.KernelFunc | null>();
  let cachedFor: string | null = null;
  engine.runKernel = (name, inputs, attrs) => {
    const st = engine.state;
    const backend = engine.backendInstance;
    if (
      backend == null || engine.pendingBackendInit != null || st.profiling || st.gradientDepth > 0 ||
      env.getBool("DEBUG")
    ) return slow(name, inputs, attrs);
    if (cachedFor !== engine.backendName) {
      cache.clear();
      cachedFor = engine.backendName;
    }
    let k = cache.get(name);
    if (k === undefined) {
      k = tf.getKernel(name, cachedFor!)?.kernelFunc ?? null;
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
}

/** The tfjs backend that runs the `cpu` device. */
export function cpuBackendName(): string {
  return tf.getBackend();
}
