/**
 * Progress per user: `$DENOTORCH_HOME/progress.json`, else
 * `~/.denotorch/progress.json`. Saves are atomic (a temporary file renamed
 * over the old one) and merge with what is on disk, so two lessons running
 * at once do not erase each other's entries. A progress file that cannot be
 * read or written never stops a lesson: it says so once and goes on.
 * @module
 */

/** An exercise's state. */
export type Status = "done" | "missed" | "skipped";

/** One lesson's progress. */
export interface LessonProgress {
  /** The exercise to resume at (its id), or "end" once finished. */
  current?: string;
  /** Status per exercise id (absent: to do). */
  status: Record<string, Status>;
  /** Hints seen per exercise id. */
  hints: Record<string, number>;
  /** Choices that persist (lesson 3's data source, lesson 2's weights). */
  saved: Record<string, unknown>;
  /** When it last changed (ISO time). */
  updated?: string;
}

interface ProgressFile {
  version: 1;
  lessons: Record<string, LessonProgress>;
}

/** The folder of per-user files: `$DENOTORCH_HOME`, else `~/.denotorch`. */
export function homeDir(env: (k: string) => string | undefined): string {
  const own = env("DENOTORCH_HOME");
  if (own) return own;
  const home = env("HOME") ?? env("USERPROFILE") ?? ".";
  return `${home}/.denotorch`;
}

/** An empty lesson entry. */
export function emptyProgress(): LessonProgress {
  return { status: {}, hints: {}, saved: {} };
}

function normalize(p: Partial<LessonProgress> | undefined): LessonProgress {
  return {
    current: typeof p?.current === "string" ? p.current : undefined,
    status: p?.status && typeof p.status === "object" ? { ...p.status } : {},
    hints: p?.hints && typeof p.hints === "object" ? { ...p.hints } : {},
    saved: p?.saved && typeof p.saved === "object" ? { ...p.saved } : {},
    updated: p?.updated,
  };
}

/** The progress file of one user. */
export class ProgressStore {
  /** The file (null: kept in memory only, as the self-check does). */
  readonly path: string | null;
  #lessons: Record<string, LessonProgress> = {};
  #warned = false;
  /** Called once when the file cannot be written (the lesson goes on). */
  onWarning: (message: string) => void = () => {};

  constructor(dir: string | null) {
    this.path = dir === null ? null : `${dir.replace(/\/+$/, "")}/progress.json`;
    this.#lessons = this.#read();
  }

  #read(): Record<string, LessonProgress> {
    if (this.path === null) return this.#lessons;
    let text: string;
    try {
      text = Deno.readTextFileSync(this.path);
    } catch {
      return {};
    }
    try {
      const f = JSON.parse(text) as Partial<ProgressFile>;
      const out: Record<string, LessonProgress> = {};
      for (const [k, v] of Object.entries(f.lessons ?? {})) out[k] = normalize(v);
      return out;
    } catch {
      // a damaged file: keep a copy for the curious, start afresh
      try {
        Deno.renameSync(this.path, `${this.path}.damaged`);
      } catch {
        // nothing to keep
      }
      return {};
    }
  }

  /** A lesson's progress (a live object: change it, then {@link save}). */
  get(n: number): LessonProgress {
    return (this.#lessons[String(n)] ??= emptyProgress());
  }

  /** Forgets a lesson's progress (saved at once). */
  reset(n: number): LessonProgress {
    this.#lessons[String(n)] = emptyProgress();
    this.save(n);
    return this.#lessons[String(n)];
  }

  /** Writes lesson `n`'s entry: re-reads the file, replaces that entry, renames a temporary file over it. */
  save(n: number): void {
    const key = String(n);
    const mine = this.get(n);
    mine.updated = new Date().toISOString();
    if (this.path === null) return;
    const onDisk = this.#read();
    onDisk[key] = mine;
    this.#lessons = { ...onDisk, [key]: mine };
    const body = JSON.stringify({ version: 1, lessons: this.#lessons } satisfies ProgressFile, null, 2) +
      "\n";
    const dir = this.path.slice(0, this.path.lastIndexOf("/")) || ".";
    const tmp = `${this.path}.${Deno.pid}.${Date.now()}.tmp`;
    try {
      Deno.mkdirSync(dir, { recursive: true });
      Deno.writeTextFileSync(tmp, body);
      Deno.renameSync(tmp, this.path);
    } catch (e) {
      try {
        Deno.removeSync(tmp);
      } catch {
        // it was never written
      }
      if (!this.#warned) {
        this.#warned = true;
        this.onWarning(`cannot save progress to ${this.path}: ${(e as Error).message}`);
      }
    }
  }
}
