/**
 * The backward engine: a topological walk from the roots (each node runs
 * once, after every node that feeds it a gradient), gradients summed per
 * node output, broadcast gradients reduced to their input's shape, and
 * leaves' `.grad` accumulated in place.
 * @module
 */
import { RuntimeError } from "../errors.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { made, type Storage } from "../tensor/storage.ts";
import { isContiguous, sameShape } from "../tensor/geometry.ts";
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
  let hooks = false;
  for (const [[n]] of roots) {
    if (n && !seen.has(n)) {
      seen.add(n);
      stack.push(n);
    }
  }
  while (stack.length) {
    const n = stack.pop()!;
    if (n._hooks || (n as PostHooked)._postHooks) hooks = true;
    for (const [next] of n.next_functions) {
      if (!next) continue;
      deps.set(next, (deps.get(next) ?? 0) + 1);
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  const captures = opts.capture ?? null;
  // Gradients are engine memory nobody outside backward sees, unless a hook sees them, a leaf
  // keeps one as `.grad`, autograd.grad returns them, or they become a graph (create_graph).
  // Otherwise backward frees each gradient once the nodes it was handed to have run, and the
  // intermediates a formula made but did not return as soon as it returns: a training loop
  // then leaves only what it can reach for the garbage collector.
  const freeing = !opts.create_graph && !captures && !hooks;
  const firstSerial = made.serial;
  // 2. input buffers, seeded with the root gradients; how many buffer entries hold each
  // gradient's memory, and the memory that must outlive backward
  const buffers = new Map<Node, (Tensor | null)[]>();
  const pending = new Map<Storage, number>();
  const kept = new Set<Storage>();
  const hold = (st: Storage) => pending.set(st, (pending.get(st) ?? 0) + 1);
  const drop = (st: Storage) => {
    const left = pending.get(st)! - 1;
    if (left > 0) {
      pending.set(st, left);
      return;
    }
    pending.delete(st);
    if (freeing && st.serial >= firstSerial && !kept.has(st)) st._free();
  };
  const add = (node: Node, nr: number, g: Tensor) => {
    let buf = buffers.get(node);
    if (!buf) {
      buf = new Array(node._outputs).fill(null);
      buffers.set(node, buf);
    }
    const old = buf[nr];
    if (old === null) {
      buf[nr] = g;
      hold(g._storage);
    } else {
      const sum = old.add(g);
      buf[nr] = sum;
      hold(sum._storage);
      hold(g._storage);
      drop(g._storage);
      drop(old._storage);
    }
  };
  for (const [[n, nr], g] of roots) {
    if (!n) continue;
    kept.add(g._storage); // the caller's
    add(n, nr, g);
  }
  const captured: (Tensor | null)[] = captures ? captures.map(() => null) : [];
  // autograd.grad runs only the nodes between the roots and the inputs (as PyTorch): the
  // rest of the graph keeps its saved tensors for a later backward
  const runs = captures ? leadingTo(roots, captures) : null;
  // 3. run ready nodes, latest first (PyTorch's order)
  const ready = new ReadyQueue();
  for (const n of seen) if (!deps.get(n)) ready.push(n);
  while (ready.size) {
    const node = ready.pop();
    const grads = buffers.get(node) ?? new Array(node._outputs).fill(null);
    buffers.delete(node);
    runHooks(node, grads);
    if (captures) {
      captures.forEach(([cn, cnr], i) => {
        if (cn === node && grads[cnr]) captured[i] = grads[cnr];
      });
    }
    if (node instanceof AccumulateGrad) {
      const g = grads[0];
      if (!captures && g) {
        // PyTorch's AccumulateGrad takes a gradient nobody else holds instead of copying it
        const st = g._storage;
        const alone = !hooks && !kept.has(st) && st.serial >= firstSerial && pending.get(st) === 1;
        if (accumulate(node.variable, g, opts.create_graph, alone)) kept.add(st);
      }
    } else if (runs && !runs.has(node)) {
      continue; // not on the way to an input of autograd.grad: neither run nor freed
    } else if (grads.some((g) => g !== null)) {
      const prevLog = made.log;
      const log: Storage[] | null = freeing ? (made.log = []) : null;
      let outs: (Tensor | null)[];
      try {
        const inputs = node._apply(grads);
        const post = (node as PostHooked)._postHooks;
        if (post) { for (const h of post) h(inputs, grads); }
        outs = node.next_functions.map(([next], i) => {
          const g = next ? inputs[i] ?? null : null;
          const meta = node._inputs[i];
          return g && meta ? sumTo(g, meta.shape) : g;
        });
      } finally {
        made.log = prevLog;
      }
      if (log && log.length) {
        const out = new Set<Storage>();
        for (const g of outs) if (g) out.add(g._storage);
        for (const st of log) if (!out.has(st)) st._free();
      }
      node.next_functions.forEach(([next, nr], i) => {
        if (!next) return;
        const g = outs[i];
        if (g) add(next, nr, g);
        const left = deps.get(next)! - 1;
        deps.set(next, left);
        if (left === 0) ready.push(next);
      });
    } else {
      // a node that got no gradient at all passes none on
      for (const [next] of node.next_functions) {
        if (!next) continue;
        const left = deps.get(next)! - 1;
        deps.set(next, left);
        if (left === 0) ready.push(next);
      }
    }
    for (const g of grads) if (g) drop(g._storage);
    if (!opts.retain_graph) node._release();
  }
  return captured;
}

type PostHooked = Node & { _postHooks?: ((i: (Tensor | null)[], o: (Tensor | null)[]) => void)[] };

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

/**
 * `.grad += g`, in place so views of `.grad` see it (out of place under create_graph). With
 * `mayTake`, `g` reached only this leaf and nothing else holds it: a plain tensor of the
 * leaf's shape then becomes `.grad` itself, without a copy.
 * @returns whether `g` itself is now held by the leaf
 */
export function accumulate(t: Tensor, g: Tensor, createGraph: boolean, mayTake = false): boolean {
  if (t._grad === null) {
    if (!createGraph && mayTake && plainGrad(t, g)) {
      t._grad = g._base === null ? g : g.detach(); // a view of all of its memory, in order
      return true;
    }
    t._grad = createGraph ? g : g.detach().clone();
    return createGraph;
  } else if (createGraph) {
    t._grad = t._grad.add(g);
  } else {
    t._grad.add_(g);
  }
  return false;
}

/** The root edge of a tensor, with PyTorch's error when nothing requires grad. */
export function rootEdge(t: Tensor, i = 0): Edge {
  if (!t._requires_grad) {
    throw new RuntimeError(`element ${i} of tensors does not require grad and does not have a grad_fn`);
  }
  return edgeOf(t);
}

/** A gradient that can serve as `.grad` as it is: all of its memory, contiguous, graph-free, like `t`. */
function plainGrad(t: Tensor, g: Tensor): boolean {
  return g.grad_fn === null && !g._requires_grad && g._offset === 0 &&
    g.dtype === t.dtype && g.device.type === t.device.type && g._storage.numel === g.numel() &&
    sameShape(g._shape, t._shape) && isContiguous(g._shape, g._strides);
}

/** Nodes ready to run, latest first (`_seq`), ties in the order they became ready: a binary heap. */
class ReadyQueue {
  #nodes: Node[] = [];
  #order: number[] = [];
  #count = 0;
  get size(): number {
    return this.#nodes.length;
  }
  #before(i: number, j: number): boolean {
    const a = this.#nodes[i]._seq;
    const b = this.#nodes[j]._seq;
    return a > b || (a === b && this.#order[i] < this.#order[j]);
  }
  #swap(i: number, j: number): void {
    const n = this.#nodes;
    const o = this.#order;
    [n[i], n[j]] = [n[j], n[i]];
    [o[i], o[j]] = [o[j], o[i]];
  }
  push(node: Node): void {
    this.#nodes.push(node);
    this.#order.push(this.#count++);
    let i = this.#nodes.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#before(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }
  pop(): Node {
    const top = this.#nodes[0];
    const last = this.#nodes.length - 1;
    this.#swap(0, last);
    this.#nodes.pop();
    this.#order.pop();
    let i = 0;
    const n = this.#nodes.length;
    while (true) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#before(l, m)) m = l;
      if (r < n && this.#before(r, m)) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
    return top;
  }
}
