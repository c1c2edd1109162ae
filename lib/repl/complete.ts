/**
 * Tab completion: global names (`tor` → `torch`), members (`x.su` → `sum`,
 * `sub`, …; `torch.nn.Lin` → `Linear`), REPL commands (`.ti` → `.time`)
 * and file names after `.load` / `.save`.
 * @module
 */
import { tokenize } from "./tokens.ts";

/** Completions for the text before the cursor. */
export interface Completion {
  /** Offset where the completed word starts (the candidates replace text from here to the cursor). */
  from: number;
  /** Candidates, sorted. */
  items: string[];
}

const KEYWORDS = [
  "async",
  "await",
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "default",
  "delete",
  "do",
  "else",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "let",
  "new",
  "null",
  "of",
  "return",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "typeof",
  "undefined",
  "var",
  "void",
  "while",
  "yield",
];

const WORD = /[\p{ID_Continue}$\u200c\u200d]*$/u;
const IDENT = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;
// a chain of names, `.name`, `?.name`, `[0]` and `["key"]` ending in a dot
const CHAIN =
  /((?:[\p{ID_Start}$_][\p{ID_Continue}$]*)(?:\s*\??\.\s*[\p{ID_Start}$_#][\p{ID_Continue}$]*|\[\s*(?:-?\d+|"[^"\\]*"|'[^'\\]*')\s*\])*)\s*\??\.\s*$/u;

/** Property names of a value and its prototypes, as `dir()` lists them. */
export function members(value: unknown, prefix = ""): string[] {
  if (value === null || value === undefined) return [];
  const names = new Set<string>();
  let o: object | null = Object(value);
  const showAll = prefix.length > 0;
  const hidden = new Set<object | null>([Object.prototype, Function.prototype]);
  for (let depth = 0; o && depth < 20; depth++) {
    if (hidden.has(o) && !showAll) break;
    let keys: string[] = [];
    try {
      keys = Object.getOwnPropertyNames(o);
    } catch {
      // a proxy that refuses ownKeys
    }
    for (const k of keys) names.add(k);
    o = Object.getPrototypeOf(o);
  }
  return [...names].filter((k) =>
    IDENT.test(k) && k.startsWith(prefix) && (prefix.startsWith("_") || !k.startsWith("_")) &&
    (showAll || k !== "constructor")
  ).sort();
}

/** Follows `a.b[0].c` from the globals without calling anything. */
function resolveChain(chain: string, scope: object): { ok: boolean; value?: unknown } {
  const steps = [
    ...chain.matchAll(/[\p{ID_Start}$_#][\p{ID_Continue}$]*|\[\s*(-?\d+|"[^"\\]*"|'[^'\\]*')\s*\]/gu),
  ];
  let value: unknown = scope;
  for (const [i, m] of steps.entries()) {
    const key = m[1] !== undefined ? (/^-?\d+$/.test(m[1]) ? Number(m[1]) : m[1].slice(1, -1)) : m[0];
    if (i === 0 && !(typeof key === "string" && key in scope)) return { ok: false };
    if (value === null || value === undefined) return { ok: false };
    try {
      value = (value as Record<string | number, unknown>)[key];
    } catch {
      return { ok: false };
    }
  }
  return { ok: true, value };
}

function globalNames(scope: object, prefix: string): string[] {
  const names = new Set<string>(KEYWORDS);
  for (let o: object | null = scope; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) names.add(k);
  }
  return [...names].filter((k) =>
    IDENT.test(k) && k.startsWith(prefix) && (prefix.startsWith("_") || !k.startsWith("_"))
  ).sort();
}

function fileNames(partial: string): string[] {
  const slash = partial.lastIndexOf("/");
  const dir = slash >= 0 ? partial.slice(0, slash + 1) : "";
  const base = partial.slice(slash + 1);
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir || ".")) {
      if (e.name.startsWith(base) && (base.startsWith(".") || !e.name.startsWith("."))) {
        out.push(dir + e.name + (e.isDirectory ? "/" : ""));
      }
    }
  } catch {
    // no such directory, or no permission
  }
  return out.sort();
}

/**
 * Completes `line` at `cursor`.
 * @param commands the REPL's command names (without the dot)
 * @param scope where global names live (the REPL's globals)
 * @example
 * ```ts
 * import { complete } from "./complete.ts";
 * console.log(complete("Math.ab", 7, [], globalThis).items); // [ "abs" ]
 * ```
 */
export function complete(
  line: string,
  cursor: number = line.length,
  commands: string[] = [],
  scope: object = globalThis,
): Completion {
  const before = line.slice(0, cursor);
  const none = { from: cursor, items: [] };
  // REPL commands and their arguments
  const cmd = /^\s*\.(\w*)(\s+(.*))?$/.exec(before);
  if (cmd && (cmd[2] !== undefined || commands.some((c) => c.startsWith(cmd[1])))) {
    if (cmd[2] === undefined) {
      return {
        from: before.indexOf("."),
        items: commands.filter((c) => c.startsWith(cmd[1])).map((c) => "." + c),
      };
    }
    const arg = cmd[3] ?? "";
    const from = cursor - arg.length;
    if (cmd[1] === "load" || cmd[1] === "save") return { from, items: fileNames(arg) };
    if (cmd[1] === "device") return { from, items: ["cpu", "webgpu"].filter((d) => d.startsWith(arg)) };
    if (cmd[1] !== "time" && cmd[1] !== "help") return none;
  }
  // nothing inside strings and comments
  const scan = tokenize(before);
  if (scan.unterminated) return none;
  const last = scan.tokens[scan.tokens.length - 1];
  if (last && last.end < before.length && /\/\/[^\n]*$/.test(before.slice(last.end))) return none;
  const word = WORD.exec(before)![0];
  const from = cursor - word.length;
  const head = before.slice(0, from);
  const chain = CHAIN.exec(head);
  if (chain) {
    // a number before the dot (`1.`) is a decimal point, not a member access
    const r = resolveChain(chain[1], scope);
    if (!r.ok) return none;
    return { from, items: members(r.value, word) };
  }
  if (/[\p{ID_Continue}$)\]]\s*\??\.\s*$/u.test(head)) return none; // a call result or literal: unknown type
  return { from, items: globalNames(scope, word) };
}
