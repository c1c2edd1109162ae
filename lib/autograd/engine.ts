/**
 * The backward engine: a topological walk from the roots (each node runs
 * once, after every node that feeds it a gradient), gradients summed per
 * node output, broadcast gradients reduced to their input's shape, and
 * leaves' `.grad` accumulated in place.
 * @module
 */
import { RuntimeError } from "../errors.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { gradMode } from "./grad_mode.ts";
import { AccumulateGrad, type Edge, edgeOf, type Node } from "./node.ts";
import { sumTo } from "./util.ts";

/** Options of a backward run. */
export interface RunOptions {
  retain_graph: boolean;
  create_graph: boolean;
  /** For `autograd.grad`: capture the gradient reaching these edges instead of accumulating. */
  capture?: Edge[];
}

/**
 * Runs backward from `roots` (each an edge and the gradient flowing into it).
 * @returns the captured gradients, in the order of `opts.capture`
 */
export function runBackward(roots: [Edge, Tensor][], opts: RunOptions): (Tensor | null)[] {
  const prev = gradMode.enabled;
  gradMode.enabled = opts.create_graph;
  try {
    return walk(roots, opts);
  } finally {
    gradMode.enabled = prev;
  }
}

function walk(roots: [Edge, Tensor][], opts: RunOptions): (Tensor | null)[] {
  // 1. dependencies: how many gradient contributions each node waits for
  const deps = new Map<Node, number>();
  const seen = new Set<Node>();
  const stack: Node[] = [];
  for (const [[n]] of roots) {
    if (n && !seen.has(n)) {
      seen.add(n);
      stack.push(n);
    }
  }
  while (stack.length) {
    const n = stack.pop()!;
    for (const [next] of n.next_functions) {
      if (!next) continue;
      deps.set(next, (deps.get(next) ?? 0) + 1);
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  // 2. input buffers, seeded with the root gradients
  const buffers = new Map<Node, (Tensor | null)[]>();
  const add = (node: Node, nr: number, g: Tensor) => {
    let buf = buffers.get(node);
    if (!buf) {
      buf = new Array(node._outputs).fill(null);
      buffers.set(node, buf);
    }
    buf[nr] = buf[nr] === null ? g : buf[nr]!.add(g);
  };
  for (const [[n, nr], g] of roots) if (n) add(n, nr, g);
  const captures = opts.capture ?? null;
  const captured: (Tensor | null)[] = captures ? captures.map(() => null) : [];
  // autograd.grad runs only the nodes between the roots and the inputs (as PyTorch): the
  // rest of the graph keeps its saved tensors for a later backward
  const runs = captures ? leadingTo(roots, captures) : null;
  // 3. run ready nodes, latest first (PyTorch's order)
  const ready: Node[] = [];
  for (const n of seen) if (!deps.get(n)) ready.push(n);
  while (ready.length) {
    let best = 0;
    for (let i = 1; i < ready.length; i++) if (ready[i]._seq > ready[best]._seq) best = i;
    const node = ready.splice(best, 1)[0];
    const grads = buffers.get(node) ?? new Array(node._outputs).fill(null);
    buffers.delete(node);
    runHooks(node, grads);
    if (captures) {
      captures.forEach(([cn, cnr], i) => {
        if (cn === node && grads[cnr]) captured[i] = grads[cnr];
      });
    }
    if (node instanceof AccumulateGrad) {
      if (!captures && grads[0]) accumulate(node.variable, grads[0], opts.create_graph);
    } else if (runs && !runs.has(node)) {
      continue; // not on the way to an input of autograd.grad: neither run nor freed
    } else {
      // a node that got no gradient at all passes none on
      const inputs = grads.some((g) => g !== null) ? node._apply(grads) : [];
      const post = (node as Node & { _postHooks?: ((i: (Tensor | null)[], o: (Tensor | null)[]) => void)[] })
        ._postHooks;
      if (post) { for (const h of post) h(inputs, grads); }
      node.next_functions.forEach(([next, nr], i) => {
        if (!next) return;
        let g = inputs[i] ?? null;
        const meta = node._inputs[i];
        if (g && meta) g = sumTo(g, meta.shape);
        if (g) add(next, nr, g);
        const left = deps.get(next)! - 1;
        deps.set(next, left);
        if (left === 0) ready.push(next);
      });
    }
    if (!opts.retain_graph) node._release();
  }
  return captured;
}

/** The nodes that must run for the gradients of `captures`: those with a captured node below them. */
function leadingTo(roots: [Edge, Tensor][], captures: Edge[]): Set<Node> {
  const target = new Set(captures.map(([n]) => n).filter((n) => n !== null) as Node[]);
  const leads = new Map<Node, boolean>();
  const visit = (start: Node): void => {
    // iterative post-order: a node leads to a target when one of its next nodes is or leads to one
    const stack: [Node, boolean][] = [[start, false]];
    while (stack.length) {
      const [n, done] = stack.pop()!;
      if (done) {
        leads.set(n, n.next_functions.some(([m]) => m !== null && (target.has(m) || leads.get(m) === true)));
        continue;
      }
      if (leads.has(n)) continue;
      leads.set(n, false);
      stack.push([n, true]);
      for (const [m] of n.next_functions) if (m && !leads.has(m)) stack.push([m, false]);
    }
  };
  for (const [[n]] of roots) if (n) visit(n);
  const out = new Set<Node>();
  for (const [n, lead] of leads) if (lead) out.add(n);
  return out;
}

/** Tensor hooks and retain_grad on the gradients flowing into a node's outputs. */
function runHooks(node: Node, grads: (Tensor | null)[]): void {
  if (!node._hooks) return;
  for (const [nr, hooks] of node._hooks) {
    for (const h of hooks) {
      const g = grads[nr];
      if (!g) continue;
      const r = h(g);
      if (r) grads[nr] = r;
    }
  }
}

/** `.grad += g`, in place so views of `.grad` see it (out of place under create_graph). */
export function accumulate(t: Tensor, g: Tensor, createGraph: boolean): void {
  if (t._grad === null) {
    t._grad = createGraph ? g : g.detach().clone();
  } else if (createGraph) {
    t._grad = t._grad.add(g);
  } else {
    t._grad.add_(g);
  }
}

/** The root edge of a tensor, with PyTorch's error when nothing requires grad. */
export function rootEdge(t: Tensor, i = 0): Edge {
  if (!t._requires_grad) {
    throw new RuntimeError(`element ${i} of tensors does not require grad and does not have a grad_fn`);
  }
  return edgeOf(t);
}
