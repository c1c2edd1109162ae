/**
 * Imported first by bench.ts (before mod.ts starts the engine). Only matters when bench.ts runs
 * as a `deno bundle` output (bench/webgpu/prepare.sh): tfjs-backend-wasm's emscripten glue is
 * CommonJS that takes the node path under Deno and reads `__dirname`, which Deno passes to
 * CommonJS modules it loads itself but which a bundle leaves undefined (a ReferenceError, and the
 * cpu device silently falls back to tfjs's plain JS backend). Its value is not used to find the
 * `.wasm` files: lib/engine/backend.ts gives tfjs their folder (`import.meta.resolve` of the wasm
 * package, which run.sh maps to the carried copies with an import map).
 * @module
 */
const g = globalThis as { __dirname?: string };
if (g.__dirname === undefined && !import.meta.url.endsWith(".ts")) {
  g.__dirname = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
}
