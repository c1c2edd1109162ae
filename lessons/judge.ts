/**
 * Helpers for checkers: describing a value in words ("a float32 tensor of
 * shape (5, 4)"), comparing tensors, and building verdicts with what was
 * expected and what the learner's state holds.
 * @module
 */
import { Size, Tensor, torch } from "../mod.ts";
import { formatError } from "../lib/repl/mod.ts";
import type { Ctx, Outcome, Verdict } from "./types.ts";

/** Success. */
export const PASS: Verdict = { ok: true };

/** Not yet: what was expected, what the learner has. */
export function fail(expected: string, got: string, hint?: string): Verdict {
  return hint === undefined ? { ok: false, expected, got } : { ok: false, expected, got, hint };
}

/** `(5, 4)`, as PyTorch writes a shape tuple. */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** Whether `v` is a tensor. */
export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

/** A tensor's shape as a plain array. */
export function shapeOf(t: Tensor): number[] {
  return [...t.shape];
}

/** Whether a tensor has this shape. */
export function hasShape(t: unknown, shape: readonly number[]): t is Tensor {
  return isTensor(t) && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
}

/** Whether two tensors have the same shape and (nearly) the same values. */
export function same(a: unknown, b: unknown, tol = 1e-5): boolean {
  if (!isTensor(a) || !isTensor(b)) return false;
  if (a.shape.length !== b.shape.length || !a.shape.every((d, i) => d === b.shape[i])) return false;
  return torch.no_grad(() =>
    torch.allclose(a.detach().float(), b.detach().float(), { rtol: tol, atol: tol }) as boolean
  );
}

/** Whether a value is a `torch.Size` (or array) equal to `shape`. */
export function isShape(v: unknown, shape: readonly number[]): boolean {
  return (v instanceof Size || Array.isArray(v)) && v.length === shape.length &&
    (v as unknown[]).every((d, i) => d === shape[i]);
}

/** One line for a value: its kind, shape, dtype, and its text when short. */
export function describe(v: unknown, ctx: Pick<Ctx, "L">): string {
  const L = ctx.L;
  if (v === undefined) return L("undefined(没有值)", "undefined (no value)");
  if (v === null) return "null (None)";
  if (isTensor(v)) {
    const s = shapeText(shapeOf(v));
    const dt = String(v.dtype);
    const grad = v.grad_fn
      ? `, grad_fn=<${v.grad_fn.name()}>`
      : v.requires_grad
      ? ", requires_grad=True"
      : "";
    let text = "";
    if (v.numel() <= 16) {
      try {
        text = ": " + String(v).replace(/\s*\n\s*/g, " ");
      } catch {
        text = "";
      }
    }
    return v.dim() === 0
      ? L(`0 维张量,${dt}${grad}${text}`, `a 0-d tensor, ${dt}${grad}${text}`)
      : L(`形状为 ${s} 的 ${dt} 张量${grad}${text}`, `a ${dt} tensor of shape ${s}${grad}${text}`);
  }
  if (v instanceof Size) return String(v);
  if (v instanceof Error) return formatError(v);
  if (typeof v === "function") {
    const name = (v as { name?: string }).name;
    if (/^class\b/.test(Function.prototype.toString.call(v))) {
      return L(`类 ${name || "(匿名)"}`, `the class ${name || "(anonymous)"}`);
    }
    const m = v as { _get_name?: () => string };
    if (typeof m._get_name === "function") {
      return L(`模块 ${m._get_name()}`, `a ${m._get_name()} module`);
    }
    return L(`函数 ${name || "(匿名)"}`, `a function ${name || "(anonymous)"}`);
  }
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? v.slice(0, 77) + "…" : v);
  const text = Deno.inspect(v, { depth: 2, iterableLimit: 8, breakLength: Infinity });
  return text.length > 120 ? text.slice(0, 117) + "…" : text;
}

/** The learner's variable `name`, or a verdict saying it is missing. */
export function need<T = unknown>(
  ctx: Ctx,
  name: string,
  expected: string,
): { value: T; missing?: undefined } | { missing: Verdict } {
  if (!(name in ctx.scope) || ctx.scope[name] === undefined) {
    return {
      missing: fail(
        expected,
        ctx.L(`还没有变量 \`${name}\``, `there is no variable \`${name}\` yet`),
        ctx.L(`用 \`const ${name} = …\` 定义它。`, `define it: \`const ${name} = …\``),
      ),
    };
  }
  return { value: ctx.scope[name] as T };
}

/** The values this input produced: its value, then the variables it declared or rebound. */
export function produced(ctx: Ctx): unknown[] {
  return [ctx.value, ...ctx.changed.map((n) => ctx.scope[n])];
}

/** The first produced value that passes `test`, else undefined. */
export function findProduced<T>(ctx: Ctx, test: (v: unknown) => v is T): T | undefined;
export function findProduced(ctx: Ctx, test: (v: unknown) => boolean): unknown;
export function findProduced(ctx: Ctx, test: (v: unknown) => boolean): unknown {
  return produced(ctx).find((v) => {
    try {
      return test(v);
    } catch {
      return false;
    }
  });
}

/** What the learner produced, in words, for "got:". */
export function gotText(ctx: Ctx): string {
  const vals = produced(ctx).filter((v) => v !== undefined);
  if (vals.length === 0) return describe(undefined, ctx);
  return describe(ctx.value !== undefined ? ctx.value : vals[0], ctx);
}

/** An outcome's error message ("" when it ran). */
export function errorOf(o: Outcome): string {
  return o.ok ? "" : formatError(o.error);
}

/** Whether an outcome failed with PyTorch's "backward through the graph a second time" error. */
export function isSecondBackward(o: Outcome): boolean {
  return !o.ok && /backward through the graph a second time/.test(errorOf(o));
}

/** A module's submodule of a given layer class, by name or by scanning its children. */
export function childOf(m: unknown, cls: unknown): unknown[] {
  const mod = m as { named_children?: () => Iterable<[string, unknown]> };
  if (!mod || typeof mod.named_children !== "function") return [];
  return [...mod.named_children()].map(([, c]) => c).filter((c) => c instanceof (cls as new () => unknown));
}

/** A 2-D floating gradient's L2 norm, as a number. */
export function norm(t: Tensor | null): number {
  return t === null ? 0 : (t.detach().pow(2).sum().sqrt().item() as number);
}
