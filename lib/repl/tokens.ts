/**
 * A small JavaScript tokenizer for the REPL: enough to see brackets, strings,
 * templates, comments, regular expressions and statement boundaries. It lets
 * the REPL tell an incomplete line from a finished one, find top-level
 * declarations, guard loops and complete `x.su<Tab>`, without a full parser.
 * @module
 */

/** Kinds of token. `tmpl` is one literal piece of a template (between `` ` `` and `${`). */
export type TokenType = "name" | "num" | "str" | "tmpl" | "regex" | "punct";

/** One token of the source. */
export interface Token {
  type: TokenType;
  value: string;
  /** Offset of the first character. */
  start: number;
  /** Offset past the last character. */
  end: number;
  /** A line break comes between the previous token and this one. */
  nl: boolean;
  /** Bracket depth before this token (a closer has the depth of its opener). */
  depth: number;
}

/** The tokens of a source and what was left open at its end. */
export interface Scan {
  tokens: Token[];
  /** Index of the matching closer for every opener token (`(`, `[`, `{`, template `${`). */
  match: Map<number, number>;
  /** Brackets still open at the end (`(`, `[`, `{`, or `${` inside a template). */
  open: string[];
  /** What the source ends inside of, if anything. */
  unterminated: null | "string" | "template" | "comment" | "regex";
  /** A closer that does not match its opener (a syntax error, not an incomplete line). */
  mismatch: boolean;
}

const PUNCTS = [
  ">>>=",
  "...",
  "===",
  "!==",
  "**=",
  "<<=",
  ">>=",
  ">>>",
  "&&=",
  "||=",
  "??=",
  "=>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "??",
  "?.",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "**",
  "<<",
  ">>",
];

/** Keywords after which a `/` starts a regular expression, and which cannot end an expression. */
export const OPERATOR_KEYWORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
  "extends",
]);

const ID_START = /[\p{ID_Start}$_\\#]/u;
const ID_PART = /[\p{ID_Continue}$\u200c\u200d\\]/u;
const NUMBER = /^(?:0[xXoObB][\da-fA-F_]+n?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?)/;

/** Whether a token can end an expression (so a `/` after it divides, and a line break may end a statement). */
export function endsExpression(t: Token | undefined): boolean {
  if (!t) return false;
  switch (t.type) {
    case "num":
    case "str":
    case "regex":
      return true;
    case "tmpl":
      return t.value.endsWith("`");
    case "name":
      return !OPERATOR_KEYWORDS.has(t.value);
    case "punct":
      return t.value === ")" || t.value === "]" || t.value === "}" || t.value === "++" || t.value === "--";
  }
}

/** Splits `src` into tokens. Never throws: what it cannot read ends the scan as `unterminated`. */
export function tokenize(src: string): Scan {
  const tokens: Token[] = [];
  const match = new Map<number, number>();
  // Open brackets: the character and the index of its token.
  const stack: { ch: string; at: number }[] = [];
  let unterminated: Scan["unterminated"] = null;
  let mismatch = false;
  let i = 0;
  let nl = false;
  const n = src.length;

  const push = (type: TokenType, start: number, end: number): Token => {
    const t: Token = { type, value: src.slice(start, end), start, end, nl, depth: stack.length };
    tokens.push(t);
    nl = false;
    return t;
  };

  /** Reads template characters from `i` (just past `` ` `` or `}`); emits one `tmpl` token. */
  const template = (start: number): void => {
    let j = i;
    while (j < n) {
      const c = src[j];
      if (c === "\\") {
        j += 2;
        continue;
      }
      if (c === "`") {
        i = j + 1;
        push("tmpl", start, i);
        return;
      }
      if (c === "$" && src[j + 1] === "{") {
        i = j + 2;
        push("tmpl", start, i);
        stack.push({ ch: "${", at: tokens.length - 1 });
        return;
      }
      j++;
    }
    i = n;
    push("tmpl", start, n);
    unterminated = "template";
  };

  while (i < n) {
    const c = src[i];
    if (c === "\n" || c === "\r" || c === "\u2028" || c === "\u2029") {
      nl = true;
      i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\v" || c === "\f" || c === "\ufeff" || c === "\u00a0") {
      i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      while (i < n && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const close = src.indexOf("*/", i + 2);
      if (close < 0) {
        unterminated = "comment";
        break;
      }
      if (/[\n\r\u2028\u2029]/.test(src.slice(i, close))) nl = true;
      i = close + 2;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && src[j] !== c) {
        if (src[j] === "\\") j++;
        else if (src[j] === "\n") break;
        j++;
      }
      if (j >= n || src[j] !== c) {
        unterminated = "string";
        i = j;
        push("str", start, Math.min(j, n));
        continue;
      }
      i = j + 1;
      push("str", start, i);
      continue;
    }
    if (c === "`") {
      i++;
      template(start);
      continue;
    }
    if (/\d/.test(c) || (c === "." && /\d/.test(src[i + 1] ?? ""))) {
      const m = NUMBER.exec(src.slice(i, i + 400));
      i += m ? m[0].length : 1;
      while (i < n && ID_PART.test(src[i])) i++; // malformed tails stay in the number
      push("num", start, i);
      continue;
    }
    if (ID_START.test(c) || c.charCodeAt(0) >= 0xd800) {
      i++;
      while (i < n && (ID_PART.test(src[i]) || src.charCodeAt(i) >= 0xd800)) i++;
      push("name", start, i);
      continue;
    }
    if (c === "/") {
      const prev = tokens[tokens.length - 1];
      if (!endsExpression(prev)) {
        // a regular expression literal
        let j = i + 1;
        let inClass = false;
        while (j < n) {
          const d = src[j];
          if (d === "\\") {
            j += 2;
            continue;
          }
          if (d === "\n") break;
          if (d === "[") inClass = true;
          else if (d === "]") inClass = false;
          else if (d === "/" && !inClass) break;
          j++;
        }
        if (j >= n || src[j] !== "/") {
          unterminated = "regex";
          i = j;
          push("regex", start, j);
          continue;
        }
        j++;
        while (j < n && ID_PART.test(src[j])) j++;
        i = j;
        push("regex", start, i);
        continue;
      }
    }
    if (c === "(" || c === "[" || c === "{") {
      i++;
      push("punct", start, i);
      stack.push({ ch: c, at: tokens.length - 1 });
      continue;
    }
    if (c === ")" || c === "]" || c === "}") {
      const top = stack[stack.length - 1];
      if (c === "}" && top?.ch === "${") {
        // back inside the template
        stack.pop();
        i++;
        template(start);
        match.set(top.at, tokens.length - 1);
        continue;
      }
      const want = c === ")" ? "(" : c === "]" ? "[" : "{";
      if (top && top.ch === want) {
        stack.pop();
        i++;
        push("punct", start, i);
        match.set(top.at, tokens.length - 1);
      } else {
        mismatch = true;
        i++;
        push("punct", start, i);
      }
      continue;
    }
    let p = "";
    for (const q of PUNCTS) {
      if (src.startsWith(q, i)) {
        p = q;
        break;
      }
    }
    if (p === "?." && /\d/.test(src[i + 2] ?? "")) p = "?"; // a ? .5 : 1
    i += p ? p.length : 1;
    push("punct", start, i);
  }
  return {
    tokens,
    match,
    open: stack.map((s) => s.ch),
    unterminated,
    mismatch,
  };
}
