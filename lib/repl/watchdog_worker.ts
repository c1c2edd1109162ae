/**
 * The watchdog thread (see `guard.ts`): sets the shared interrupt word on
 * SIGINT and when an input's time limit passes; the main thread's loops
 * notice it on their next turn.
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

let state: Int32Array | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

function stop(generation: number | null, reason: number): boolean {
  if (!state) return false;
  for (;;) {
    const v = Atomics.load(state, 0);
    if (generation !== null && v >> 2 !== generation) return false; // that input is over
    if (v & 3) return false; // already stopped
    if (Atomics.compareExchange(state, 0, v, v | reason) === v) return true;
  }
}

self.onmessage = (m: MessageEvent) => {
  const d = m.data;
  if (d.state) {
    state = d.state as Int32Array;
    if (d.sigint) {
      Deno.addSignalListener("SIGINT", () => {
        stop(null, 1);
        self.postMessage("sigint");
      });
    }
    self.postMessage("ready");
  } else if (d.arm !== undefined) {
    clearTimeout(timer);
    const generation = d.arm as number;
    timer = setTimeout(() => {
      if (stop(generation, 2)) self.postMessage("timeout");
    }, d.ms);
  } else if (d.disarm !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
};
