/**
 * The lesson engine: one lesson played in a REPL session (`lib/repl`'s
 * {@link Session}, whose globals are the learner's scope). It shows each
 * exercise, runs the learner's input through the session, judges it with
 * the exercise's checker, keeps progress, and answers the commands (`.hint`,
 * `.solution`, `.skip`, `.back`, `.goto k`, `.list`, `.reset`, `.quit`).
 * It never touches the terminal: everything goes through a {@link LessonIO}
 * (the terminal in `ui.ts`, a log in the self-check).
 *
 * State: the learner's variables live in the session. Going back, jumping,
 * resuming in a new process or skipping rebuilds what later exercises need
 * by running the starter code and the reference answers of the exercises
 * before (their `setup` and `after` hooks included).
 * @module
 */
import { str } from "../mod.ts";
import {
  deferPrint,
  type EvalResult,
  formatError,
  isCommand,
  type Session,
  settlePrints,
} from "../lib/repl/mod.ts";
import { fill, MSG } from "./i18n.ts";
import type { LessonProgress, ProgressStore, Status } from "./progress.ts";
import type {
  AnswerExercise,
  CodeExercise,
  Ctx,
  Exercise,
  GuessExercise,
  Lang,
  Lesson,
  LessonIO,
  Outcome,
  RunOptions,
  Text,
  Verdict,
} from "./types.ts";

const g = globalThis as unknown as Record<string, unknown>;

/**
 * The learner's scope: the session's globals. Remembers every global that
 * lesson code declared or rebound, so {@link reset} can put the scope back
 * as it was (the facade's names included) without touching the rest of
 * `globalThis`.
 */
export class Scope {
  #baseline = new Map<string, PropertyDescriptor>();
  #touched = new Set<string>();

  constructor() {
    for (const k of Object.getOwnPropertyNames(g)) {
      const d = Object.getOwnPropertyDescriptor(g, k);
      if (d) this.#baseline.set(k, d);
    }
  }

  /** The current values of data globals. */
  values(): Map<string, unknown> {
    const m = new Map<string, unknown>();
    for (const k of Object.getOwnPropertyNames(g)) {
      const d = Object.getOwnPropertyDescriptor(g, k);
      if (d && "value" in d) m.set(k, d.value);
    }
    return m;
  }

  /** Names added or rebound since `before` (and remembers them for {@link reset}). */
  changedSince(before: Map<string, unknown>): string[] {
    const out: string[] = [];
    for (const [k, v] of this.values()) {
      if (!before.has(k) || !Object.is(before.get(k), v)) out.push(k);
    }
    for (const k of out) this.#touched.add(k);
    return out;
  }

  /** Removes what lesson code declared and restores the names it rebound. */
  reset(): void {
    for (const k of this.#touched) {
      const d = this.#baseline.get(k);
      try {
        if (d) Object.defineProperty(g, k, d);
        else delete g[k];
      } catch {
        // a name that cannot be removed stays
      }
    }
    this.#touched.clear();
  }
}

/** `print`'s text, as `lib/python.ts` formats it. */
function printText(values: unknown[]): string {
  let sep = " ";
  let end = "\n";
  const last = values[values.length - 1];
  if (
    last && typeof last === "object" && Object.getPrototypeOf(last) === Object.prototype &&
    ("sep" in last || "end" in last)
  ) {
    values = values.slice(0, -1);
    const o = last as { sep?: string; end?: string };
    sep = o.sep ?? sep;
    end = o.end ?? end;
  }
  return values.map(str).join(sep) + end;
}

function consoleText(values: unknown[]): string {
  return values.map((v) => (typeof v === "string" ? v : Deno.inspect(v))).join(" ") + "\n";
}

/**
 * Runs `fn` with the learner's `print`, `console` and `imshow` writing to
 * `sink` and `image` (the lesson shows it, records it for checkers, or
 * drops it).
 */
