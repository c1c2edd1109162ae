/**
 * The user-facing autograd calls: `t.backward()`, `torch.autograd.grad`,
 * `retain_grad`, `register_hook`, and the graph printout for learners.
 * @module
 */
import { RuntimeError, TorchTypeError } from "../errors.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { Size } from "../tensor/size.ts";
import { type Edge, edgeOf, type GradHook, type Node, retainGradHook } from "./node.ts";
import { rootEdge, runBackward } from "./engine.ts";
import { no_grad } from "./grad_mode.ts";

/** Options of `backward`. */
export interface BackwardOptions {
  retain_graph?: boolean | null;
  create_graph?: boolean;
}

function onesLike(t: Tensor): Tensor {
  return no_grad(() => t.detach().mul(0).add(1));
}

function checkGradShape(g: Tensor, t: Tensor, i: number): void {
  if (g._shape.length !== t._shape.length || g._shape.some((d, k) => d !== t._shape[k])) {
    throw new RuntimeError(
      `Mismatch in shape: grad_output[${i}] has a shape of ${
        Size.from_(g._shape)
      } and output[${i}] has a shape of ${Size.from_(t._shape)}.`,
    );
  }
}

/** `t.backward(gradient?, {retain_graph, create_graph})`. */
export function backward(
  t: Tensor,
  gradient?: Tensor | null | BackwardOptions,
  opts: BackwardOptions = {},
): void {
  if (gradient && !(gradient as Tensor)._shape && typeof gradient === "object") {
    opts = gradient as BackwardOptions;
    gradient = null;
  }
  const edge = rootEdge(t);
  let g = gradient as Tensor | null | undefined;
  if (g == null) {
    if (t.numel() !== 1) throw new RuntimeError("grad can be implicitly created only for scalar outputs");
    g = onesLike(t);
  } else checkGradShape(g, t, 0);
  const create = Boolean(opts.create_graph);
  runBackward([[edge, g]], { retain_graph: opts.retain_graph ?? create, create_graph: create });
}

/** Options of `torch.autograd.grad`. */
export interface GradOptions extends BackwardOptions {
  grad_outputs?: Tensor | (Tensor | null)[] | null;
  allow_unused?: boolean;
}

/** `torch.autograd.grad(outputs, inputs, {grad_outputs, retain_graph, create_graph, allow_unused})`. */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  opts: GradOptions = {},
): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gos = opts.grad_outputs == null
    ? outs.map(() => null)
    : Array.isArray(opts.grad_outputs)
    ? opts.grad_outputs
    : [opts.grad_outputs];
  const roots: [Edge, Tensor][] = outs.map((o, i) => {
    const e = rootEdge(o, i);
    let g = gos[i] ?? null;
    if (g === null) {
      if (o.numel() !== 1) throw new RuntimeError("grad can be implicitly created only for scalar outputs");
      g = onesLike(o);
    } else checkGradShape(g, o, i);
    return [e, g];
  });
  const capture = ins.map((x) => {
    if (!x._requires_grad) throw new RuntimeError("One of the differentiated Tensors does not require grad");
    return edgeOf(x);
  });
  const create = Boolean(opts.create_graph);
  const got = runBackward(roots, {
    retain_graph: opts.retain_graph ?? create,
    create_graph: create,
    capture,
  });
  got.forEach((g, i) => {
    if (g === null && !opts.allow_unused) {
      throw new RuntimeError(
        "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.",
      );
    }
    if (g && g._shape.length !== ins[i]._shape.length) got[i] = g.reshape(ins[i]._shape);
  });
  return got;
}

/** `t.retain_grad()`: keep `.grad` for a non-leaf after backward. */
export function retain_grad(t: Tensor): void {
  if (!t._requires_grad) throw new RuntimeError("can't retain_grad on Tensor that has requires_grad=False");
  if (t.grad_fn === null || t._retains_grad) return;
  t._retains_grad = true;
  retainGradHook(t);
}

/** `t.register_hook(fn)`: `fn(grad)` may return a replacement gradient. */
export function register_hook(t: Tensor, fn: GradHook): { remove(): void } {
  if (typeof fn !== "function") throw new TorchTypeError("register_hook expects a function");
  if (!t._requires_grad) {
    throw new RuntimeError("cannot register a hook on a tensor that doesn't require gradient");
  }
  const [node, nr] = edgeOf(t);
  const remove = (node as Node)._addHook(nr, fn);
  return { remove };
}

/**
 * The backward graph of `t` as a tree, for learners: node names, the
 * shapes they pass, and which leaves receive gradients.
 * @example
 * ```ts
 * import { torch } from "../../mod.ts";
 * const w = torch.rand(3, { requires_grad: true });
 * console.log(torch.autograd.graph(w.mul(2).sum()));
 * ```
 */
export function graph(t: Tensor): string {
  if (!t.grad_fn) {
    return t._requires_grad
      ? `leaf tensor of shape ${Size.from_(t._shape)} (gets .grad)`
      : `tensor of shape ${Size.from_(t._shape)} without a graph (requires_grad=False)`;
  }
  const lines: string[] = [];
  const seen = new Set<Node>();
  const walk = (node: Node, prefix: string, last: boolean, top: boolean) => {
    const shape = node._outputShapes[0];
    const isAcc = node._name === "AccumulateGrad";
    const v = (node as Node & { variable?: Tensor }).variable;
    const label = isAcc && v
      ? `AccumulateGrad  -> leaf ${Size.from_(v._shape)}, gets .grad`
      : `${node._name}${shape ? `  ${Size.from_(shape)}` : ""}`;
    const again = seen.has(node);
    lines.push(top ? label : `${prefix}${last ? "└─ " : "├─ "}${label}${again ? "  (shown above)" : ""}`);
    if (again) return;
    seen.add(node);
    const kids = node.next_functions.filter(([n]) => n !== null) as [Node, number][];
    const next = top ? "" : prefix + (last ? "   " : "│  ");
    kids.forEach(([n], i) => walk(n, next, i === kids.length - 1, false));
  };
  walk(t.grad_fn as Node, "", true, true);
  return lines.join("\n");
}
