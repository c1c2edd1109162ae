/**
 * Turns one REPL input (TypeScript) into JavaScript the session can run:
 *
 * - types are stripped (`node:module`'s `stripTypeScriptTypes`);
 * - top-level `const`/`let`/`var`/`class`/`function` become assignments to
 *   globals, so they persist between inputs, can be declared again, and
 *   closures see later values (as in Python's REPL);
 * - `import … from "x"` becomes an awaited dynamic import;
 * - the last expression statement is returned, so its value can be shown;
 * - every loop calls `__repl.tick()` on each turn, so Ctrl-C (or the time
 *   guard) can stop a runaway loop without losing the session;
 * - the body runs inside an async function, so top-level `await` works.
 * @module
 */
import { stripTypeScriptTypes } from "node:module";
import { endsExpression, type Token, tokenize } from "./tokens.ts";

/** The JavaScript for one input. */
export interface Compiled {
  /** Statements for the body of an async function; the last expression is `return`ed. */
  body: string;
  /** Names declared at top level (they become globals). */
  declared: string[];
  /** The input ends with an expression whose value is shown. */
  hasValue: boolean;
  /** The body uses `await` (else it may also run as a plain function, as `.time` does). */
  usesAwait: boolean;
}

/** Options of {@link compile}. */
export interface CompileOptions {
  /** URL that relative `import` specifiers resolve against (a `.load`ed file, or the working directory). */
  base?: string;
  /** Insert the loop guard (default true). */
  guard?: boolean;
}

const CONTINUES = new Set([
  ".",
  "?.",
  "(",
  "[",
  ",",
  "=",
  "=>",
  "?",
  ":",
  "+",
  "-",
  "*",
  "/",
  "%",
  "**",
  "==",
  "===",
  "!=",
  "!==",
  "<",
  ">",
  "<=",
  ">=",
  "<<",
  ">>",
  ">>>",
  "&",
  "|",
  "^",
  "&&",
  "||",
  "??",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "**=",
  "<<=",
  ">>=",
  ">>>=",
  "&=",
  "|=",
  "^=",
  "&&=",
  "||=",
  "??=",
]);

/** Whether a token at the start of a line continues the expression before it (no automatic semicolon). */
function continues(t: Token): boolean {
  if (t.type === "punct") return CONTINUES.has(t.value);
  if (t.type === "tmpl") return t.value.startsWith("`"); // a tagged template
  return t.type === "name" && (t.value === "in" || t.value === "instanceof");
}

// deno-lint-ignore no-eval
const indirectEval = eval;

/** The message V8 gives for `js` as a function body, and whether the error sits at the very end. */
function v8Check(js: string): { message: string | null; atEnd: boolean } {
  const msg = (tail: string): string | null => {
    try {
      indirectEval(`(async () => {\n${js}${tail}`);
      return null;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  };
  const a = msg("\n})");
  if (a === null) return { message: null, atEnd: false };
  // The error depends on what follows the input: it is at the end, so more input may finish it.
  return { message: a, atEnd: a !== msg("\n@})") };
}

/** TypeScript → JavaScript. Throws a `SyntaxError` with the clearest message available. */
export function stripTypes(src: string): string {
  try {
    return stripTypeScriptTypes(src, { mode: "strip" });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!message.includes("[InvalidSyntax]")) {
      // valid TypeScript that strip mode cannot erase (enum, namespace, parameter properties)
      try {
        return stripTypeScriptTypes(src, { mode: "transform" });
      } catch (e2) {
        throw new SyntaxError(cleanSwcMessage(e2 instanceof Error ? e2.message : String(e2)));
      }
    }
    const v8 = v8Check(src);
    throw new SyntaxError(v8.atEnd ? "unexpected end of input" : v8.message ?? "invalid TypeScript syntax");
  }
}

function cleanSwcMessage(m: string): string {
  return m.replace(/\s+at file:\/\/\/stripTypeScriptTypes\.ts:\d+:\d+$/, "").replace(/^\[\w+\]\s*/, "");
}

/**
 * Whether `src` is unfinished: open brackets, an open template or comment,
 * or a syntax error right at its end (`1 +`, `if (x)`), so the prompt
 * should ask for another line.
 */
