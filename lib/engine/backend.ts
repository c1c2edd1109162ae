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