export async function withOutput<T>(
  sink: (s: string) => void,
  fn: () => Promise<T>,
  image: (t: unknown, opts?: Record<string, unknown>) => void = () => {},
): Promise<T> {
  const saved = {
    print: g.print,
    imshow: g.imshow,
    log: console.log,
    info: console.info,
    warn: console.warn,
    error: console.error,
  };
  // a webgpu tensor's values come by an asynchronous read: the session writes such a line once
  // they are in (before the input's value), in the order of the prints
  const ours = deferPrint((...values: unknown[]) => sink(printText(values)));
  const show = (t: unknown, opts?: Record<string, unknown>) => image(t, opts);
  g.print = ours;
  if (saved.imshow !== undefined) g.imshow = show;
  console.log = console.info = (...v: unknown[]) => sink(consoleText(v));
  console.warn = console.error = (...v: unknown[]) => sink(consoleText(v));
  try {
    return await fn();
  } finally {
    // deferred lines still go to this sink (a session's evaluate has written them already)
    await settlePrints().catch(() => {});
    if (g.print === ours) g.print = saved.print;
    if (g.imshow === show) g.imshow = saved.imshow;
    console.log = saved.log as typeof console.log;
    console.info = saved.info as typeof console.info;
    console.warn = saved.warn as typeof console.warn;
    console.error = saved.error as typeof console.error;
  }
}

/** What one submission did. */
export type Step =
  | "passed" // the exercise is solved (or the guess was right)
  | "missed" // a guess that was wrong: the outcome is shown, the lesson moves on
  | "failed" // the checker says not yet
  | "error" // the input threw or did not parse
  | "idle" // a command, or input with nothing to judge
  | "quit"
  | "finished"; // the last exercise was passed: the lesson is over

/** Everything a runner needs besides its lesson. */
export interface RunnerEnv {
  lang: Lang;
  io: LessonIO;
  store: ProgressStore;
  session: Session;
  scope: Scope;
  options: RunOptions;
}

const LETTERS = "abcdefghij";

/** One lesson being played. */
export class LessonRunner {
  /** The current exercise's index (`exercises.length`: the lesson is over). */
  index = 0;
  #attempts = 0;
  #history: unknown[] = [];
  #printed = "";
  #last: { value: unknown; changed: string[] } = { value: undefined, changed: [] };
  #stash: Record<string, unknown> = {};
  #opened = false;
  /** The last demo's outcome (the self-check verifies it). */
  lastDemo: Outcome | undefined;
  /** Rebuild steps that failed (a reference answer that threw): content bugs, for the self-check. */
  readonly warnings: string[] = [];

  constructor(readonly lesson: Lesson, readonly env: RunnerEnv) {}

  get exercises(): Exercise[] {
    return this.lesson.exercises;
  }
  /** The current exercise (undefined once the lesson is over). */
  get exercise(): Exercise | undefined {
    return this.exercises[this.index];
  }
  get progress(): LessonProgress {
    return this.env.store.get(this.lesson.n);
  }
  get io(): LessonIO {
    return this.env.io;
  }

