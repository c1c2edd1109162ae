/**
 * `deno task repl`: the PyTorch prompt. This file and the prompt it shares
 * with the lessons (`repl/prompt.ts`: line editing, history, Ctrl-C) are the
 * only ones that touch the terminal; evaluation, display, completion, help
 * and commands are the engine in `lib/repl/` (the lessons reuse it).
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
import { Guard, type WatchdogEvent } from "../lib/repl/guard.ts";
import { errorLine, historyPath, Prompt, watchCtrlC } from "./prompt.ts";
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

let failures = 0;

/** Shows a result: values on stdout, errors as one line (on stderr when piped). */
function show(r: EvalResult): void {
  if (r.ok) {
    if (r.text) out(r.text + "\n");
  } else {
    failures++;
    const interrupted = r.error instanceof Error && r.error.name === "KeyboardInterrupt";
    err((interactive && interrupted ? "\n" : "") + errorLine(r.text, colors) + "\n");
  }
}

// Errors thrown later by callbacks or unawaited promises must not end the session.
stray.reportStrayErrors((line) => err(errorLine(line, colors) + "\n"));

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
  if (session.timeLimit > 0) watchCtrlC(session, onEvent);
  session.onNeedWatchdog = () => watchCtrlC(session, onEvent);
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

async function terminal(): Promise<void> {
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  const prompt = await Prompt.open({
    complete: (line) => session.complete(line),
    history: historyPath(home ? `${home}/.denotorch/history` : null),
    quitHint: "(To exit, press Ctrl+C again or Ctrl+D or type .exit)",
  });
  const PS1 = ">>> ";
  const incomplete = (src: string) => session.isIncomplete(src);

  const loaded = ["torch", "nn", "F", "optim", "torchvision"].filter((n) => n in globalThis);
  out(
    `denotorch: PyTorch in TypeScript (TensorFlow.js ${facade.torch.backend()} backend)\n` +
      `${
        loaded.join(", ")
      }, print, len, range, … are loaded. help(torch.cat) for documentation, .help for more.\n`,
  );
  // a file to write the start-up time to (ms), then when the watchdog is ready (the tests wait for it)
  const timing = Deno.env.get("DENOTORCH_STARTUP_TIMING");
  // Starting the watchdog's worker blocks this thread for ~25 ms: done just after the first prompt,
  // while the user types (or before a start-up script, which may loop)
  const attachWatchdog = () => {
    // Deno clears the terminal's current line once it has loaded the worker's module: draw the prompt again
    watchCtrlC(session).ready.then(() => {
      prompt.redraw();
      if (timing) {
        Deno.writeTextFileSync(timing, `watchdog ${performance.now().toFixed(1)}\n`, { append: true });
      }
    });
  };
  if (flags.positionals.length || flags.values.seed !== undefined || flags.values.device !== undefined) {
    attachWatchdog(); // a script may loop: Ctrl-C must work from the start
    await runStartup(); // (the prompt keeps the terminal cooked until it waits for a line)
  }
  let next = prompt.readInput(PS1, incomplete); // draws the first prompt
  if (timing) Deno.writeTextFileSync(timing, `${performance.now().toFixed(1)}\n`, { append: true });
  if (!session.watchdog) setTimeout(attachWatchdog, 0);
  for (;;) {
    const src = await next;
    if (src === null) { // Ctrl-D, or Ctrl-C twice
      out("\n");
      finish(0);
    }
    const r = await session.evaluate(src);
    if (r.exit !== undefined) finish(r.exit);
    show(r);
    next = prompt.readInput(PS1, incomplete);
  }
}

if (interactive) await terminal();
else await piped();
