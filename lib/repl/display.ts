/**
 * How the REPL shows values and errors: PyTorch's text for tensors (their
 * `Deno.customInspect`), nothing for `undefined` and `null` (PyTorch's
 * `None`: `w.grad` before backward, `optimizer.step()`; Python's prompt shows
 * nothing for it, `print(None)` prints `None`), and an error as one line, `RuntimeError: <message>`, using
 * the error's Python class name (`pyName`) when it has one.
 * @module
 */

/** Options of {@link display}. */
export interface DisplayOptions {
  /** ANSI colours for plain JavaScript values (numbers, strings, objects). */
  colors?: boolean;
}

const inspect = Deno.inspect;

/**
 * The text shown for a value at the prompt ("" for `undefined` and `null`).
 * @example
 * ```ts
 * import { display } from "./display.ts";
 * console.log(display([1, "a"])); // [ 1, "a" ]
 * ```
 */
export function display(value: unknown, opts: DisplayOptions = {}): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return JSON.stringify(value);
  return inspect(value, {
    colors: opts.colors ?? false,
    depth: 4,
    iterableLimit: 100,
    strAbbreviateSize: 1000,
    breakLength: 110,
    getters: false,
  });
}

/** Python's name for an error: its `pyName`, else its JavaScript name. */
export function errorName(e: unknown): string {
  const o = e as { pyName?: unknown; name?: unknown } | null;
  if (o && typeof o.pyName === "string") return o.pyName;
  if (o && typeof o.name === "string" && o.name) return o.name;
  return "Error";
}

/**
 * One line for a thrown value: `RuntimeError: The size of tensor a (3) must match …`.
 * No stack: the REPL's `.trace` shows the last one.
 */
export function formatError(e: unknown): string {
  if (e instanceof Error || (e !== null && typeof e === "object" && "message" in e)) {
    const name = errorName(e);
    const message = String((e as { message: unknown }).message ?? "");
    return message ? `${name}: ${message}` : name;
  }
  return `Uncaught ${inspect(e)}`;
}

/** Frames of the REPL's own machinery, left out of `.trace`. */
const REPL_FRAME = /\/lib\/repl\/|\/repl\/main\.ts|at eval \(<anonymous>\)|at async Promise\.all/;

/** The full stack of a thrown value, with its causes (for `.trace`). */
export function formatTrace(e: unknown): string {
  const lines: string[] = [];
  let x: unknown = e;
  for (let depth = 0; x !== undefined && depth < 5; depth++) {
    if (depth > 0) lines.push("Caused by:");
    if (x instanceof Error) {
      const stack = x.stack ?? "";
      // the stack starts with "Name: message"; show the Python name first
      const firstLine = formatError(x);
      const frames = stack.split("\n").filter((l) => /^\s+at /.test(l) && !REPL_FRAME.test(l))
        .map((l) => l.replace(/\(?repl:(\d+), <anonymous>:(\d+):\d+\)?/, "(input $1, line $2)"));
      lines.push(firstLine, ...frames);
      x = (x as { cause?: unknown }).cause;
    } else {
      lines.push(formatError(x));
      break;
    }
  }
  return lines.join("\n");
}
