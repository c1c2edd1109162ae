/**
 * The lessons in a terminal: the menu, colours, progress bars and images;
 * the prompt (history, Tab completion, Ctrl-C) is the REPL's, `repl/prompt.ts`.
 * This is the only file of `lessons/` that touches the terminal; the engine
 * (`engine.ts`) and the REPL engine (`lib/repl`) do the rest.
 *
 *   deno task lesson [N] [--lang zh|en]
 *   deno task lesson --check [--lang zh|en] [--lesson N] [--train-steps K] [--data PATH|fake]
 *
 * While learner code runs the terminal leaves raw mode, so Ctrl-C is a
 * SIGINT that the REPL's watchdog turns into KeyboardInterrupt (variables
 * stay); at the prompt, Ctrl-C clears the line, twice on an empty line
 * leaves (progress is saved after every step anyway), and so does Ctrl-D.
 * @module
 */
import { parseArgs } from "node:util";
import * as facade from "../mod.ts";
import { imshow, type Tensor } from "../mod.ts";
import { COMMANDS, facadeGlobals, Guard, reportStrayErrors, Session } from "../lib/repl/mod.ts";
import { errorLine, historyPath, Prompt, watchCtrlC } from "../repl/prompt.ts";
import { counts, LessonRunner, Scope } from "./engine.ts";
import { fill, localeLang, MSG } from "./i18n.ts";
import { homeDir, ProgressStore } from "./progress.ts";
import { LESSONS } from "./content/mod.ts";
import { type CheckReport, selfCheck } from "./selfcheck.ts";
import { bar } from "./chart.ts";
import type { Lang, LessonIO, RunOptions, Text } from "./types.ts";

const USAGE = `usage: deno task lesson [N] [--lang zh|en] [--device cpu|webgpu]
       deno task lesson --check [--lang zh|en] [--lesson N] [--train-steps K] [--data PATH|fake]
                                [--device cpu|webgpu]

  N                 the lesson: 0 quick start, 1 tensors, 2 autograd and neural networks,
                    3 training a classifier (CIFAR-10); no N: a menu with your progress
  --lang zh|en      the language (default: from the locale, LANG / LC_ALL)
  --check           non-interactive: feed every exercise's reference answer through its checker
                    (and the wrong answers it must refuse); exit status 1 on any failure
  --lesson N        with --check: only lesson N
  --train-steps K   with --check: lesson 3 trains on K batches (default 200), not two epochs
  --data PATH|fake  lesson 3's data: a cifar-10-binary.tar.gz, or FakeData (default: download,
                    then ask; with --check: fake)
  --device D        where lesson 3 trains: cpu, or webgpu (on any adapter, a software one too);
                    default: $DENOTORCH_LESSON_DEVICE, else the lesson offers webgpu when a real
                    GPU is there (with --check: cpu)

Progress is saved in $DENOTORCH_HOME/progress.json (default ~/.denotorch).`;

const encoder = new TextEncoder();
const isTTY = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
const colors = Deno.stdout.isTerminal() && !Deno.noColor;

function write(s: string): void {
  Deno.stdout.writeSync(encoder.encode(s));
}

const C = {
  bold: (s: string) => (colors ? `\x1b[1m${s}\x1b[0m` : s),
  dim: (s: string) => (colors ? `\x1b[2m${s}\x1b[0m` : s),
  cyan: (s: string) => (colors ? `\x1b[36m${s}\x1b[0m` : s),
  green: (s: string) => (colors ? `\x1b[32m${s}\x1b[0m` : s),
  yellow: (s: string) => (colors ? `\x1b[33m${s}\x1b[0m` : s),
  red: (s: string) => (colors ? `\x1b[31m${s}\x1b[0m` : s),
};

