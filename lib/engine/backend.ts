/**
 * Starts TensorFlow.js with the fastest CPU backend: wasm (SIMD) whose
 * `.wasm` binaries load from the npm package on disk, never the network;
 * the plain JS cpu backend is the fallback.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-cpu";

export { tf };

let ready: Promise<string> | null = null;

function wasmDir(): string {
  // The package's dist/ folder holds the .wasm files next to its entry point.
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
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
    tf.env().set("IS_TEST", true);
    const preferred = Deno.env.get("DENOTORCH_CPU_BACKEND") ?? "wasm";
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

/** The tfjs backend that runs the `cpu` device. */
export function cpuBackendName(): string {
  return tf.getBackend();
}