export function isIncomplete(src: string): boolean {
  if (src.trim() === "") return false;
  const scan = tokenize(src);
  if (scan.mismatch) return false;
  if (scan.unterminated === "template" || scan.unterminated === "comment") return true;
  if (scan.unterminated) return false; // a string or regex cannot span lines
  if (scan.open.length > 0) return true;
  let js: string;
  try {
    js = stripTypeScriptTypes(src, { mode: "strip" });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!message.includes("[InvalidSyntax]")) return false;
    // Would one more token finish it? (`const x: number =`)
    try {
      stripTypeScriptTypes(src + "\n0", { mode: "strip" });
      return true;
    } catch {
      return v8Check(src).atEnd;
    }
  }
  return v8Check(js).atEnd;
}

/** Where a statement sits and what it is. */
interface Stmt {
  kind: "empty" | "expr" | "decl" | "func" | "class" | "import" | "drop" | "other";
  /** First token. */
  start: number;
  /** Past the last token (including a `;`). */
  end: number;
  /** Index of a leading `export` keyword to remove. */
  exportAt?: number;
  /** decl: the keyword; declarators as [patternStart, patternEnd, initEnd (or -1)] token ranges. */
  declarators?: [number, number, number][];
  /** func / class: the declared name (token index). */
  nameAt?: number;
}

class Statements {
  constructor(readonly t: Token[], readonly match: Map<number, number>) {}

  isP(i: number, v: string): boolean {
    const x = this.t[i];
    return x !== undefined && x.type === "punct" && x.value === v;
  }
  isN(i: number, v: string): boolean {
    const x = this.t[i];
    return x !== undefined && x.type === "name" && x.value === v;
  }
  /** Index past the token at `i`, or past its whole bracket group (and template chain). */
  skip(i: number): number {
    let j = i;
    while (this.match.has(j)) j = this.match.get(j)!;
    return j + 1;
  }

  /** Where an expression starting at `i` stops: at `;`, at a line break that ends it, at a closer, or at `,` if asked. */
  exprStop(i: number, commas: boolean): number {
    const t = this.t;
    let j = i;
    while (j < t.length) {
      const x = t[j];
      if (x.type === "punct") {
        if (x.value === ";" || x.value === ")" || x.value === "]" || x.value === "}") return j;
        if (commas && x.value === ",") return j;
      }
      if (j > i && x.nl && endsExpression(t[j - 1]) && !continues(x)) return j;
      j = this.skip(j);
    }
    return t.length;
  }

  /** Past an expression statement starting at `i` (its `;` included). */
  exprEnd(i: number): number {
    const j = this.exprStop(i, false);
    return this.isP(j, ";") ? j + 1 : j;
  }

  parse(i: number): Stmt {
    const t = this.t;
    const x = t[i];
    if (!x) return { kind: "empty", start: i, end: i };
    if (this.isP(i, ";")) return { kind: "empty", start: i, end: i + 1 };
    if (this.isP(i, "{")) return { kind: "other", start: i, end: this.skip(i) };
    const other = (end: number): Stmt => ({ kind: "other", start: i, end });
    if (x.type === "name") {
      switch (x.value) {
        case "if": {
          let j = this.parse(this.skip(i + 1)).end;
          if (this.isN(j, "else")) j = this.parse(j + 1).end;
          return other(j);
        }
        case "for": {
          const j = this.isN(i + 1, "await") ? i + 2 : i + 1;
          return other(this.parse(this.skip(j)).end);
        }
        case "while":
        case "with":
          return other(this.parse(this.skip(i + 1)).end);
        case "do": {
          let j = this.parse(i + 1).end;
          if (this.isN(j, "while")) j = this.skip(j + 1);
          return other(this.isP(j, ";") ? j + 1 : j);
        }
        case "try": {
          let j = this.skip(i + 1);
          if (this.isN(j, "catch")) {
            j++;
            if (this.isP(j, "(")) j = this.skip(j);
            j = this.skip(j);
          }
          if (this.isN(j, "finally")) j = this.skip(j + 1);
          return other(j);
        }
        case "switch":
          return other(this.skip(this.skip(i + 1)));
        case "function":
          return this.func(i, i);
        case "async":
          if (this.isN(i + 1, "function") && !t[i + 1].nl) return this.func(i, i + 1);
          break;
        case "class":
          return this.cls(i);
        case "const":
        case "var":
          return this.decl(i);
        case "let": {
          const y = t[i + 1];
          if (
            y && ((y.type === "name" && y.value !== "in" && y.value !== "instanceof" && y.value !== "of") ||
              this.isP(i + 1, "[") || this.isP(i + 1, "{"))
          ) return this.decl(i);
          break;
        }
        case "import":
          if (!this.isP(i + 1, "(") && !this.isP(i + 1, ".")) return this.imp(i);
          break;
        case "export":
          return this.exp(i);
        case "using": // `using _ = torch.no_grad()`: disposed when the input ends, as a block would
          if (t[i + 1]?.type === "name" && !t[i + 1].nl) return other(this.exprEnd(i));
          break;
        case "await":
          if (this.isN(i + 1, "using") && t[i + 2]?.type === "name") return other(this.exprEnd(i));
          break;
        case "return":
        case "throw":
        case "break":
        case "continue":
        case "debugger":
          return other(this.exprEnd(i + 1));
        default:
          if (this.isP(i + 1, ":")) return other(this.parse(i + 2).end); // a label
      }
    }
    return { kind: "expr", start: i, end: this.exprEnd(i) };
  }