/** Inline `code` in cyan. */
function inline(s: string): string {
  return colors ? s.replace(/`([^`\n]+)`/g, (_m, c) => C.cyan(c)) : s;
}

/** Display width of a character: 2 for CJK and full-width forms. */
function charWidth(c: string): number {
  const cp = c.codePointAt(0)!;
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000
    ? 2
    : 1;
}

function textWidth(s: string): number {
  let w = 0;
  for (const c of s) w += charWidth(c);
  return w;
}

/**
 * Wraps prose at word boundaries (anywhere between CJK characters) to `width`
 * columns. Lines indented by 4 or more spaces (code) are left alone; other
 * indented lines wrap under their indent (a choice `a) …` under its text).
 */
export function wrap(text: string, width: number): string {
  if (width < 20) return text;
  return text.split("\n").map((line) => {
    const indent = /^ */.exec(line)![0].length;
    if (indent >= 4 || textWidth(line) <= width) return line;
    const hang = " ".repeat(indent + (/^\s*[a-j]\) /.test(line) ? 3 : 0));
    // inline `code` stays on one line; CJK characters may break anywhere
    const tokens = line.slice(indent).match(
      /`[^`]*`|\s+|[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[^\s\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]+/g,
    ) ?? [];
    const out: string[] = [];
    let cur = " ".repeat(indent);
    let curW = indent;
    for (const tok of tokens) {
      const w = textWidth(tok);
      if (/^\s+$/.test(tok)) {
        if (curW + w <= width) {
          cur += tok;
          curW += w;
        }
        continue;
      }
      if (curW + w > width && cur.trim()) {
        out.push(cur.trimEnd());
        cur = hang;
        curW = hang.length;
      }
      // a word longer than the line is cut
      let t = tok;
      while (curW + textWidth(t) > width && [...t].length > 1) {
        let take = "";
        let tw = 0;
        for (const c of t) {
          if (curW + tw + charWidth(c) > width) break;
          take += c;
          tw += charWidth(c);
        }
        if (!take) break;
        out.push(cur + take);
        t = t.slice(take.length);
        cur = hang;
        curW = hang.length;
      }
      cur += t;
      curW += textWidth(t);
    }
    if (cur.trim()) out.push(cur.trimEnd());
    return out.join("\n");
  }).join("\n");
}

function columns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 100;
  }
}

// ---- the terminal as the lessons' output -------------------------------------------------------

class TerminalIO implements LessonIO {
  readonly interactive = true;
  #statusShown = false;
  constructor(readonly prompt: Prompt) {}

  #end(): void {
    if (this.#statusShown) {
      write("\n");
      this.#statusShown = false;
    }
  }
  text(s: string): void {
    this.#end();
    write(inline(wrap(s, columns() - 1)) + "\n");
  }
  heading(s: string): void {
    this.#end();
    const width = Math.min(columns(), 100);
    const line = `── ${s} `;
    const rest = Math.max(3, width - [...line].length - 10);
    write(`\n${C.bold(C.cyan(line + "─".repeat(rest)))}\n`);
  }
  code(src: string): void {
    this.#end();
    write(src.split("\n").map((l) => C.yellow("    " + l)).join("\n") + "\n");
  }
  result(s: string): void {
    this.#end();
    write(s + "\n");
  }
  output(s: string): void {
    this.#end();
    write(s);
  }
  error(s: string): void {
    this.#end();
    write(errorLine(s, colors) + "\n");
  }
  good(s: string): void {
    this.#end();
    write(C.green(wrap(s, columns() - 1)) + "\n");
  }
  bad(s: string): void {
    this.#end();
    write(C.yellow(wrap(s, columns() - 1)) + "\n");
  }
  note(s: string): void {
    this.#end();
    write(C.dim(inline(wrap(s, columns() - 1))) + "\n");
  }
  ask(question: string): Promise<string | null> {
    this.#end();
    return this.prompt.read(question);
  }
  image(t: unknown, opts: Record<string, unknown> = {}): void {
    this.#end();
    imshow(t as Tensor, { width: Math.min(columns() - 2, 140), ...opts, stream: Deno.stdout });
  }
  status(s: string, done = false): void {
    const width = columns();
    const clipped = [...s].length >= width ? [...s].slice(0, width - 1).join("") : s;
    if (isTTY) {
      write(`\r\x1b[2K${clipped}`);
      this.#statusShown = !done;
      if (done) write("\n");
    } else if (done) write(clipped + "\n");
  }
}

// ---- running lessons -------------------------------------------------------------------------

interface App {
  lang: Lang;
  store: ProgressStore;
  session: Session;
  scope: Scope;
  options: RunOptions;
}

function tr(lang: Lang, t: Text, vars?: Record<string, string | number>): string {
  return fill(t[lang], vars);
}

