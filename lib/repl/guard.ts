/**
 * Stopping a runaway input without losing the session.
 *
 * Deno cannot interrupt a synchronous loop on the main thread: signal
 * handlers and timers only run when the loop yields. So the REPL compiles
 * every loop to call {@link tick} on each turn (see `transform.ts`), and
 * `tick` reads one word of shared memory that another thread may set:
 *
 * - the {@link Watchdog} worker, which listens for SIGINT (Ctrl-C while an
 *   input runs) and keeps the optional time guard's timer;
 * - or the main thread itself, through {@link Guard.interrupt}, while an
 *   input awaits.
 *
 * Why not evaluate in a worker and terminate it on Ctrl-C? Terminating a
 * worker loses every variable of the session (the very thing to protect),
 * completion and `help` would need asynchronous round trips to reach the
 * values, and the worker would have to start the engine itself. The guard
 * costs one shared-memory read per loop turn (~20 ns, less than a Python
 * loop turn), works in loops inside functions defined at the prompt, and
 * leaves long training loops alone: only Ctrl-C, or a time guard the user
 * asked for, stops them. What it cannot stop is one long call into the
 * engine (a huge matmul), which ends by itself, and a loop in a module that
 * an input `import`s (modules load as they are; `.load` a file instead).
 *
 * The word holds `generation << 2 | reason`, so a timer or signal meant for
 * one input can never stop the next one. A set reason stays set until the
 * next input starts: every loop of the stopped input exits at its next
 * turn, even one that catches the first error.
 * @module
 */

/** Python's `KeyboardInterrupt`: Ctrl-C stopped the input. */
export class KeyboardInterrupt extends Error {
  override name = "KeyboardInterrupt";
  /** Shown by the REPL as Python shows it. */
  pyName = "KeyboardInterrupt";
}

/** Python's `TimeoutError`: the time guard stopped the input. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
  /** Shown by the REPL as Python shows it. */
  pyName = "TimeoutError";
}

/** Python's `SystemExit`: `exit()`, `quit()` or `.exit` ends the session. */
export class SystemExit extends Error {
  override name = "SystemExit";
  /** Shown by the REPL as Python shows it. */
  pyName = "SystemExit";
  /** The exit status asked for. */
  code: number;
  constructor(code = 0) {
    super(String(code));
    this.code = code;
  }
}

/** Why an input was stopped. */
export const enum Reason {
  None = 0,
  Interrupt = 1,
  Timeout = 2,
}

/** The interrupt word and the loop helpers compiled inputs call (`__repl.tick()` and friends). */
export class Guard {
  /** `[generation << 2 | reason]`, shared with the watchdog worker. */
  readonly state: Int32Array<SharedArrayBuffer> = new Int32Array(new SharedArrayBuffer(4));
  /** Time limit in ms that the last stop by timeout enforced (for the message). */
  limitMs = 0;
  #generation = 0;

  /** Called on every loop turn of compiled code: throws once the current input is stopped. */
  readonly tick = (): true => {
    const v = Atomics.load(this.state, 0);
    if (v & 3) this.#raise(v & 3);
    return true;
  };

  #raise(reason: number): never {
    if (reason === Reason.Timeout) {
      const s = this.limitMs / 1000;
      throw new TimeoutError(
        `the input ran past the time guard of ${s} s (change it with .timeout SECONDS, or .timeout off)`,
      );
    }
    throw new KeyboardInterrupt("");
  }

  /** Throws if the current input was stopped (for loops outside compiled code, such as `.time`). */
  check(): void {
    this.tick();
  }

  /** Starts a new input: clears any stop, returns its generation. */
  begin(): number {
    this.#generation = (this.#generation + 1) & 0x1fffffff;
    Atomics.store(this.state, 0, this.#generation << 2);
    return this.#generation;
  }

  /** Stops the current input (from the main thread, e.g. while it awaits). */
  interrupt(reason: Reason = Reason.Interrupt): void {
    const g = this.#generation << 2;
    Atomics.compareExchange(this.state, 0, g, g | reason);
  }

  /** The reason the current input was stopped, if it was. */
  get reason(): Reason {
    return (Atomics.load(this.state, 0) & 3) as Reason;
  }

  /** The error for the current stop reason. */
  error(): Error {
    try {
      this.#raise(this.reason || Reason.Interrupt);
    } catch (e) {
      return e as Error;
    }
  }

  /** `for (x of it)` with a guard on each turn (loops whose body is not a block). */
  readonly iter = <T>(it: Iterable<T>): Iterable<T> => {
    if (it == null || typeof (it as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== "function") {
      throw new TypeError(`${Deno.inspect(it)} is not iterable`);
    }
    const tick = this.tick;
    return (function* () {
      for (const x of it) {
        tick();
        yield x;
      }
    })();
  };

  /** `for await (x of it)` with a guard on each turn. */
  readonly aiter = <T>(it: AsyncIterable<T> | Iterable<T>): AsyncIterable<T> => {
    const tick = this.tick;
    return (async function* () {
      for await (const x of it) {
        tick();
        yield x;
      }
    })();
  };
}

/** Messages from the watchdog worker. */
export type WatchdogEvent = "sigint" | "timeout";

/**
 * A worker thread that can stop the main thread's loops: it sets the guard's
 * word on SIGINT (when asked to listen) and when an input's time limit
 * passes, and tells the main thread, in case it is awaiting rather than
 * looping.
 */
export class Watchdog {
  #worker: Worker;
  #ready: Promise<void>;
  /** Called on the main thread when the worker saw a SIGINT or a timeout. */
  onEvent: (e: WatchdogEvent) => void = () => {};

  constructor(guard: Guard, opts: { sigint?: boolean } = {}) {
    this.#worker = new Worker(new URL("./watchdog_worker.ts", import.meta.url), { type: "module" });
    this.#ready = new Promise((resolve) => {
      this.#worker.onmessage = (m: MessageEvent<WatchdogEvent | "ready">) => {
        if (m.data === "ready") resolve();
        else this.onEvent(m.data);
      };
    });
    this.#worker.postMessage({ state: guard.state, sigint: opts.sigint ?? false });
  }

  /** Resolves once the worker listens (SIGINT is caught from then on). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Starts the time limit of input `generation` (`ms` = 0: none). */
  arm(generation: number, ms: number): void {
    if (ms > 0) this.#worker.postMessage({ arm: generation, ms });
  }

  /** Input `generation` ended. */
  disarm(generation: number): void {
    this.#worker.postMessage({ disarm: generation });
  }

  /** Stops the worker. */
  close(): void {
    this.#worker.terminate();
  }
}