  func(start: number, fnAt: number): Stmt {
    let j = fnAt + 1;
    if (this.isP(j, "*")) j++;
    if (this.t[j]?.type !== "name") return { kind: "expr", start, end: this.exprEnd(start) };
    const nameAt = j;
    j = this.skip(this.skip(j + 1)); // parameters, body
    return { kind: "func", start, end: j, nameAt };
  }

  cls(i: number): Stmt {
    const y = this.t[i + 1];
    if (!y || y.type !== "name" || y.value === "extends") {
      return { kind: "expr", start: i, end: this.exprEnd(i) };
    }
    let j = i + 2;
    while (j < this.t.length && !this.isP(j, "{")) j = this.skip(j);
    return { kind: "class", start: i, end: this.skip(j), nameAt: i + 1 };
  }

  decl(i: number): Stmt {
    const declarators: [number, number, number][] = [];
    let j = i + 1;
    while (j < this.t.length) {
      const patStart = j;
      const patEnd = this.skip(j);
      let initEnd = -1;
      j = patEnd;
      if (this.isP(j, "=")) {
        initEnd = this.exprStop(j + 1, true);
        j = initEnd;
      }
      declarators.push([patStart, patEnd, initEnd]);
      if (this.isP(j, ",")) j++;
      else break;
    }
    const end = this.isP(j, ";") ? j + 1 : j;
    return { kind: "decl", start: i, end, declarators };
  }

  imp(i: number): Stmt {
    let j = i + 1;
    while (j < this.t.length && this.t[j].type !== "str") j = this.skip(j);
    j++; // the specifier
    if (this.isN(j, "with") || this.isN(j, "assert")) j = this.skip(j + 1);
    return { kind: "import", start: i, end: this.isP(j, ";") ? j + 1 : j };
  }

  exp(i: number): Stmt {
    if (this.isN(i + 1, "default")) return { ...this.parse(i + 2), exportAt: i };
    if (this.isP(i + 1, "{") || this.isP(i + 1, "*")) {
      return { kind: "drop", start: i, end: this.exprEnd(i + 1) };
    }
    const inner = this.parse(i + 1);
    return { ...inner, exportAt: i };
  }

  /** Names bound by the binding pattern in tokens [a, b). */
  names(a: number, b: number, out: string[]): void {
    const t = this.t;
    if (a >= b) return;
    if (t[a].type === "name") {
      out.push(t[a].value);
      return;
    }
    const close = this.skip(a) - 1;
    // split the group's inside at its top-level commas
    const parts: [number, number][] = [];
    let s = a + 1;
    let j = s;
    while (j < close) {
      if (this.isP(j, ",")) {
        parts.push([s, j]);
        s = j + 1;
        j = s;
        continue;
      }
      j = this.skip(j);
    }
    parts.push([s, close]);
    const isObject = this.isP(a, "{");
    for (let [p, q] of parts) {
      if (p >= q) continue;
      if (this.isP(p, "...")) p++;
      if (isObject) {
        let k = p;
        while (k < q && !this.isP(k, ":")) k = this.skip(k);
        if (k < q) p = k + 1;
        else if (t[p].type === "name") {
          out.push(t[p].value);
          continue;
        }
      }
      this.names(p, this.skip(p), out);
    }
  }
}

