/**
 * `help(torch.cat)`, `help(x.sum)`, `help(nn.Linear)`, `torch.cat?`:
 * PyTorch's own documentation (PyTorch is the specification here), from
 * `help_docs.json` (written by `repl/gen_help.ts` from real PyTorch), with
 * how to translate its calls into this facade.
 * @module
 */
import { members } from "./complete.ts";

/** Text that the REPL shows as is (what `help()` returns). */
export class HelpText {
  constructor(readonly text: string) {}
  /** The text itself. */
  toString(): string {
    return this.text;
  }
  /** The REPL shows the text, not an object. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.text;
  }
}

let docs: Record<string, string> | null = null;

/** The generated table of docstrings, read on first use (keeps start-up fast). */
function table(): Record<string, string> {
  if (!docs) {
    try {
      docs = JSON.parse(Deno.readTextFileSync(new URL("./help_docs.json", import.meta.url)));
    } catch {
      docs = {};
    }
  }
  return docs!;
}

const TRANSLATE = "(PyTorch's documentation. Written here: keyword arguments go in a trailing object, " +
  "`x.sum(1, { keepdim: true })`; tuples are arrays, `torch.cat([x, y], 0)`; None is null; True is true.)";

const RULES = `Writing PyTorch here:
  x.sum(1, keepdim=True)       x.sum(1, { keepdim: true })
  torch.cat((x, y), 0)         torch.cat([x, y], 0)
  a + b, a * b, a @ b          a.add(b), a.mul(b), a.matmul(b)
  t[:, 1], t[0], t[..., None]  t.index(":", 1) or t[":, 1"], t[0], t["..., None"]
  None, True, with no_grad():  null, true, torch.no_grad(() => { ... })`;

/** Where to look a value up: namespace name → object (e.g. `torch` → the torch namespace). */
export type Namespaces = Record<string, unknown>;

/** The dotted name (`torch.cat`, `Tensor.sum`, `nn.Linear`) of a function or class in `spaces`. */
export function qualifiedName(value: unknown, spaces: Namespaces): string | null {
  if (value === null || (typeof value !== "function" && typeof value !== "object")) return null;
  for (const [prefix, space] of Object.entries(spaces)) {
    if (!space || (typeof space !== "object" && typeof space !== "function")) continue;
    if (prefix === "Tensor") {
      for (let p = (space as { prototype?: object }).prototype; p && p !== Object.prototype;) {
        for (const k of Object.getOwnPropertyNames(p)) {
          const d = Object.getOwnPropertyDescriptor(p, k);
          if (d && d.value === value && k !== "constructor") return `Tensor.${k}`;
        }
        p = Object.getPrototypeOf(p);
      }
      if (value === space) return "Tensor";
      continue;
    }
    for (const k of Object.keys(space as object)) {
      let v: unknown;
      try {
        v = (space as Record<string, unknown>)[k];
      } catch {
        continue;
      }
      if (v === value) return `${prefix}.${k}`;
    }
  }
  return null;
}

/** The JavaScript signature of a function, from its source: `cat(tensors, dim = 0)`. */
function jsSignature(f: (...a: unknown[]) => unknown): string {
  const src = Function.prototype.toString.call(f);
  if (/^class\b/.test(src)) return `class ${f.name}`;
  const m = /^(?:async\s*)?(?:function\s*\*?\s*)?([\w$]*)\s*(\([^)]*\))/.exec(src) ??
    /^(?:async\s*)?(\([^)]*\)|[\w$]+)\s*=>/.exec(src);
  if (!m) return `${f.name}(…)`;
  const params = m[2] ?? (m[1].startsWith("(") ? m[1] : `(${m[1]})`);
  return `${f.name || "function"}${params.replace(/\s+/g, " ")}`;
}

/** The documentation of a dotted name, following PyTorch's "See torch.sum" references. */
function docOf(name: string): string | null {
  const t = table();
  const d = t[name];
  if (d === undefined) return null;
  const see = /^([^\n]*)\n\nSee (torch\.\w+)\s*$/.exec(d);
  if (see && t[see[2]]) return `${see[1]}\n\n${t[see[2]]}`;
  return d;
}

/** The general help shown by `help()` and `.help`. */
export const INTRO = `denotorch: PyTorch's tensor API at a TypeScript prompt.

  help(torch.cat)   PyTorch's documentation of a function, method or class (also: torch.cat?)
  dir(x)            the members of a value (Tab completes them too: x.su<Tab>)
  .help             the REPL's commands (.time, .memory, .load, .save, .trace, ...)

${RULES}`;

/**
 * `help(value)`: what PyTorch documents for it, or, for a name the facade
 * adds, its JavaScript signature and members.
 */
export function help(value: unknown, spaces: Namespaces, label?: string): HelpText {
  if (arguments.length === 0 || value === undefined && label === undefined) return new HelpText(INTRO);
  if (typeof value === "string") {
    const key = value.replace(/^torch\.Tensor\./, "Tensor.").replace(/^torch\.nn\.functional\./, "F.")
      .replace(/^torch\.nn\./, "nn.").replace(/^torch\.optim\./, "optim.");
    const d = docOf(key);
    if (d) return new HelpText(`${key}\n\n${d}\n\n${TRANSLATE}`);
    return new HelpText(`No documentation found for '${value}'. Try help(torch.cat) or dir(torch).`);
  }
  let name = qualifiedName(value, spaces);
  // a tensor (or other instance): its class
  if (!name && value !== null && typeof value === "object") {
    const ctor = (value as { constructor?: unknown }).constructor;
    name = qualifiedName(ctor, spaces);
    if (name === null && ctor === (spaces.Tensor as unknown)) name = "Tensor";
  }
  const d = name ? docOf(name) ?? (name === "Tensor" ? docOf("torch.Tensor") : null) : null;
  const parts: string[] = [];
  const title = name ?? label ?? (typeof value === "function" ? value.name : typeof value);
  // the JavaScript signature helps where PyTorch has no documentation (its own names the signature)
  if (typeof value === "function" && !d) {
    parts.push(`${title} — ${jsSignature(value as (...a: unknown[]) => unknown)}`);
  } else parts.push(title);
  if (d) parts.push(d, TRANSLATE);
  else {
    parts.push(
      "No PyTorch documentation for this name (it is not in PyTorch, or not documented there).",
    );
    const m = members(value);
    if (m.length) parts.push(`Members: ${m.join(", ")}`);
  }
  return new HelpText(parts.join("\n\n"));
}
