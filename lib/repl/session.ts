/**
 * The REPL engine: one session's evaluation, display, completion, help and
 * commands, with no terminal in sight (`repl/main.ts` and its prompt,
 * `repl/prompt.ts`, touch one). The lessons reuse both as they are.
 *
 * Evaluation model: every input is compiled by `transform.ts` into the body
 * of an async function run in the global scope. Top-level declarations
 * become globals (so they persist, may be declared again, and closures see
 * later values), the last expression's value is returned and awaited, and
 * loops call the guard so Ctrl-C or the time guard can stop them.
 * @module
 */
import { compile, type Compiled, isIncomplete } from "./transform.ts";
import { Guard, Reason, SystemExit, type Watchdog } from "./guard.ts";
import { display, formatError } from "./display.ts";
import { complete, type Completion, members } from "./complete.ts";
import { help, HelpText, type Namespaces } from "./help.ts";
import { COMMANDS } from "./commands.ts";
import { deferPrint, fetchForDisplay, settlePrints } from "./readback.ts";

export { SystemExit };
export { display, formatError } from "./display.ts";

/** What evaluating one input gave. */
export interface EvalResult {
  /** The input ran without throwing. */
  ok: boolean;
  /** Its value (the last expression's, awaited). */
  value?: unknown;
  /** What it threw. */
  error?: unknown;
  /** What to show: the value PyTorch-style, one error line, or a command's output ("" for nothing). */
  text: string;
  /** Set when the input asked to end the session (`exit()`, `.exit`): the exit status. */
  exit?: number;
}

/** Options of {@link Session}. */
export interface SessionOptions {
  /** Values to install as globals (the facade: `torch`, `print`, …). */
  globals?: Record<string, unknown>;
  /** Colour plain JavaScript values in results. */
  colors?: boolean;
  /** Time guard in seconds (0, the default: none; Ctrl-C stops runaway loops). */
  timeLimit?: number;
  /** The worker that enforces the time guard and forwards Ctrl-C (see `guard.ts`). */
  watchdog?: Watchdog;
  /** The guard the watchdog was made with (default: a new one). */
  guard?: Guard;
}

/** Options of {@link Session.evaluate}. */
export interface EvalOptions {
  /** URL that relative imports resolve against (default: the working directory). */
  base?: string;
  /** Keep the input for `.save` when it succeeds (default true). */
  record?: boolean;
}

// deno-lint-ignore no-eval
const indirectEval = eval;

const HELP_QUERY = /^([\p{ID_Start}$_][\p{ID_Continue}$.]*)\s*\?$/u;

/** An input that names the webgpu device starts it first, so `x.to("webgpu")` just works at the prompt. */
const MENTIONS_WEBGPU = /webgpu/i;

/** What the session needs of `torch.webgpu` (absent from a facade without the device). */
interface WebgpuApi {
  init(): Promise<boolean>;
}

/**
 * Picks the REPL's globals from the facade's exports (`mod.ts`): everything
 * it exports, plus `nn`, `F`, `optim` from `torch.nn`, `torch.nn.functional`,
 * `torch.optim` when `mod.ts` does not export them itself. Missing pieces are
 * simply absent.
 */
export function facadeGlobals(mod: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(mod)) if (k !== "default") out[k] = mod[k];
  const torch = mod.torch as Record<string, unknown> | undefined;
  const nn = torch?.nn as Record<string, unknown> | undefined;
  if (out.nn === undefined && nn) out.nn = nn;
  if (out.F === undefined && nn?.functional) out.F = nn.functional;
  if (out.optim === undefined && torch?.optim) out.optim = torch.optim;
  return out;
}

/** One REPL session: its globals live on `globalThis`. */
export class Session {
  /** The interrupt word and loop helpers of compiled inputs. */
  readonly guard: Guard;
  /** Inputs that ran without error, for `.save`. */
  readonly inputs: string[] = [];
  /** What the last failed input threw (`.trace` shows its stack). */
  lastError: unknown = undefined;
  /** Time guard in seconds; 0: none. */
  timeLimit: number;
  /** Colour plain values. */
  colors: boolean;
  /** The watchdog worker, if any (it may be attached after start-up). */
  watchdog: Watchdog | undefined;
  /** Called when a time guard is set and there is no watchdog yet: attach one. */
  onNeedWatchdog: (() => void) | undefined;
  #count = 0;
  #abort: ((e: unknown) => void) | null = null;

