/**
 * The graph autograd records: one `Node` per differentiable op, named as
 * PyTorch names it (`MulBackward0`), with `next_functions` edges to the
 * nodes that made its inputs (or to a leaf's `AccumulateGrad`), and the
 * tensors its backward needs, saved with their version so an in-place change
 * is caught.
 * @module
 */
import { RuntimeError } from "../errors.ts";
import type { dtype } from "../tensor/dtype.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { gradMode } from "./grad_mode.ts";

/** An edge to the node that receives a gradient, and which of its outputs it is. */
export type Edge = [Node | null, number];

/** Gradients of a node's outputs in, gradients of its inputs out. */
export type BackwardFn = (grads: (Tensor | null)[], saved: Tensor[], needs: boolean[]) => (Tensor | null)[];

/** What a node remembers of an input, to shape its gradient. */
export interface InputMeta {
  shape: number[];
  dtype: dtype;
}

let sequence = 0;

/** Nodes that are hand-written C++ classes in PyTorch (their `name()` is namespaced). */
const CPP_NODES = new Set(["AccumulateGrad", "CopySlices", "CopyBackwards"]);

/** A hook on the gradient flowing into a node output (tensor hooks, retain_grad). */
export type GradHook = (grad: Tensor) => Tensor | void | undefined;

/** A saved tensor and the version it had when saved. */
class SavedTensor {
  readonly version: number;
  /**
   * For a saved output of the node: that node's name and the output index
   * (PyTorch names the node that made it even after later in-place ops).
   */
  readonly maker: [string, number] | null;
  constructor(readonly tensor: Tensor, isOutput: boolean, maker?: [string, number]) {
    this.version = tensor._version;
    this.maker = maker ?? (isOutput && tensor.grad_fn ? [tensor.grad_fn.name(), tensor._output_nr] : null);
  }
  unpack(): Tensor {
    const t = this.tensor;
    if (t._version !== this.version) {
      const what = `[${legacyType(t)} [${t._shape.join(", ")}]]`;
      // a saved input is named by the node that made its current value
      const maker = this.maker ?? (t.grad_fn ? [t.grad_fn.name(), t._output_nr] : null);
      const made = maker ? `, which is output ${maker[1]} of ${maker[0]},` : "";
      throw new RuntimeError(
        `one of the variables needed for gradient computation has been modified by an inplace operation: ${what}${made} is at version ${t._version}; expected version ${this.version} instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).`,
      );
    }
    return t;
  }
}

function legacyType(t: Tensor): string {
  const names: Record<string, string> = {
    float32: "torch.FloatTensor",
    int64: "torch.LongTensor",
    int32: "torch.IntTensor",
    bool: "torch.BoolTensor",
  };
  return names[t.dtype.name] ?? String(t.dtype);
}

/** A backward node (`grad_fn`). */
export class Node {
  /** Creation order: the engine runs later nodes first, as PyTorch does. */
  readonly _seq: number;
  /** Edges to the nodes that made each input (null where no gradient flows). */
  next_functions: Edge[] = [];
  /** Shapes and dtypes of the inputs. */
  _inputs: (InputMeta | null)[] = [];
  /** Saved tensors; null once freed by a backward without retain_graph. */
  _saved: SavedTensor[] | null = null;
  _savesSomething = false;
  /** Hooks per output index (tensor hooks and retain_grad). */
  _hooks: Map<number, GradHook[]> | null = null;
  _outputs = 1;
  /** Shapes of the outputs (zeros stand in for outputs that got no gradient). */
  _outputShapes: number[][] = [];

  constructor(readonly _name: string, readonly _backward: BackwardFn | null) {
    this._seq = sequence++;
  }

  /**
   * PyTorch's node name, e.g. `MulBackward0`; the nodes PyTorch writes in C++
   * by hand carry their namespace (`torch::autograd::AccumulateGrad`), as
   * PyTorch's `name()` shows them. The printed forms use the short name.
   */
  name(): string {
    return CPP_NODES.has(this._name) ? `torch::autograd::${this._name}` : this._name;
  }

  /** `<MulBackward0 object>` */
  toString(): string {
    return `<${this._name} object>`;
  }

  /** Deno's console shows PyTorch's text. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** Saves tensors for backward (remembering their versions); `outputs` are the node's own results. */
  _save(tensors: Tensor[], outputs: readonly (Tensor | null)[] = []): void {
    if (tensors.length) {
      this._saved = tensors.map((t) => new SavedTensor(t, outputs.includes(t)));
      this._savesSomething = true;
    }
  }

  /**
   * After an in-place op wrote `result` into `self` and rebased `self` onto
   * this node: the saved result is `self` now (same storage and version
   * counter), so a later in-place change of `self` is caught, as in PyTorch.
   */
  _resaveAs(result: Tensor, self: Tensor): void {
    if (!this._saved) return;
    const maker: [string, number] = [this.name(), result._output_nr];
    this._saved = this._saved.map((s) => (s.tensor === result ? new SavedTensor(self, true, maker) : s));
  }