function lessonList(app: App): string[] {
  return LESSONS.map((l) => {
    const p = app.store.get(l.n);
    const { done, total } = counts(l, p);
    const title = tr(app.lang, l.title);
    const finished = p.current === "end" ? " ✓" : "";
    const pad = " ".repeat(Math.max(1, 36 - textWidth(title)));
    return `  ${l.n}  ${title}${pad}${bar(done / total, 10)} ${done}/${total}${finished}`;
  });
}

/**
 * Plays one lesson. Once it is finished the prompt stays (the learner's
 * variables are there to try); `.quit` gives "quit", the end of input (Ctrl-D) "exit".
 */
async function play(app: App, n: number, prompt: Prompt, io: TerminalIO): Promise<"quit" | "exit"> {
  const lesson = LESSONS.find((l) => l.n === n)!;
  const runner = new LessonRunner(lesson, { ...app, io });
  await runner.open();
  for (;;) {
    const src = await prompt.readInput(runner.prompt(), (s) => runner.isIncomplete(s));
    if (src === null) {
      write("\n");
      await runner.submit(".quit");
      return "exit";
    }
    let step;
    try {
      step = await runner.submit(src);
    } catch (e) {
      // a bug of the lessons, not of the learner: say so and keep going (progress is saved at each step)
      io.error(`internal error in the lesson: ${(e as Error)?.stack ?? e}`);
      continue;
    }
    if (step === "quit") return "quit";
    if (step === "finished") {
      const next = LESSONS.find((l) => l.n === n + 1);
      if (next) io.text(tr(app.lang, MSG.next, { n: next.n }));
      io.note(tr(app.lang, MSG.finishedAlready));
    }
  }
}