  constructor(opts: SessionOptions = {}) {
    this.colors = opts.colors ?? false;
    this.timeLimit = opts.timeLimit ?? 0;
    this.watchdog = opts.watchdog;
    this.guard = opts.guard ?? new Guard();
    const g = globalThis as Record<string, unknown>;
    const hidden = (name: string, value: unknown) =>
      Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
    const { tick, iter, aiter } = this.guard;
    hidden("__repl", Object.freeze({ tick, iter, aiter, imp: importFrom }));
    Object.assign(g, opts.globals ?? {});
    // print cannot wait for a device tensor's values; this one writes once they are read
    const print = opts.globals?.print;
    if (typeof print === "function") g.print = deferPrint(print as (...values: unknown[]) => void);
    // Python's builtins that a learner reaches for
    hidden("help", (...a: unknown[]) => a.length ? help(a[0], this.namespaces()) : help(undefined, {}));
    hidden("dir", (x: unknown) => members(x));
    hidden("exit", (code = 0) => {
      throw new SystemExit(code);
    });
    hidden("quit", g.exit);
  }

  /** Where `help()` looks names up. */
  namespaces(): Namespaces {
    const g = globalThis as Record<string, unknown>;
    const torch = g.torch as Record<string, unknown> | undefined;
    const nn = (g.nn ?? torch?.nn) as Record<string, unknown> | undefined;
    return {
      torch,
      Tensor: g.Tensor ?? torch?.Tensor,
      nn,
      F: g.F ?? nn?.functional,
      optim: g.optim ?? torch?.optim,
    };
  }

  /** Whether `src` needs more lines before it can run (open brackets, `1 +`, `if (x)`). */
  isIncomplete(src: string): boolean {
    const t = src.trimStart();
    if (isCommand(t) || HELP_QUERY.test(t.trim())) return false;
    return isIncomplete(src);
  }

  /** Completions at `cursor` in `line`. */
  complete(line: string, cursor: number = line.length): Completion {
    return complete(line, cursor, Object.keys(COMMANDS), globalThis);
  }

  /** Compiles an input (an object literal alone on a line is an expression, as in Deno's REPL). */
  compile(src: string, base?: string): Compiled {
    const t = src.trim();
    if (t.startsWith("{") && t.endsWith("}") && !t.startsWith("{}")) {
      try {
        const c = compile(`(${src}\n)`, { base });
        indirectEval(`(async () => {${c.body}\n})`); // compiles: it is an object literal
        return c;
      } catch {
        // a block after all
      }
    }
    return compile(src, { base });
  }

  /**
   * Runs one input: a TypeScript snippet, a command (`.time x.sum()`), or a
   * help query (`torch.cat?`). Never throws: errors come back in the result.
   */
  async evaluate(src: string, opts: EvalOptions = {}): Promise<EvalResult> {
    const trimmed = src.trim();
    if (!trimmed) return { ok: true, text: "" };
    if (isCommand(trimmed)) return await this.command(trimmed);
    const q = HELP_QUERY.exec(trimmed);
    if (q) src = `help(${q[1]})`;
    let compiled: Compiled;
    try {
      compiled = this.compile(src, opts.base);
    } catch (e) {
      return this.#failed(e);
    }
    const code = `(async () => {${compiled.body}\n})()\n//# sourceURL=repl:${++this.#count}`;
    const r = await this.guarded(async () => {
      if (!q && MENTIONS_WEBGPU.test(src)) await this.startWebgpu();
      const value = await indirectEval(code);
      // the values of device tensors it shows are read here, where Ctrl-C can abandon the wait
      await fetchForDisplay(value);
      return value;
    });
    // lines printed with device tensors come before the value (or the error)
    const printed = await settlePrints().then(() => null, (error: unknown) => ({ error }));
    if (!r.ok) return this.#failed(r.error);
    if (printed) return this.#failed(printed.error);
    if (opts.record !== false && !q) this.inputs.push(src);
    try {
      return { ok: true, value: r.value, text: await this.show(r.value) };
    } catch (e) {
      return this.#failed(e); // the value cannot be shown (its inspect hook threw)
    }
  }