/** An edit of the source text: replace [from, to) with `text`. */
interface Edit {
  from: number;
  to: number;
  text: string;
}

function applyEdits(src: string, edits: Edit[]): string {
  edits.sort((a, b) => a.from - b.from);
  let out = "";
  let at = 0;
  for (const e of edits) {
    if (e.from < at) continue; // overlapping edits cannot happen; keep the first
    out += src.slice(at, e.from) + e.text;
    at = e.to;
  }
  return out + src.slice(at);
}

/** Inserts `__repl.tick()` into every loop of `js`. */
export function guardLoops(js: string): string {
  const { tokens: t, match } = tokenize(js);
  const st = new Statements(t, match);
  const edits: Edit[] = [];
  const insert = (at: number, text: string) => edits.push({ from: at, to: at, text });
  for (let k = 0; k < t.length; k++) {
    if (t[k].type !== "name" || st.isP(k - 1, ".") || st.isP(k - 1, "?.")) continue;
    if (t[k].value === "while" && st.isP(k + 1, "(")) {
      const close = match.get(k + 1);
      if (close === undefined) continue;
      insert(t[k + 1].end, "__repl.tick() && (");
      insert(t[close].start, ")");
    } else if (t[k].value === "for") {
      const isAwait = st.isN(k + 1, "await");
      const open = isAwait ? k + 2 : k + 1;
      if (!st.isP(open, "(")) continue;
      const close = match.get(open);
      if (close === undefined) continue;
      const semis: number[] = [];
      let ofAt = -1;
      for (let m = open + 1; m < close; m = st.skip(m)) {
        if (st.isP(m, ";")) semis.push(m);
        else if (ofAt < 0 && st.isN(m, "of") && m > open + 1 && endsExpression(t[m - 1])) ofAt = m;
      }
      if (semis.length === 2) {
        const [s1, s2] = semis;
        if (s2 === s1 + 1) insert(t[s1].end, " __repl.tick()");
        else {
          insert(t[s1].end, " __repl.tick() && (");
          insert(t[s2].start, ")");
        }
      } else if (st.isP(close + 1, "{")) {
        insert(t[close + 1].end, " __repl.tick();");
      } else if (ofAt >= 0) {
        insert(t[ofAt].end, isAwait ? " __repl.aiter(" : " __repl.iter(");
        insert(t[close].start, ")");
      }
    }
  }
  return edits.length ? applyEdits(js, edits) : js;
}

let importCount = 0;

/** Code that imports `spec` and assigns the bindings of an import clause (tokens [a, b)). */
function importCode(
  st: Statements,
  a: number,
  b: number,
  base: string,
  attrs: string,
  declared: string[],
): string {
  const t = st.t;
  let specAt = a;
  while (specAt < b && t[specAt].type !== "str") specAt++;
  const spec = t[specAt]?.value ?? '""';
  const load = `await __repl.imp(${spec}, ${JSON.stringify(base)}${attrs ? `, ${attrs}` : ""})`;
  const m = `__repl_m${++importCount}`;
  const parts: string[] = [];
  let j = a;
  while (j < specAt) {
    const x = t[j];
    if (x.type === "name" && x.value !== "from" && x.value !== "type" && !st.isN(j - 1, "as")) {
      if (st.isN(j + 1, "as")) {
        j += 2;
        continue;
      }
      parts.push(`${x.value} = ${m}.default;`);
      declared.push(x.value);
    } else if (st.isP(j, "*") && st.isN(j + 1, "as")) {
      parts.push(`${t[j + 2].value} = ${m};`);
      declared.push(t[j + 2].value);
      j += 3;
      continue;
    } else if (st.isP(j, "{")) {
      const close = st.skip(j) - 1;
      let k = j + 1;
      while (k < close) {
        if (t[k].type === "name" || t[k].type === "str") {
          const imported = t[k].type === "str" ? t[k].value : JSON.stringify(t[k].value);
          let local = t[k].value;
          let next = k + 1;
          if (st.isN(k + 1, "as")) {
            local = t[k + 2].value;
            next = k + 3;
          }
          parts.push(`${local} = ${m}[${imported}];`);
          declared.push(local);
          k = next;
        } else k++;
      }
      j = close + 1;
      continue;
    }
    j++;
  }
  return parts.length ? `const ${m} = ${load}; ${parts.join(" ")}` : `${load};`;
}