async function menu(app: App, prompt: Prompt, io: TerminalIO): Promise<number | null> {
  io.heading(tr(app.lang, MSG.menuTitle));
  for (const l of lessonList(app)) io.text(l);
  // the lesson last worked on, unless finished; else the first one not finished
  const open = LESSONS.filter((l) => app.store.get(l.n).current !== "end");
  const recent = open.filter((l) => app.store.get(l.n).updated)
    .sort((a, b) => (app.store.get(b.n).updated! > app.store.get(a.n).updated! ? 1 : -1))[0];
  const firstOpen = (recent ?? open[0] ?? LESSONS[0]).n;
  for (;;) {
    const a = await prompt.read(tr(app.lang, MSG.menuChoose, { d: firstOpen }));
    if (a === null) return null;
    const s = a.trim().toLowerCase();
    if (s === "q" || s === ".quit" || s === "quit") return null;
    if (s === "") return firstOpen;
    if (/^\d+$/.test(s) && LESSONS.some((l) => l.n === Number(s))) return Number(s);
    io.note(tr(app.lang, MSG.menuBad, { max: LESSONS.length - 1 }));
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      lang: { type: "string" },
      check: { type: "boolean" },
      lesson: { type: "string" },
      "train-steps": { type: "string" },
      data: { type: "string" },
      device: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
}

function printCheck(report: CheckReport, lang: Lang): void {
  for (const r of report.results) {
    const mark = r.ok ? "✓" : "✗";
    const line =
      `${mark} ${r.lesson}.${r.id.padEnd(4)} ${r.kind.padEnd(6)} ${r.title}  ${
        C.dim(`${r.ms.toFixed(0)} ms`)
      }` +
      (r.note ? C.dim(`  (${r.note})`) : "");
    write((r.ok ? line : C.red(line)) + "\n");
    if (!r.ok) {
      write(
        r.problems.map((p) => `    ${p}\n`).join("") +
          (r.log ? C.dim(r.log.replace(/^/gm, "    | ")) + "\n" : ""),
      );
    }
  }
  const failed = report.results.filter((r) => !r.ok).length;
  write(
    `\n${report.results.length - failed} passed, ${failed} failed, ${report.results.length} exercises ` +
      `(lang ${lang}, ${(report.ms / 1000).toFixed(1)} s)\n`,
  );
}

/** `deno run lesson.ts …`: the menu, a lesson, or the self-check. Returns the exit status. */
export async function main(argv: string[], root: string): Promise<number> {
  let flags;
  try {
    flags = parse(argv);
  } catch (e) {
    write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (flags.values.help) {
    write(USAGE + "\n");
    return 0;
  }
  const env = (k: string) => Deno.env.get(k);
  const langFlag = flags.values.lang;
  if (langFlag !== undefined && langFlag !== "zh" && langFlag !== "en") {
    write(`--lang expects zh or en, got '${langFlag}'\n\n${USAGE}\n`);
    return 2;
  }
  const lang: Lang = (langFlag as Lang | undefined) ?? localeLang(env);
  const trainSteps = Number(flags.values["train-steps"] ?? 200);
  if (!(Number.isInteger(trainSteps) && trainSteps > 0)) {
    write(`--train-steps expects a positive integer\n`);
    return 2;
  }
  const deviceArg = flags.values.device ?? env("DENOTORCH_LESSON_DEVICE") ?? "";
  if (deviceArg !== "" && deviceArg !== "cpu" && deviceArg !== "webgpu") {
    const from = flags.values.device !== undefined ? "--device" : "DENOTORCH_LESSON_DEVICE";
    write(`${from} expects cpu or webgpu, got '${deviceArg}'\n\n${USAGE}\n`);
    return 2;
  }
  const check = flags.values.check ?? false;
  const options: RunOptions = {
    mode: check ? "check" : "interactive",
    trainSteps,
    data: flags.values.data ?? (check ? "fake" : undefined),
    root,
    device: deviceArg === "cpu" || deviceArg === "webgpu" ? deviceArg : undefined,
  };
  const home = homeDir(env);
  const guard = new Guard();
  const session = new Session({
    globals: facadeGlobals(facade as unknown as Record<string, unknown>),
    colors: colors && !check,
    guard,
  });
  Error.stackTraceLimit = 50;

  if (check) {
    const only = flags.values.lesson ?? flags.positionals[0];
    const lessons = only === undefined ? LESSONS : LESSONS.filter((l) => String(l.n) === only);
    if (lessons.length === 0) {
      write(`no lesson ${only}\n`);
      return 2;
    }
    const report = await selfCheck(lessons, { lang, session, scope: new Scope(), options });
    printCheck(report, lang);
    return report.results.every((r) => r.ok) ? 0 : 1;
  }

  const store = new ProgressStore(home);
  store.onWarning = (m) => write(C.yellow(m) + "\n");
  const app: App = { lang, store, session, scope: new Scope(), options };

  const lessonCommands = ["hint", "solution", "skip", "back", "goto", "list", "reset", "quit", "help"];
  const prompt = await Prompt.open({
    complete: (line) => {
      if (/^\.\w*$/.test(line)) {
        const names = [...new Set([...lessonCommands, ...Object.keys(COMMANDS)])].map((c) => "." + c);
        return { items: names.filter((c) => c.startsWith(line)), from: 0 };
      }
      return session.complete(line);
    },
    history: historyPath(`${home}/lesson_history`),
    terminal: isTTY,
    quitHint: C.dim(tr(lang, MSG.quitHint)),
    quitLine: ".quit", // a second Ctrl-C leaves the lesson (to the menu, if it came from there)
  });
  const io = new TerminalIO(prompt);
  reportStrayErrors((line) => io.error(line));

  if (isTTY) {
    // Ctrl-C while code runs: the watchdog thread sees the SIGINT and stops the input's loops.
    // Deno redraws the line once the worker loads: wait for it before the first output.
    await watchCtrlC(session).ready;
  }

  let code = 0;
  try {
    const arg = flags.positionals[0];
    let n: number | null = null;
    if (arg !== undefined) {
      if (/^\d+$/.test(arg) && LESSONS.some((l) => l.n === Number(arg))) n = Number(arg);
      else {
        io.text(tr(lang, MSG.noSuchLesson, { n: arg }));
        for (const l of lessonList(app)) io.text(l);
        if (!isTTY) return 2;
      }
    }
    const fromMenu = n === null;
    for (;;) {
      if (n === null) n = await menu(app, prompt, io);
      if (n === null) break;
      const r = await play(app, n, prompt, io);
      if (r === "exit" || !fromMenu) break;
      n = null;
    }
  } catch (e) {
    io.error(`internal error: ${(e as Error)?.stack ?? e}`);
    code = 1;
  } finally {
    prompt.close();
    session.close();
  }
  return code;
}