  /**
   * The text shown for a value: tensors on a device without synchronous readback (webgpu)
   * are read first, so they show PyTorch's text with their values.
   */
  async show(value: unknown): Promise<string> {
    await fetchForDisplay(value);
    return display(value, { colors: this.colors && !(value instanceof HelpText) });
  }

  /**
   * Starts the webgpu device once (`await torch.webgpu.init()`), and tells whether it works.
   * False, without a sound, when the facade has no webgpu device.
   */
  async startWebgpu(): Promise<boolean> {
    const torch = (globalThis as Record<string, unknown>).torch as
      | { webgpu?: Partial<WebgpuApi> }
      | undefined;
    const webgpu = torch?.webgpu;
    return typeof webgpu?.init === "function" ? await webgpu.init() : false;
  }

  /**
   * Runs `run` as the current input: the guard is reset, the time limit
   * armed, and {@link interrupt} rejects it even while it awaits.
   */
  async guarded<T>(
    run: () => T | Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    if (this.timeLimit > 0 && !this.watchdog) this.onNeedWatchdog?.();
    const generation = this.guard.begin();
    this.guard.limitMs = this.timeLimit * 1000;
    this.watchdog?.arm(generation, this.guard.limitMs);
    const aborted = new Promise<never>((_, reject) => (this.#abort = reject));
    try {
      const p = Promise.resolve(run());
      p.catch(() => {}); // if the interrupt wins the race, its later rejection is not "unhandled"
      return { ok: true, value: await Promise.race([p, aborted]) };
    } catch (error) {
      return { ok: false, error };
    } finally {
      this.#abort = null;
      this.watchdog?.disarm(generation);
    }
  }

  /** Whether an input is running (or awaiting). */
  get busy(): boolean {
    return this.#abort !== null;
  }

  /** Stops the running input: its loops throw at their next turn, and an await is abandoned. */
  interrupt(reason: Reason = Reason.Interrupt): void {
    this.guard.interrupt(reason);
    this.#abort?.(this.guard.error());
  }

  /** Runs a `.command` line. */
  async command(line: string): Promise<EvalResult> {
    const m = /^\.(\w+)\s*([\s\S]*)$/.exec(line.trim());
    const cmd = m ? COMMANDS[m[1]] : undefined;
    if (!m || !cmd) {
      const e = new Error(`unknown command ${line.trim().split(/\s/)[0]} (.help lists them)`);
      return this.#failed(e);
    }
    try {
      if (m[1] !== "help" && MENTIONS_WEBGPU.test(m[2])) await this.startWebgpu(); // `.time x.to("webgpu")`
      const r = await cmd.run(this, m[2].trim());
      return typeof r === "string" ? { ok: true, text: r } : r;
    } catch (e) {
      return this.#failed(e);
    }
  }

  #failed(error: unknown): EvalResult {
    if (error instanceof SystemExit) return { ok: true, text: "", exit: error.code };
    this.lastError = error;
    return { ok: false, error, text: formatError(error) };
  }

  /** Stops the watchdog worker. */
  close(): void {
    this.watchdog?.close();
  }
}

/** A line that is a REPL command (`.help`), not code (`.5 + 1`). */
export function isCommand(line: string): boolean {
  return /^\.[a-zA-Z]/.test(line);
}

/** `import … from spec` inside an input: relative specifiers resolve against the input's base. */
function importFrom(spec: string, base: string, options?: ImportCallOptions): Promise<unknown> {
  const url = /^\.{0,2}\//.test(spec) ? new URL(spec, base).href : spec;
  return options ? import(url, options) : import(url);
}
