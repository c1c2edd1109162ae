/**
 * Errors that escape an input later — thrown in a timer callback, or a
 * rejected promise nobody awaits — must not end a REPL session. Deno ends
 * the process on them unless an `error` / `unhandledrejection` listener
 * prevents it, and the tfjs wasm backend (Emscripten) adds Node listeners
 * that rethrow them. This reports them instead.
 * @module
 */
import process from "node:process";
import { formatError } from "./display.ts";

/** From now on, stray errors are reported through `report` (one line each) and the process lives on. */
export function reportStrayErrors(report: (line: string) => void): void {
  // Emscripten's `process.on("uncaughtException", ex => { throw ex })` and its unhandledRejection twin
  process.removeAllListeners("uncaughtException");
  process.removeAllListeners("unhandledRejection");
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    report(`${formatError(e.reason)} (in a promise nobody awaited)`);
  });
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    report(formatError(e.error ?? e.message));
  });
}
