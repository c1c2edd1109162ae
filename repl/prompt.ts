/**
 * The prompt in a terminal, shared by the REPL (`repl/main.ts`) and the
 * lessons (`lessons/ui.ts`): node:readline line editing, Tab completion,
 * history in a file, multi-line inputs, Ctrl-C, and the watchdog that turns
 * Ctrl-C into `KeyboardInterrupt` while an input runs. What each program
 * prompts, shows and does with a line stays in that program.
 *
 * The terminal is in raw mode only while a prompt waits: between prompts
 * (while an input runs) it is cooked, so Ctrl-C is a SIGINT that the
 * watchdog thread sees even while a synchronous loop holds the main thread
 * (see `lib/repl/guard.ts`), and lines typed meanwhile are read afterwards.
 * @module
 */
// guard.ts alone at load time: the REPL imports the rest of the engine in parallel, for its start-up time
import { Watchdog, type WatchdogEvent } from "../lib/repl/guard.ts";
import type { Completion } from "../lib/repl/complete.ts";
import type { Session } from "../lib/repl/session.ts";

type Readline = import("node:readline").Interface;
type Stdin = { setRawMode?: (raw: boolean) => void; isTTY?: boolean; on(e: string, f: unknown): void };

/** How many lines the history keeps. */
export const HISTORY_SIZE = 1000;

const encoder = new TextEncoder();
function write(s: string): void {
  Deno.stdout.writeSync(encoder.encode(s));
}

/** The history file: `$DENOTORCH_HISTORY` (empty: none), else `fallback`. */
export function historyPath(fallback: string | null): string | null {
  const env = Deno.env.get("DENOTORCH_HISTORY");
  return env !== undefined ? env || null : fallback;
}