  /** Unpacks the saved tensors, with PyTorch's errors when freed or modified. */
  _unpack(): Tensor[] {
    if (!this._savesSomething) return [];
    if (this._saved === null) {
      throw new RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.",
      );
    }
    return this._saved.map((s) => s.unpack());
  }

  /** Frees the saved tensors (after a backward without retain_graph). */
  _release(): void {
    if (this._saved) this._saved = null;
  }

  /** Adds a hook on the gradient of output `nr`. */
  _addHook(nr: number, hook: GradHook): () => void {
    this._hooks ??= new Map();
    const list = this._hooks.get(nr) ?? [];
    list.push(hook);
    this._hooks.set(nr, list);
    return () => {
      const i = list.indexOf(hook);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Runs the backward formula. */
  _apply(grads: (Tensor | null)[]): (Tensor | null)[] {
    const saved = this._unpack();
    const needs = this.next_functions.map((e) => e[0] !== null);
    return this._backward ? this._backward(grads, saved, needs) : [];
  }

  /** PyTorch's `register_hook` on a node: called with (grad_inputs, grad_outputs). */
  register_hook(
    fn: (gradInputs: (Tensor | null)[], gradOutputs: (Tensor | null)[]) => void,
  ): { remove(): void } {
    const self = this as Node & { _postHooks?: typeof fn[] };
    (self._postHooks ??= []).push(fn);
    return {
      remove() {
        const l = self._postHooks!;
        l.splice(l.indexOf(fn), 1);
      },
    };
  }
}

/** The node that accumulates a leaf's gradient into `.grad`. */
export class AccumulateGrad extends Node {
  constructor(readonly variable: Tensor) {
    super("AccumulateGrad", null);
    // accumulation runs as soon as it is ready, as in PyTorch
    (this as { _seq: number })._seq = Number.MAX_SAFE_INTEGER;
  }
}

/** Whether an op on these operands must record the graph. */
export function needsGrad(a: unknown, b?: unknown, c?: unknown): boolean {
  if (!gradMode.enabled) return false;
  return isReq(a) || isReq(b) || isReq(c);
}

/** Same as `needsGrad` for a list of operands. */
export function anyNeedsGrad(xs: readonly unknown[]): boolean {
  if (!gradMode.enabled) return false;
  for (const x of xs) if (isReq(x)) return true;
  return false;
}

function isReq(x: unknown): boolean {
  return x !== null && typeof x === "object" && (x as { _requires_grad?: boolean })._requires_grad === true;
}

/** The edge a gradient for `t` flows into. */
export function edgeOf(t: Tensor): Edge {
  if (t.grad_fn) return [t.grad_fn as Node, t._output_nr];
  // a view made under no_grad of a tensor that requires grad: no gradient flows through it
  if (t._noGradView) return [null, 0];
  if (t._requires_grad) return [accumulatorOf(t), 0];
  return [null, 0];
}

/** The leaf's AccumulateGrad node (one per leaf). */
export function accumulatorOf(t: Tensor): AccumulateGrad {
  return (t._accumulator ??= new AccumulateGrad(t)) as AccumulateGrad;
}

/**
 * Records a node for an op: `inputs` are the op's operands (tensors or
 * plain values), `outputs` the tensors it made, `save` what backward needs.
 */
export function record(
  name: string,
  inputs: readonly unknown[],
  outputs: Tensor | (Tensor | null)[],
  backward: BackwardFn,
  save: Tensor[] = [],
): Node {
  const node = new Node(name, backward);
  const n = inputs.length;
  node.next_functions = new Array(n);
  node._inputs = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = inputs[i] as Tensor;
    if (isReq(x)) {
      node.next_functions[i] = edgeOf(x);
      node._inputs[i] = { shape: x._shape.slice(), dtype: x.dtype };
    } else {
      node.next_functions[i] = [null, 0];
      node._inputs[i] = null;
    }
  }
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  node._outputs = outs.length;
  node._outputShapes = outs.map((o) => (o ? o._shape.slice() : []));
  outs.forEach((o, i) => {
    if (o && o.dtype.is_floating_point) {
      o.grad_fn = node;
      o._output_nr = i;
      o._requires_grad = true;
    }
  });
  // saved after the outputs point at the node, so an error can name it
  node._save(save, outs);
  return node;
}

const retained = new WeakMap<Tensor, () => void>();

/** `retain_grad()`'s hook: keeps `.grad` of a non-leaf, accumulating like a leaf's. */
export function retainGradHook(t: Tensor): void {
  const node = t.grad_fn as Node;
  const remove = node._addHook(t._output_nr, (g) => {
    t._grad = t._grad === null ? g.detach().clone() : t._grad.add(g.detach());
  });
  retained.set(t, remove);
}

/** After an in-place op rebased `t`: its `.grad` follows the new value (PyTorch's retains_grad semantics). */
export function moveRetainGrad(t: Tensor): void {
  const remove = retained.get(t);
  if (!remove || !t.grad_fn) return;
  remove();
  retainGradHook(t);
}
