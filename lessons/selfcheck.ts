/**
 * The non-interactive mode (`--check`), for CI and lesson authors: every
 * exercise is played through the same engine and checkers as a learner
 * plays it, with its reference answer typed in. Wrong answers an exercise
 * lists must be refused, guesses must be right about the live outcome,
 * demos must fail or run as they say, and every text must exist in both
 * languages. The output of each exercise is kept and shown when it fails.
 * @module
 */
import type { Session } from "../lib/repl/mod.ts";
import { LessonRunner, type Scope, type Step } from "./engine.ts";
import { ProgressStore } from "./progress.ts";
import type { Exercise, Lang, Lesson, LessonIO, Outcome, RunOptions, Text } from "./types.ts";

/** One exercise's result. */
export interface CheckResult {
  lesson: number;
  id: string;
  kind: string;
  title: string;
  ok: boolean;
  problems: string[];
  ms: number;
  /** Something to say beside the result (lesson 3: how much it trained). */
  note?: string;
  /** What the exercise showed, when it failed. */
  log?: string;
}

export interface CheckReport {
  results: CheckResult[];
  ms: number;
}

/** A LessonIO that records what a learner would see (answers to questions come from `answers`). */
export class LogIO implements LessonIO {
  lines: string[] = [];
  constructor(readonly answers: string[] = [], readonly interactive = false) {}
  notes: string[] = [];
  text(s: string) {
    this.lines.push(s);
  }
  heading(s: string) {
    this.lines.push(`== ${s}`);
  }
  code(src: string) {
    this.lines.push(src.replace(/^/gm, "    "));
  }
  result(s: string) {
    this.lines.push(s);
  }
  output(s: string) {
    this.lines.push(s.replace(/\n$/, ""));
  }
  error(s: string) {
    this.lines.push(`! ${s}`);
  }
  good(s: string) {
    this.lines.push(s);
  }
  bad(s: string) {
    this.lines.push(s);
  }
  note(s: string) {
    this.lines.push(s);
    if (s.startsWith("[check]")) this.notes.push(s.slice(8));
  }
  ask(q: string): Promise<string | null> {
    this.lines.push(q);
    return Promise.resolve(this.answers.shift() ?? null);
  }
  image(_t: unknown) {
    this.lines.push("[image]");
  }
  status(s: string, done?: boolean) {
    if (done) this.lines.push(s);
  }
  take(): string {
    const s = this.lines.join("\n");
    this.lines = [];
    return s;
  }
}

function missingTexts(e: Exercise): string[] {
  const out: string[] = [];
  const need = (t: Text | undefined, what: string) => {
    for (const l of ["zh", "en"] as Lang[]) {
      if (!t || typeof t[l] !== "string" || !t[l].trim()) out.push(`${what} has no ${l} text`);
    }
  };
  need(e.title, "title");
  need(e.text, "text");
  if (e.hints.length === 0) out.push("no hints");
  e.hints.forEach((h, i) => need(h, `hint ${i + 1}`));
  if (typeof e.explain !== "function") need(e.explain, "explanation");
  if (e.demo) need(e.demo.text, "demo");
  if (e.kind === "guess") e.choices.forEach((c, i) => need(c.text, `choice ${i + 1}`));
  if (e.kind === "answer") need(e.prompt, "prompt");
  return out;
}

/** Plays every exercise of `lessons` with its reference answers. */
export async function selfCheck(
  lessons: Lesson[],
  env: { lang: Lang; session: Session; scope: Scope; options: RunOptions },
): Promise<CheckReport> {
  const t0 = performance.now();
  const results: CheckResult[] = [];
  for (const lesson of lessons) {
    const io = new LogIO();
    const store = new ProgressStore(null);
    const runner = new LessonRunner(lesson, { ...env, io, store });
    const lessonProblems: string[] = [];
    for (const t of [lesson.title, lesson.intro, lesson.outro]) {
      for (const l of ["zh", "en"] as Lang[]) {
        if (!t[l]?.trim()) lessonProblems.push(`lesson ${lesson.n} lacks ${l} text`);
      }
    }
    await runner.open();
    io.take();
    lessonProblems.push(...runner.warnings.splice(0));
    while (runner.exercise) {
      const e = runner.exercise;
      const start = performance.now();
      const problems = [...lessonProblems.splice(0), ...missingTexts(e)];
      const at = runner.index;
      let step: Step = "idle";
      runner.lastDemo = undefined;
      if (e.kind === "code" || e.kind === "answer") {
        for (const w of e.wrong ?? []) {
          const v = await runner.trial(w);
          if (v === "passed") problems.push(`a wrong answer passed: ${w}`);
          // a wrong answer that throws never reaches the checker: it tests nothing
          if (v === "error") problems.push(`a wrong answer threw instead of reaching the checker: ${w}`);
        }
        // a wrong answer may have advanced nothing; the reference answer must pass
        step = await runner.submit(e.kind === "code" ? e.solution : e.answer);
        if (step !== "passed" && step !== "finished") {
          problems.push(`the reference answer did not pass (${step})`);
        }
      } else {
        step = await runner.submit(e.answer);
        if (step === "missed") {
          problems.push(`the reference guess '${e.answer}' does not match the live outcome`);
        } else if (step !== "passed" && step !== "finished") {
          problems.push(`the guess was not taken (${step})`);
        }
      }
      const advanced = runner.index !== at;
      const demo = runner.lastDemo as Outcome | undefined;
      if (e.demo && demo && e.demo.fails !== undefined && demo.ok === e.demo.fails) {
        problems.push(`the demo ${e.demo.fails ? "was expected to fail but ran" : `failed: ${demo.text}`}`);
      }
      const log = io.take();
      problems.push(...runner.warnings.splice(0));
      results.push({
        lesson: lesson.n,
        id: e.id,
        kind: e.kind,
        title: e.title[env.lang],
        ok: problems.length === 0,
        problems,
        ms: performance.now() - start,
        note: io.notes.splice(0).join("; ") || undefined,
        log: problems.length ? log.split("\n").slice(-40).join("\n") : undefined,
      });
      if (!advanced) await runner.submit(".skip");
    }
  }
  return { results, ms: performance.now() - t0 };
}