/** The history, newest first (as readline wants it); a file grown past twice the size is cut back. */
export function loadHistory(path: string | null): string[] {
  if (!path) return [];
  try {
    let lines = Deno.readTextFileSync(path).split("\n").filter((l) => l.trim() !== "");
    if (lines.length > 2 * HISTORY_SIZE) {
      lines = lines.slice(-HISTORY_SIZE);
      Deno.writeTextFileSync(path, lines.join("\n") + "\n");
    }
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/** Appends a line to the history file (its folder made on the first write); a failure only loses history. */
export function appendHistory(path: string, line: string): void {
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

/** An error's first line with its name in red (`KeyboardInterrupt`, `RuntimeError: …`), after any blank lines. */
export function errorLine(text: string, colors: boolean): string {
  return colors ? text.replace(/^(\n*)([\w.]+)(:|$)/, "$1\x1b[31m$2\x1b[0m$3") : text;
}

/**
 * Starts the watchdog thread for `session` (Ctrl-C, and the time guard). By
 * default a SIGINT stops the running input, if any; at the prompt readline
 * has the terminal in raw mode and sees Ctrl-C itself. Starting the worker
 * blocks this thread for ~25 ms, so callers choose when.
 */
export function watchCtrlC(
  session: Session,
  onEvent: (e: WatchdogEvent) => void = (e) => {
    if (e === "sigint" && session.busy) session.interrupt();
  },
): Watchdog {
  const w = new Watchdog(session.guard, { sigint: true });
  w.onEvent = onEvent;
  session.watchdog = w;
  return w;
}

/** What a {@link Prompt} is made with. */
export interface PromptOptions {
  /** Tab completion of `line` (the cursor at its end). */
  complete: (line: string) => Completion;
  /** The history file (null: none); see {@link historyPath}. */
  history: string | null;
  /** Line editing, history and raw mode (false: plain lines, as from a pipe). Default true. */
  terminal?: boolean;
  /** What the first Ctrl-C on an empty line says (the second one quits). */
  quitHint: string;
  /**
   * What a second Ctrl-C on an empty line does: read this line (after a
   * newline), as if typed; without it, the input ends as with Ctrl-D.
   */
  quitLine?: string;
}

/** Lines from the terminal, one prompt at a time. */
export class Prompt {
  #rl: Readline;
  #stdin: Stdin;
  #terminal: boolean;
  #opts: PromptOptions;
  /** Lines typed while no prompt waited (while an input ran). */
  #queue: string[] = [];
  #waiting: ((line: string | null) => void) | null = null;
  #closed = false;
  /** Ctrl-C was pressed once on an empty line: the next one quits. */
  #ctrlC = false;
  /** The unfinished lines of a multi-line input, and its first prompt (Ctrl-C drops them). */
  #buffer: string[] = [];
  #ps1: string | null = null;
  #last: string | undefined;

  /** Opens the prompt on stdin/stdout. node:readline loads here, not at start-up. */
  static async open(opts: PromptOptions): Promise<Prompt> {
    const [{ createInterface }, { default: process }] = await Promise.all([
      import("node:readline"),
      import("node:process"),
    ]);
    const history = loadHistory(opts.history);
    const terminal = opts.terminal ?? true;
    const rl = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal,
      history,
      historySize: HISTORY_SIZE,
      removeHistoryDuplicates: true,
      tabSize: 4,
      completer: (line: string): [string[], string] => {
        const c = opts.complete(line);
        return [c.items, line.slice(c.from)];
      },
    });
    const p = new Prompt(rl, process.stdin as unknown as Stdin, terminal, opts);
    p.#last = history[0]; // a line equal to the newest one on file is not stored again
    return p;
  }

  private constructor(rl: Readline, stdin: Stdin, terminal: boolean, opts: PromptOptions) {
    this.#rl = rl;
    this.#stdin = stdin;
    this.#terminal = terminal;
    this.#opts = opts;
    rl.on("line", (line: string) => {
      this.#ctrlC = false;
      this.#deliver(line);
    });
    rl.on("close", () => {
      this.#closed = true;
      const w = this.#waiting;
      this.#waiting = null;
      w?.(null);
    });
    if (terminal) {
      stdin.on("keypress", (_s: string, key: { ctrl?: boolean; name?: string } | undefined) => {
        if (!(key?.ctrl && key.name === "c")) this.#ctrlC = false;
      });
    }
    rl.on("SIGINT", () => this.#sigint());
    this.#pause();
  }

  #sigint(): void {
    // readline's types omit the line being edited
    const editor = this.#rl as unknown as { line: string; cursor: number };
    if (editor.line.length > 0 || this.#buffer.length > 0) {
      editor.line = "";
      editor.cursor = 0;
      this.#buffer = [];
      this.#ctrlC = false;
      write("^C\n");
      if (this.#ps1 !== null) this.#rl.setPrompt(this.#ps1);
      this.#rl.prompt();
    } else if (this.#ctrlC || !this.#waiting) {
      if (this.#opts.quitLine === undefined) {
        this.#rl.close();
        return;
      }
      write("\n");
      this.#deliver(this.#opts.quitLine);
    } else {
      this.#ctrlC = true;
      write(`\n${this.#opts.quitHint}\n`);
      this.#rl.prompt();
    }
  }

  #deliver(line: string): void {
    const w = this.#waiting;
    if (w) {
      this.#waiting = null;
      this.#pause();
      w(line);
    } else this.#queue.push(line);
  }

  #raw(on: boolean): void {
    if (this.#terminal && this.#stdin.isTTY) this.#stdin.setRawMode?.(on);
  }

  #pause(): void {
    this.#rl.pause();
    this.#raw(false);
  }

  #remember(line: string): string {
    const path = this.#opts.history;
    if (path && line.trim() !== "" && line !== this.#last) {
      appendHistory(path, line);
      this.#last = line;
    }
    return line;
  }

  /** One line (null: Ctrl-D, or the end of input). */
  read(prompt: string): Promise<string | null> {
    if (this.#queue.length) return Promise.resolve(this.#remember(this.#queue.shift()!));
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiting = (line) => resolve(line === null ? null : this.#remember(line));
      this.#rl.setPrompt(prompt);
      this.#raw(true);
      this.#rl.resume();
      this.#rl.prompt();
    });
  }

  /**
   * One input: lines up to the first that completes it (`ps1` first, `ps2`
   * after), joined; empty inputs are skipped. Null: the end of input (an
   * unfinished one is dropped).
   */
  async readInput(ps1: string, isIncomplete: (src: string) => boolean, ps2 = "... "): Promise<string | null> {
    this.#ps1 = ps1;
    this.#buffer = [];
    try {
      for (;;) {
        const line = await this.read(this.#buffer.length ? ps2 : ps1);
        if (line === null) return null;
        this.#buffer.push(line);
        const src = this.#buffer.join("\n");
        if (isIncomplete(src)) continue;
        this.#buffer = [];
        if (src.trim()) return src;
      }
    } finally {
      this.#buffer = [];
      this.#ps1 = null;
    }
  }

  /** Draws the waiting prompt again (Deno clears the line once the watchdog's worker has loaded). */
  redraw(): void {
    if (this.#waiting) this.#rl.prompt(true);
  }

  close(): void {
    this.#rl.close();
  }
}
