/**
 * `deno task repl`: the PyTorch prompt. This is the only file that touches
 * the terminal; evaluation, display, completion, help and commands are the
 * engine in `lib/repl/` (the lessons reuse it).
 *
 *   deno run --allow-read --allow-env --allow-write --allow-net=127.0.0.1 repl/main.ts [options] [script.ts]
 *
 * Options: `--seed N` (torch.manual_seed), `--device cpu|webgpu`,
 * `--timeout SECONDS` (time guard on each input; off by default), `--help`.
 * A script runs first and its variables stay at the prompt (`python -i`).
 * The webgpu device starts with `--device webgpu`, `.device webgpu`, or
 * before the first input that mentions `webgpu`; its tensors print their
 * values at the prompt and in `print` (the session awaits the reads).
 * Piped (non-terminal) stdin is evaluated line by line, results on stdout,
 * errors on stderr; the exit status is 1 if any input failed.
 *
 * Environment: `DENOTORCH_HISTORY` (history file; empty: none; default
 * `~/.denotorch/history`), `DENOTORCH_TIMEOUT` (time guard, seconds), `DENOTORCH_STARTUP_TIMING` (a file
 * to write the milliseconds from process start to the first prompt, then a
 * line `watchdog <ms>` once Ctrl-C works),
 * `NO_COLOR`.
 *
 * Stopping a runaway loop: Deno cannot interrupt a synchronous loop on the
 * main thread, so compiled inputs call a guard on every loop turn, and a
 * small worker thread (`lib/repl/watchdog_worker.ts`) sets the guard's
 * shared flag on SIGINT. While an input runs the terminal leaves raw mode, so
 * Ctrl-C is a SIGINT: the loop throws `KeyboardInterrupt` at its next turn
 * and the session (every variable) survives. The optional time guard uses
 * the same flag. See `lib/repl/guard.ts`.
 * @module
 */
import { parseArgs } from "node:util";
import { Guard, Watchdog, type WatchdogEvent } from "../lib/repl/guard.ts";
import type { EvalResult, Session } from "../lib/repl/session.ts";

const USAGE = `usage: deno task repl [--seed N] [--device cpu|webgpu] [--timeout SECONDS] [script.ts]

  script.ts          run this file first; its variables stay at the prompt (like python -i)
  --seed N           torch.manual_seed(N) before anything runs
  --device D         default device: cpu, or webgpu (started at launch: it names the adapter, or
                     says why there is none and stays on cpu)
  --timeout SECONDS  stop any input that runs longer (default: no limit; Ctrl-C stops one)

Piped stdin is evaluated line by line. History: $DENOTORCH_HISTORY or ~/.denotorch/history.`;