/**
 * Compiles one input. Throws `SyntaxError` for input that is not valid TypeScript.
 * @example
 * ```ts
 * import { compile } from "./transform.ts";
 * console.log(compile("const x: number = 1; x + 1").body); // ;(x = 1); return (x + 1\n);
 * ```
 */
export function compile(src: string, opts: CompileOptions = {}): Compiled {
  let js = stripTypes(src);
  if (opts.guard !== false) js = guardLoops(js);
  const { tokens: t, match } = tokenize(js);
  const st = new Statements(t, match);
  const stmts: Stmt[] = [];
  for (let i = 0; i < t.length;) {
    const s = st.parse(i);
    stmts.push(s);
    // A stray closer would stop the parse: step over it and let V8 report it.
    i = s.end > i ? s.end : i + 1;
  }
  const base = opts.base ?? `file://${Deno.cwd()}/`;
  const edits: Edit[] = [];
  const hoisted: string[] = [];
  const declared: string[] = [];
  const lastExpr = [...stmts].reverse().find((s) => s.kind !== "empty");
  let hasValue = false;
  const tokEnd = (s: Stmt): number => t[s.end - 1].end;
  for (const s of stmts) {
    if (s.exportAt !== undefined) {
      edits.push({ from: t[s.exportAt].start, to: t[s.exportAt + 1].start, text: "" });
      if (st.isN(s.exportAt + 1, "default")) {
        edits.push({ from: t[s.exportAt + 1].start, to: t[s.exportAt + 1].end, text: "" });
      }
    }
    switch (s.kind) {
      case "decl": {
        edits.push({ from: t[s.start].start, to: t[s.start].end, text: ";(" });
        for (const [p, q, init] of s.declarators!) {
          st.names(p, q, declared);
          if (init < 0) edits.push({ from: t[q - 1].end, to: t[q - 1].end, text: " = undefined" });
        }
        const last = s.declarators![s.declarators!.length - 1];
        const lastTok = last[2] >= 0 ? last[2] - 1 : last[1] - 1;
        edits.push({ from: t[lastTok].end, to: t[lastTok].end, text: ")" });
        break;
      }
      case "func": {
        const name = t[s.nameAt!].value;
        declared.push(name);
        const from = t[s.start].start;
        hoisted.push(`${name} = ${js.slice(from, tokEnd(s))};\n`);
        edits.push({ from, to: tokEnd(s), text: "" });
        break;
      }
      case "class": {
        const name = t[s.nameAt!].value;
        declared.push(name);
        const from = t[s.start].start;
        edits.push({ from, to: from, text: `;${name} = ` });
        edits.push({ from: tokEnd(s), to: tokEnd(s), text: ";" });
        break;
      }
      case "import": {
        let specAt = s.start;
        while (specAt < s.end && t[specAt].type !== "str") specAt++;
        const attrs = st.isN(specAt + 1, "with") || st.isN(specAt + 1, "assert")
          ? `{ with: ${js.slice(t[specAt + 2].start, t[st.skip(specAt + 2) - 1].end)} }`
          : "";
        const code = importCode(st, s.start + 1, s.end, base, attrs, declared);
        edits.push({ from: t[s.start].start, to: tokEnd(s), text: `;${code}` });
        break;
      }
      case "drop":
        edits.push({ from: t[s.start].start, to: tokEnd(s), text: "" });
        break;
      case "expr":
        if (s === lastExpr) {
          hasValue = true;
          const endTok = st.isP(s.end - 1, ";") && s.end - 1 > s.start ? s.end - 2 : s.end - 1;
          edits.push({ from: t[s.start].start, to: t[s.start].start, text: "return (" });
          edits.push({ from: t[endTok].end, to: t[endTok].end, text: "\n);" });
        }
        break;
    }
  }
  const body = hoisted.join("") + applyEdits(js, edits);
  return {
    body,
    declared: [...new Set(declared)],
    hasValue,
    usesAwait: t.some((x) => x.type === "name" && (x.value === "await")) || /\b__repl\.imp\(/.test(body),
  };
}
