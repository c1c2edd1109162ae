/**
 * The shape of a lesson: exercises as data, each with its text in Chinese
 * and English, hints, a reference answer, and a checker that judges the
 * learner's state or the live outcome of a snippet (never the typed text).
 * @module
 */

/** A language of the lessons. */
export type Lang = "zh" | "en";

/** A text in both languages. */
export interface Text {
  zh: string;
  en: string;
}

/** What a checker says. */
export type Verdict =
  | { ok: true }
  | { ok: false; expected: string; got: string; hint?: string };

/** The result of running code live in the learner's session. */
export interface Outcome {
  /** It ran without throwing. */
  ok: boolean;
  /** The value of its last expression. */
  value?: unknown;
  /** What it threw. */
  error?: unknown;
  /** The value as the prompt shows it, or the error's line. */
  text: string;
  /** What it printed (`print`, `console.log`, warnings). */
  output: string;
  /** Globals the code declared or rebound. */
  changed: string[];
}

/** Where the lessons write: `lessons/ui.ts` implements it for the terminal, the self-check for a log. */
export interface LessonIO {
  /** Answers can be asked for (a person is there). */
  readonly interactive: boolean;
  /** A paragraph of text (inline `code` may be highlighted). */
  text(s: string): void;
  /** A title line. */
  heading(s: string): void;
  /** A block of code. */
  code(src: string): void;
  /** A value as the prompt shows it. */
  result(s: string): void;
  /** Output printed by learner code, as it happens. */
  output(s: string): void;
  /** An error line. */
  error(s: string): void;
  /** A success line. */
  good(s: string): void;
  /** A "not yet" / wrong line. */
  bad(s: string): void;
  /** A secondary remark. */
  note(s: string): void;
  /** Asks for one line (null: end of input). */
  ask(question: string): Promise<string | null>;
  /** Draws an image tensor (CHW, values in [0, 1]); `opts` as `imshow`'s. */
  image(t: unknown, opts?: Record<string, unknown>): void;
  /** A line that replaces itself (a progress bar); `done` ends it. */
  status(s: string, done?: boolean): void;
}

/** How the lessons run. */
export interface RunOptions {
  /** Interactive, or the self-check that feeds reference answers. */
  mode: "interactive" | "check";
  /** Lesson 3 in check mode: training batches to run (not the full two epochs). */
  trainSteps: number;
  /** Lesson 3's data: a path to cifar-10-binary.tar.gz, "fake", or "download" (default: ask / fake in check mode). */
  data?: string;
  /** The project root (where `data/` is). */
  root: string;
  /**
   * Lesson 3's training device, when given (`--device`, `DENOTORCH_LESSON_DEVICE`): webgpu
   * then trains there on any adapter, a software one included. Without it the lesson offers
   * webgpu when a real GPU is there, and trains on the cpu otherwise.
   */
  device?: "cpu" | "webgpu";
}

/** What checkers and starters see. */
export interface Ctx {
  readonly lang: Lang;
  /** The text in the current language. */
  tr(t: Text): string;
  /** Shorthand: `L("中文", "English")`. */
  L(zh: string, en: string): string;
  /** The learner's scope (the session's globals). */
  readonly scope: Record<string, unknown>;
  /** The last input's value. */
  readonly value: unknown;
  /** Names the last input declared or rebound. */
  readonly changed: string[];
  /** Values of every input of this exercise that ran (the last one included). */
  readonly history: unknown[];
  /** What this exercise's inputs printed. */
  readonly printed: string;
  /** Runs code in the learner's session (shown as it runs when `show`). */
  run(code: string, opts?: { show?: boolean }): Promise<Outcome>;
  /**
   * Runs a long task as the current input: Ctrl-C stops it (`check()` throws
   * KeyboardInterrupt at the next call, and an await is abandoned).
   */
  guarded<T>(
    fn: (check: () => void) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }>;
  readonly io: LessonIO;
  /** Values kept across runs for this lesson (a data source choice …). */
  readonly saved: Record<string, unknown>;
  /** Values kept for this process only (snapshots taken by `after` hooks). */
  readonly stash: Record<string, unknown>;
  readonly options: RunOptions;
}

interface Base {
  /** As the seed numbers it: "1" … "34", "26b". */
  id: string;
  title: Text;
  /** The task. */
  text: Text;
  /** Code the lesson runs (and shows) when the exercise starts, and when state is rebuilt. */
  setup?: string;
  /** Hints, shown one at a time. */
  hints: Text[];
  /** Shown on success (a function when it quotes live values). */
  explain: Text | ((ctx: Ctx) => Text);
  /** Code run live after the explanation (e.g. the error a variant raises). */
  demo?: { code: string; text: Text; fails?: boolean };
  /** The PyTorch original of the answer or snippet. */
  pytorch?: string;
  /** Runs after success, skip or replay (snapshots for later exercises). */
  after?: (ctx: Ctx) => void | Promise<void>;
}

/** The learner writes code; the checker judges the resulting state. */
export interface CodeExercise extends Base {
  kind: "code";
  /** The reference solution (run by the self-check, `.skip` and state rebuilds; shown by `.solution`). */
  solution: string;
  /** Inputs that must not pass (the self-check verifies it). */
  wrong?: string[];
  check(ctx: Ctx): Verdict | Promise<Verdict>;
}

/** One answer of a guess: whether it holds is computed from the live outcome. */
export interface Choice {
  text: Text;
  /** This choice's own snippet (a variant to try); its outcome is what `holds` sees. */
  snippet?: string;
  holds(o: Outcome, ctx: Ctx): boolean;
}

/** "Guess first": the learner predicts, then the snippet runs live and decides which choices hold. */
export interface GuessExercise extends Base {
  kind: "guess";
  /** Code run live after the guess (the outcome each choice is judged on). */
  snippet?: string;
  /** Show the snippet only when it runs (it would give the answer away). */
  snippetAfter?: boolean;
  choices: Choice[];
  /** Several choices may hold ("select all that apply"). */
  multi?: boolean;
  /** The reference guess, as letters ("b", "a c"), fed by the self-check. */
  answer: string;
}

/** A free answer (an order of steps, a number of epochs) checked by running it. */
export interface AnswerExercise extends Base {
  kind: "answer";
  /** What the prompt asks for. */
  prompt: Text;
  /** The reference answer. */
  answer: string;
  /** Answers that must not pass. */
  wrong?: string[];
  check(answer: string, ctx: Ctx): Verdict | Promise<Verdict>;
}

export type Exercise = CodeExercise | GuessExercise | AnswerExercise;

/** The starter state of a lesson: code run in the learner's scope before the first exercise. */
export interface Starter {
  code: string;
  note?: Text;
}

export interface Lesson {
  n: number;
  title: Text;
  intro: Text;
  /** Prepares and returns the starter code (lesson 3 asks where the data is). */
  starter?: (ctx: Ctx) => Starter | Promise<Starter>;
  exercises: Exercise[];
  outro: Text;
}