function parseFlags() {
  try {
    return parseArgs({
      args: Deno.args,
      options: {
        seed: { type: "string" },
        device: { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    Deno.exit(2);
  }
}
const flags = parseFlags();
if (flags.values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
if (flags.positionals.length > 1) {
  console.error(`one script at most, got: ${flags.positionals.join(" ")}\n\n${USAGE}`);
  Deno.exit(2);
}

const interactive = Deno.stdin.isTerminal();
const colors = Deno.stdout.isTerminal() && !Deno.noColor;
const encoder = new TextEncoder();
const out = (s: string) => Deno.stdout.writeSync(encoder.encode(s));
const err = (s: string) => (interactive ? Deno.stdout : Deno.stderr).writeSync(encoder.encode(s));

const guard = new Guard();
const [facade, engine, stray] = await Promise.all([
  import("../mod.ts"),
  import("../lib/repl/session.ts"),
  import("../lib/repl/stray.ts"),
]);
Error.stackTraceLimit = 50; // .trace shows the whole stack; the prompt shows one line

const session: Session = new engine.Session({
  globals: engine.facadeGlobals(facade as unknown as Record<string, unknown>),
  colors,
  timeLimit: Number(flags.values.timeout ?? Deno.env.get("DENOTORCH_TIMEOUT") ?? 0) || 0,
  guard,
});

/**
 * The watchdog thread (Ctrl-C and the time guard). Starting a worker blocks
 * this thread for ~25 ms, so the terminal starts it just after the first
 * prompt, while the learner types.
 */
function startWatchdog(onEvent: (e: WatchdogEvent) => void): void {
  const w = new Watchdog(guard, { sigint: true });
  w.onEvent = onEvent;
  session.watchdog = w;
}

let failures = 0;

function errorLine(text: string): string {
  return colors ? text.replace(/^([\w.]+)(:|$)/, "\x1b[31m$1\x1b[0m$2") : text;
}

/** Shows a result: values on stdout, errors as one line (on stderr when piped). */
function show(r: EvalResult): void {
  if (r.ok) {
    if (r.text) out(r.text + "\n");
  } else {
    failures++;
    const interrupted = r.error instanceof Error && r.error.name === "KeyboardInterrupt";
    err((interactive && interrupted ? "\n" : "") + errorLine(r.text) + "\n");
  }
}

// Errors thrown later by callbacks or unawaited promises must not end the session.
stray.reportStrayErrors((line) => err(errorLine(line) + "\n"));

function finish(code: number): never {
  session.close();
  Deno.exit(code);
}

async function runStartup(): Promise<void> {
  const seed = flags.values.seed;
  if (seed !== undefined) {
    if (!/^\d+$/.test(seed)) {
      console.error(`--seed expects a non-negative integer, got '${seed}'`);
      finish(2);
    }
    const r = await session.evaluate(`torch.manual_seed(${seed})`, { record: false });
    if (!r.ok) show(r);
  }
  if (flags.values.device !== undefined) {
    const r = await session.command(`.device ${flags.values.device}`);
    show(r);
    if (!r.ok) finish(2);
  }
  const script = flags.positionals[0];
  if (script !== undefined) {
    const r = await session.command(`.load ${script}`);
    if (r.exit !== undefined) finish(r.exit);
    if (!r.ok) show(r);
  }
}

// ---- piped stdin: line by line ----------------------------------------------------------

async function piped(): Promise<never> {
  // Without the watchdog, SIGINT ends the process (as it should when piped); with a time guard
  // it starts, and Ctrl-C then stops the running input and exits.
  const onEvent = (e: WatchdogEvent) => {
    if (e === "sigint") {
      if (session.busy) session.interrupt();
      else finish(130);
    }
  };
  if (session.timeLimit > 0) startWatchdog(onEvent);
  session.onNeedWatchdog = () => startWatchdog(onEvent);
  await runStartup();
  let buffer: string[] = [];
  const run = async (src: string) => {
    const r = await session.evaluate(src);
    show(r);
    if (r.exit !== undefined) finish(r.exit);
    if (!r.ok && r.error instanceof Error && r.error.name === "KeyboardInterrupt") finish(130);
  };
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of Deno.stdin.readable) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      buffer.push(pending.slice(0, nl).replace(/\r$/, ""));
      pending = pending.slice(nl + 1);
      const src = buffer.join("\n");
      if (session.isIncomplete(src)) continue;
      buffer = [];
      await run(src);
    }
  }
  if (pending) buffer.push(pending);
  if (buffer.length) await run(buffer.join("\n"));
  finish(failures ? 1 : 0);
}

// ---- the terminal ------------------------------------------------------------------------

function historyPath(): string | null {
  const env = Deno.env.get("DENOTORCH_HISTORY");
  if (env !== undefined) return env || null;
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  return home ? `${home}/.denotorch/history` : null;
}

const HISTORY_SIZE = 1000;

function loadHistory(path: string | null): string[] {
  if (!path) return [];
  try {
    let lines = Deno.readTextFileSync(path).split("\n").filter((l) => l.trim() !== "");
    if (lines.length > 2 * HISTORY_SIZE) {
      lines = lines.slice(-HISTORY_SIZE);
      Deno.writeTextFileSync(path, lines.join("\n") + "\n");
    }
    return lines.slice(-HISTORY_SIZE).reverse(); // readline wants the newest first
  } catch {
    return [];
  }
}

function appendHistory(path: string | null, line: string, last: string | undefined): void {
  if (!path || line.trim() === "" || line === last) return;
  try {
    Deno.writeTextFileSync(path, line + "\n", { append: true });
  } catch {
    try {
      Deno.mkdirSync(path.replace(/\/[^/]*$/, ""), { recursive: true });
      Deno.writeTextFileSync(path, line + "\n", { append: true });
    } catch {
      // no history then
    }
  }
}

async function terminal(): Promise<void> {
  const [{ createInterface }, { default: process }] = await Promise.all([
    import("node:readline"),
    import("node:process"),
  ]);
  const path = historyPath();
  const history = loadHistory(path);
  let lastLine: string | undefined = history[0];
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    history,
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    tabSize: 4,
    completer: (line: string): [string[], string] => {
      const c = session.complete(line);
      return [c.items, line.slice(c.from)];
    },
  });
  // readline types omit these
  const editor = rl as unknown as { line: string; cursor: number };
  const PS1 = ">>> ";
  const PS2 = "... ";
  let buffer: string[] = [];
  let ctrlC = false;
  let busy = false;
  const queue: string[] = [];

  const loaded = ["torch", "nn", "F", "optim", "torchvision"].filter((n) => n in globalThis);
  out(
    `denotorch: PyTorch in TypeScript (TensorFlow.js ${facade.torch.backend()} backend)\n` +
      `${
        loaded.join(", ")
      }, print, len, range, … are loaded. help(torch.cat) for documentation, .help for more.\n`,
  );
  const onEvent = (e: WatchdogEvent) => {
    if (e === "sigint" && session.busy) session.interrupt();
  };

  process.stdin.on("keypress", (_s: string, key: { ctrl?: boolean; name?: string } | undefined) => {
    if (!(key?.ctrl && key.name === "c")) ctrlC = false;
  });
  rl.on("SIGINT", () => {
    if (editor.line.length > 0 || buffer.length > 0) {
      editor.line = "";
      editor.cursor = 0;
      buffer = [];
      ctrlC = false;
      out("^C\n");
    } else if (ctrlC) {
      out("\n");
      finish(0);
    } else {
      ctrlC = true;
      out("\n(To exit, press Ctrl+C again or Ctrl+D or type .exit)\n");
    }
    rl.setPrompt(PS1);
    rl.prompt();
  });
  rl.on("close", () => {
    out("\n");
    finish(0);
  });

  /** Runs code with the terminal out of raw mode: Ctrl-C is then a SIGINT, which the watchdog turns into KeyboardInterrupt. */
  const running = async (run: () => Promise<void>) => {
    busy = true;
    rl.pause();
    process.stdin.setRawMode(false);
    try {
      await run();
    } finally {
      process.stdin.setRawMode(true);
      rl.resume();
    }
  };
  const evaluate = (src: string) =>
    running(async () => {
      const r = await session.evaluate(src);
      if (r.exit !== undefined) finish(r.exit);
      show(r);
    });
  // a file to write the start-up time to (ms), then when the watchdog is ready (the tests wait for it)
  const timing = Deno.env.get("DENOTORCH_STARTUP_TIMING");
  const attachWatchdog = () => {
    startWatchdog(onEvent);
    // Deno clears the terminal's current line once it has loaded the worker's module: draw the prompt again
    session.watchdog!.ready.then(() => {
      if (!busy) rl.prompt(true);
      if (timing) {
        Deno.writeTextFileSync(timing, `watchdog ${performance.now().toFixed(1)}\n`, { append: true });
      }
    });
  };

  const drain = async () => {
    if (busy) return;
    while (queue.length) {
      const line = queue.shift()!;
      appendHistory(path, line, lastLine);
      if (line.trim()) lastLine = line;
      buffer.push(line);
      const src = buffer.join("\n");
      if (session.isIncomplete(src)) {
        rl.setPrompt(PS2);
        continue;
      }
      buffer = [];
      rl.setPrompt(PS1);
      if (src.trim()) await evaluate(src);
    }
    busy = false;
    rl.prompt();
  };
  rl.on("line", (line: string) => {
    ctrlC = false;
    queue.push(line);
    drain();
  });
  rl.setPrompt(PS1);
  if (flags.positionals.length || flags.values.seed !== undefined || flags.values.device !== undefined) {
    attachWatchdog(); // a script may loop: Ctrl-C must work from the start
    await running(runStartup);
    busy = false;
  }
  rl.prompt();
  if (timing) Deno.writeTextFileSync(timing, `${performance.now().toFixed(1)}\n`, { append: true });
  if (!session.watchdog) setTimeout(attachWatchdog, 0);
  if (queue.length) drain(); // lines typed while a script ran
}

if (interactive) await terminal();
else await piped();