  tr(t: Text): string {
    return t[this.env.lang];
  }
  #m(key: keyof typeof MSG, vars?: Record<string, string | number>): string {
    return fill(this.tr(MSG[key]), vars);
  }

  #save(): void {
    this.env.store.save(this.lesson.n);
  }

  #replayFailed(id: string, msg: string): void {
    this.warnings.push(`${this.lesson.n}.${id}: ${msg}`);
    this.io.error(this.#m("replayFailed", { id, msg }));
  }

  /** The context checkers, starters and hooks see. */
  ctx(): Ctx {
    const lang = this.env.lang;
    return {
      lang,
      tr: (t: Text) => t[lang],
      L: (zh: string, en: string) => (lang === "zh" ? zh : en),
      scope: g,
      value: this.#last.value,
      changed: [...this.#last.changed],
      history: [...this.#history],
      printed: this.#printed,
      run: (code, opts) => this.run(code, opts),
      guarded: async (fn) => {
        const guard = this.env.session.guard;
        return await this.env.session.guarded(() => fn(() => guard.check()));
      },
      io: this.io,
      saved: this.progress.saved,
      stash: this.#stash,
      options: this.env.options,
    };
  }

  /**
   * Runs code in the learner's session; with `show`, its output and value are
   * shown as the prompt would. `learner`: the learner typed it (kept for
   * `.save`, its output for the checker).
   */
  async run(
    code: string,
    opts: { show?: boolean; learner?: boolean } = {},
  ): Promise<Outcome & { exit?: number }> {
    let output = "";
    const sink = (s: string) => {
      output += s;
      if (opts.learner) this.#printed += s;
      if (opts.show) this.io.output(s);
    };
    const image = (t: unknown, o?: Record<string, unknown>) => opts.show && this.io.image(t, o);
    const before = this.env.scope.values();
    const r: EvalResult = await withOutput(
      sink,
      () => this.env.session.evaluate(code, { record: opts.learner ?? false }),
      image,
    );
    const changed = this.env.scope.changedSince(before);
    if (opts.show && r.exit === undefined) {
      // after Ctrl-C the terminal shows ^C: the error goes on a line of its own
      if (!r.ok) {
        this.io.error((r.error as { name?: string })?.name === "KeyboardInterrupt" ? `\n${r.text}` : r.text);
      } else if (r.text) this.io.result(r.text);
    }
    return { ok: r.ok, value: r.value, error: r.error, text: r.text, output, changed, exit: r.exit };
  }

  // ---- opening, rebuilding, entering -----------------------------------------------------

  /** Starts the lesson where the learner left it. */
  async open(): Promise<void> {
    const p = this.progress;
    const ex = this.exercises;
    let at = 0;
    if (p.current === "end") at = ex.length;
    else if (p.current !== undefined) {
      const i = ex.findIndex((e) => e.id === p.current);
      if (i >= 0) at = i;
    }
    const fresh = p.current === undefined && Object.keys(p.status).length === 0;
    this.io.heading(`${this.#m("lesson", { n: this.lesson.n })} · ${this.tr(this.lesson.title)}`);
    if (fresh || at === 0) this.io.text(this.tr(this.lesson.intro));
    else if (at < ex.length) this.io.note(this.#m("resume", { id: ex[at].id }));
    await this.#rebuild(at, { showStarter: true });
    this.#opened = true;
    this.index = at;
    if (at < ex.length) await this.#enter();
    else this.io.note(this.#m("finishedAlready"));
  }

  /** Resets the scope, runs the starter code and the reference answers of exercises before `k`. */
  async #rebuild(k: number, opts: { showStarter?: boolean } = {}): Promise<void> {
    this.env.scope.reset();
    this.#stash = {};
    this.#reset();
    const starter = await this.lesson.starter?.(this.ctx());
    if (starter) {
      if (opts.showStarter) {
        this.io.note(this.#m("starter"));
        this.io.code(starter.code);
        if (starter.note) this.io.note(this.tr(starter.note));
      }
      const o = await this.run(starter.code, { show: opts.showStarter });
      if (!o.ok) this.#replayFailed("0", o.text);
    }
    const replayed: string[] = [];
    for (let j = 0; j < k; j++) {
      const e = this.exercises[j];
      if (!(await this.#apply(e))) break;
      replayed.push(e.id);
    }
    if (replayed.length > 0 && this.env.options.mode === "interactive") {
      const ids = replayed.length > 3
        ? `${replayed[0]}–${replayed[replayed.length - 1]}`
        : replayed.join(", ");
      this.io.note(this.#m("rebuilt", { ids }));
    } else if (this.#opened && starter && this.env.options.mode === "interactive") {
      this.io.note(this.#m("rebuiltStarter"));
    }
  }

  /** An exercise's effect on the state, without the learner: setup, reference answer, hook. */
  async #apply(e: Exercise): Promise<boolean> {
    const steps = [e.setup, e.kind === "code" ? e.solution : undefined].filter((s) => s !== undefined);
    for (const code of steps) {
      const o = await this.run(code!);
      if (!o.ok) {
        this.#replayFailed(e.id, o.text);
        return false;
      }
    }
    await e.after?.(this.ctx());
    return true;
  }

  #reset(): void {
    this.#attempts = 0;
    this.#history = [];
    this.#printed = "";
    this.#last = { value: undefined, changed: [] };
  }

  /** Shows the current exercise and runs its setup. */
  async #enter(): Promise<void> {
    const e = this.exercise;
    if (!e) return;
    this.#reset();
    const n = this.exercises.length;
    this.io.heading(
      `${this.#m("lesson", { n: this.lesson.n })} · ${this.#m("exercise", { id: e.id })} (${
        this.index + 1
      }/${n})` +
        ` — ${this.tr(e.title)}`,
    );
    this.io.text(this.tr(e.text));
    if (e.setup) {
      this.io.note(this.#m("setup"));
      this.io.code(e.setup);
      const o = await this.run(e.setup, { show: true });
      if (!o.ok) this.#replayFailed(e.id, o.text);
    }
    if (e.kind === "guess") {
      if (e.snippet && !e.snippetAfter) this.io.code(e.snippet);
      e.choices.forEach((c, i) => this.io.text(`  ${LETTERS[i]}) ${this.tr(c.text)}`));
      this.io.note(this.#m("guessPrompt", { multi: e.multi ? this.#m("guessMulti") : "" }));
    } else if (e.kind === "answer") {
      this.io.note(this.tr(e.prompt));
    }
    this.progress.current = e.id;
    this.#save();
  }

  /** The prompt for the next input. */
  prompt(): string {
    const e = this.exercise;
    const n = this.lesson.n;
    if (!e) return `[${n} ✓] >>> `;
    if (e.kind === "guess") {
      const letters = LETTERS.slice(0, e.choices.length).split("").join("/");
      return `[${n}.${e.id}] ${letters}? `;
    }
    if (e.kind === "answer") return `[${n}.${e.id}] ? `;
    return `[${n}.${e.id}] >>> `;
  }

  /** Whether the input needs more lines (code only: a guess or an answer is one line). */
  isIncomplete(src: string): boolean {
    const e = this.exercise;
    if (e && e.kind !== "code") return false;
    return this.env.session.isIncomplete(src);
  }

  // ---- submissions -----------------------------------------------------------------------

  /** Handles one input: a command, code, a guess or an answer. */
  async submit(src: string): Promise<Step> {
    const line = src.trim();
    if (!line) return "idle";
    if (isCommand(line)) return await this.#command(line);
    const e = this.exercise;
    if (!e) return await this.#free(src);
    if (e.kind === "guess") return await this.#guess(e, line);
    if (e.kind === "answer") return await this.#answer(e, line);
    return await this.#code(e, src);
  }

  #explainError(r: Outcome): void {
    const err = r.error as { name?: string } | undefined;
    if (err?.name === "KeyboardInterrupt") this.io.note(this.#m("interrupted"));
    else if (err instanceof SyntaxError) this.io.note(this.#m("syntax"));
    else this.io.note(this.#m("threw"));
  }

  async #free(src: string): Promise<Step> {
    const r = await this.run(src, { show: true, learner: true });
    if (r.exit !== undefined) return this.#quit();
    if (!r.ok && (r.error as { name?: string })?.name === "KeyboardInterrupt") {
      this.io.note(this.#m("interrupted"));
    }
    return r.ok ? "idle" : "error";
  }

  async #code(e: CodeExercise, src: string): Promise<Step> {
    const printedBefore = this.#printed.length;
    const r = await this.run(src, { show: true, learner: true });
    if (r.exit !== undefined) return this.#quit();
    this.#attempts++;
    if (!r.ok) {
      this.#explainError(r);
      return "error";
    }
    this.#last = { value: r.value, changed: r.changed };
    this.#history.push(r.value);
    const v = await this.#judge(() => e.check(this.ctx()));
    if (v.ok) return await this.#success(e, "done");
    const nothing = r.value === undefined && r.changed.length === 0 && this.#printed.length === printedBefore;
    if (nothing) this.io.note(this.#m("noValue"));
    this.#notYet(v);
    return "failed";
  }

  /**
   * Runs code and the current exercise's checker without moving on (the
   * self-check uses it to verify that wrong answers are refused).
   */
  async trial(src: string): Promise<"passed" | "failed" | "error"> {
    const e = this.exercise;
    if (!e || e.kind === "guess") return "error";
    if (e.kind === "answer") {
      const v = await this.#judge(() => e.check(src, this.ctx()));
      return v.ok ? "passed" : "failed";
    }
    const saved = { last: this.#last, history: this.#history };
    const o = await this.run(src);
    if (!o.ok) return "error";
    this.#last = { value: o.value, changed: o.changed };
    this.#history = [...this.#history, o.value];
    const v = await this.#judge(() => e.check(this.ctx()));
    this.#last = saved.last;
    this.#history = saved.history;
    return v.ok ? "passed" : "failed";
  }

  async #judge(fn: () => Verdict | Promise<Verdict>): Promise<Verdict> {
    try {
      return await withOutput(() => {}, async () => await fn());
    } catch (err) {
      return {
        ok: false,
        expected: "",
        got: this.#m("checkerError", { msg: formatError(err) }),
      };
    }
  }

  #notYet(v: Verdict): void {
    if (v.ok) return;
    this.io.bad(this.#m("notYet"));
    if (v.expected) this.io.text(`  ${this.#m("expected")} ${v.expected}`);
    this.io.text(`  ${this.#m("got")} ${v.got}`);
    if (v.hint) this.io.note(`  ${v.hint}`);
  }

  async #guess(e: GuessExercise, line: string): Promise<Step> {
    const n = e.choices.length;
    const letters = line.toLowerCase().replace(/[()\s,;/]+/g, " ").trim().split(" ").filter(Boolean);
    const valid = letters.length > 0 && letters.every((l) =>
      l.length === 1 && LETTERS.indexOf(l) >= 0 &&
      LETTERS.indexOf(l) < n
    ) && (e.multi || letters.length === 1);
    if (!valid) {
      this.io.note(this.#m("guessBad", {
        letters: LETTERS.slice(0, n).split("").join(", "),
        multi: e.multi ? this.#m("guessBadMulti") : "",
      }));
      return "idle";
    }
    this.#attempts++;
    const guess = new Set(letters);
    this.io.note(this.#m("running"));
    let outcome: Outcome | undefined;
    if (e.snippet) {
      if (e.snippetAfter) this.io.code(e.snippet); // else it is on screen already
      outcome = await this.run(e.snippet, { show: true });
    }
    const holds = new Set<string>();
    const ctx = this.ctx();
    for (let i = 0; i < n; i++) {
      const c = e.choices[i];
      let o = outcome;
      if (c.snippet) {
        this.io.note(this.#m("runningChoice", { c: LETTERS[i] }));
        this.io.code(c.snippet);
        o = await this.run(c.snippet, { show: true });
      }
      let yes = false;
      try {
        yes = o !== undefined && c.holds(o, ctx);
      } catch {
        yes = false;
      }
      if (yes) holds.add(LETTERS[i]);
    }
    const right = guess.size === holds.size && [...guess].every((l) => holds.has(l));
    const show = (s: Set<string>) => [...s].sort().map((l) => `(${l})`).join(" ") || "—";
    if (right) this.io.good(this.#m("right"));
    else this.io.bad(this.#m("wrongGuess", { got: show(guess), exp: show(holds) }));
    return await this.#success(e, right ? "done" : "missed");
  }

  async #answer(e: AnswerExercise, line: string): Promise<Step> {
    this.#attempts++;
    const v = await this.#judge(() => e.check(line, this.ctx()));
    if (v.ok) return await this.#success(e, "done");
    this.#notYet(v);
    return "failed";
  }

  async #success(e: Exercise, status: Status): Promise<Step> {
    if (status === "done" && e.kind !== "guess") this.io.good(this.#m("correct"));
    const ctx = this.ctx();
    const explain = typeof e.explain === "function" ? e.explain(ctx) : e.explain;
    this.io.text(this.tr(explain));
    if (e.demo) {
      this.io.note(`${this.#m("demo")} ${this.tr(e.demo.text)}`);
      this.io.code(e.demo.code);
      this.lastDemo = await this.run(e.demo.code, { show: true });
    }
    await e.after?.(ctx);
    const p = this.progress;
    // a solved exercise stays solved; a skip or a miss never overwrites "done"
    if (p.status[e.id] !== "done") p.status[e.id] = status;
    return await this.#advance(status === "done" ? "passed" : "missed");
  }

  async #advance(step: Step): Promise<Step> {
    this.index++;
    if (this.index < this.exercises.length) {
      await this.#enter();
      return step;
    }
    return this.#finish();
  }

  #finish(): Step {
    const p = this.progress;
    p.current = "end";
    this.#save();
    const ids = this.exercises.map((e) => e.id);
    const count = (s: Status) => ids.filter((id) => p.status[id] === s).length;
    this.io.heading(this.#m("finished", { n: this.lesson.n }));
    this.io.text(this.#m("finishedCounts", {
      done: count("done"),
      missed: count("missed"),
      skipped: count("skipped"),
    }));
    this.io.text(this.tr(this.lesson.outro));
    return "finished";
  }

  #quit(): Step {
    this.#save();
    this.io.note(this.#m("saved", { n: this.lesson.n }));
    return "quit";
  }

  // ---- commands --------------------------------------------------------------------------

  async #command(line: string): Promise<Step> {
    const m = /^\.(\w+)\s*([\s\S]*)$/.exec(line)!;
    const [name, arg] = [m[1], m[2].trim()];
    const e = this.exercise;
    switch (name) {
      case "hint": {
        if (!e) return "idle";
        const seen = this.progress.hints[e.id] ?? 0;
        if (seen >= e.hints.length) {
          this.io.note(this.#m("noMoreHints"));
          // hints seen before are shown again, all of them
          e.hints.forEach((h, i) =>
            this.io.text(`${this.#m("hint", { i: i + 1, n: e.hints.length })} ${this.tr(h)}`)
          );
          return "idle";
        }
        this.io.text(`${this.#m("hint", { i: seen + 1, n: e.hints.length })} ${this.tr(e.hints[seen])}`);
        this.progress.hints[e.id] = seen + 1;
        this.#save();
        return "idle";
      }
      case "solution":
      case "answer": {
        if (!e) return "idle";
        if (e.kind === "guess") {
          this.io.note(this.#m("solutionGuess"));
          return "idle";
        }
        if (this.#attempts === 0) {
          this.io.note(this.#m("tryFirst"));
          return "idle";
        }
        this.io.note(this.#m("solution"));
        this.io.code(e.kind === "code" ? e.solution : e.answer);
        if (e.pytorch) {
          this.io.note(this.#m("solutionPytorch"));
          this.io.code(e.pytorch);
        }
        return "idle";
      }
      case "skip": {
        if (!e) return "idle";
        // the state the next exercises need: the reference answer (setup already ran on entering)
        if (e.kind === "code") {
          const o = await this.run(e.solution);
          if (!o.ok) this.#replayFailed(e.id, o.text);
        }
        await e.after?.(this.ctx());
        const p = this.progress;
        if (!p.status[e.id]) p.status[e.id] = "skipped";
        this.io.note(this.#m("skipped", { id: e.id }));
        return await this.#advance("idle");
      }
      case "back": {
        if (this.index === 0) {
          this.io.note(this.#m("atFirst"));
          return "idle";
        }
        return await this.goto(this.index - 1);
      }
      case "goto": {
        const k = this.#find(arg);
        if (k < 0) {
          this.io.note(this.#m("noSuchExercise", { k: arg }));
          return "idle";
        }
        return await this.goto(k);
      }
      case "list":
        this.#list();
        return "idle";
      case "reset": {
        const answer = this.io.interactive
          ? await this.io.ask(this.#m("resetConfirm", { n: this.lesson.n }))
          : "y";
        if (!answer || !/^\s*(y|yes|是|好)/i.test(answer)) {
          this.io.note(this.#m("resetCancelled"));
          return "idle";
        }
        this.env.store.reset(this.lesson.n);
        this.io.note(this.#m("resetDone", { n: this.lesson.n }));
        this.index = 0;
        this.#opened = false;
        await this.open();
        return "idle";
      }
      case "quit":
      case "exit":
      case "q":
        return this.#quit();
      case "help":
        if (arg) break;
        this.io.text(this.#m("help"));
        return "idle";
    }
    const r = await withOutput((s) => this.io.output(s), () => this.env.session.command(line));
    if (r.exit !== undefined) return this.#quit();
    if (!r.ok) {
      const unknown = /^unknown command/.test(formatError(r.error).replace(/^\w+: /, ""));
      this.io.error(unknown ? this.#m("unknownCommand", { c: "." + name }) : r.text);
    } else if (r.text) this.io.result(r.text);
    return "idle";
  }

  /** An exercise index from an id ("26b") or a position ("#3"). */
  #find(arg: string): number {
    const a = arg.replace(/^\./, "").trim();
    if (!a) return -1;
    const byId = this.exercises.findIndex((e) => e.id === a || `${this.lesson.n}.${e.id}` === a);
    if (byId >= 0) return byId;
    const pos = /^#(\d+)$/.exec(a);
    if (pos && Number(pos[1]) >= 1 && Number(pos[1]) <= this.exercises.length) return Number(pos[1]) - 1;
    return -1;
  }

  /** Jumps to exercise `k`, rebuilding the state before it. */
  async goto(k: number): Promise<Step> {
    this.io.note(this.#m("rebuilding", { id: this.exercises[k].id }));
    await this.#rebuild(k);
    this.index = k;
    await this.#enter();
    return "idle";
  }

  #list(): void {
    const p = this.progress;
    this.io.text(this.#m("listTitle", { n: this.lesson.n }));
    const mark: Record<Status, string> = { done: "✓", missed: "✗", skipped: "»" };
    const word: Record<Status, keyof typeof MSG> = {
      done: "statusDone",
      missed: "statusMissed",
      skipped: "statusSkipped",
    };
    this.exercises.forEach((e, i) => {
      const s = p.status[e.id];
      const cur = i === this.index ? "▶" : " ";
      const state = s ? this.#m(word[s]) : this.#m("statusTodo");
      this.io.text(`${cur} ${s ? mark[s] : "·"} ${e.id.padStart(3)}  ${this.tr(e.title)}  (${state})`);
    });
  }
}

/** A lesson's progress as counts: solved (done or missed), of how many. */
export function counts(lesson: Lesson, p: LessonProgress): { done: number; total: number } {
  const total = lesson.exercises.length;
  const done =
    lesson.exercises.filter((e) => p.status[e.id] === "done" || p.status[e.id] === "missed").length;
  return { done, total };
}
