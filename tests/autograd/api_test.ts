/**
 * The autograd API where JavaScript differs in form from Python (so the
 * PyTorch fixtures cannot replay it): the non-leaf `.grad` warning, grad
 * modes in their callback and `using` forms, hooks' handles, the printed
 * forms of nodes, and the graph printout for learners.
 */
import assert from "node:assert/strict";
import { Tensor, torch } from "../../mod.ts";
import type { Node } from "../../lib/autograd/node.ts";
import { float32 } from "../../lib/tensor/dtype.ts";
import fixtureJson from "../fixtures/autograd.json" with { type: "json" };

const fixture = fixtureJson as unknown as { nonleaf_grad_warning: string };

function captureWarnings<T>(body: () => T): [T, string[]] {
  const seen: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => seen.push(args.map(String).join(" "));
  try {
    return [body(), seen];
  } finally {
    console.warn = warn;
  }
}

// first in this file: the warning is given once per process
Deno.test(".grad of a non-leaf is null and warns once, with PyTorch's text", () => {
  const x = torch.randn(3, { requires_grad: true });
  const y = x.mul(2);
  y.sum().backward();
  const [[g1, g2, g3], warnings] = captureWarnings(() => [y.grad, y.grad, x.mul(3).grad]);
  assert.equal(g1, null);
  assert.equal(g2, null);
  assert.equal(g3, null);
  assert.deepEqual(warnings, [fixture.nonleaf_grad_warning]);
  // no warning for leaves, retain_grad'ed tensors, or tensors outside autograd
  const z = x.mul(4);
  z.retain_grad();
  const [, quiet] = captureWarnings(() => [x.grad, z.grad, torch.ones(2).grad]);
  assert.deepEqual(quiet, []);
});

Deno.test("grad modes: callback form, `using` form, nesting, errors and promises restore the mode", async () => {
  const x = torch.randn(3, { requires_grad: true });
  assert.equal(torch.is_grad_enabled(), true);
  {
    using _ = torch.no_grad();
    assert.equal(torch.is_grad_enabled(), false);
    assert.equal(x.mul(2).requires_grad, false);
    {
      using _e = torch.enable_grad();
      assert.equal(x.mul(2).grad_fn!.name(), "MulBackward0");
    }
    assert.equal(torch.is_grad_enabled(), false);
  }
  assert.equal(torch.is_grad_enabled(), true);
  {
    using _ = torch.inference_mode();
    assert.equal(x.exp().requires_grad, false);
  }
  {
    using _ = torch.set_grad_enabled(false);
    assert.equal(torch.is_grad_enabled(), false);
  }
  assert.equal(torch.is_grad_enabled(), true);
  // an error inside the callback restores the mode
  assert.throws(() =>
    torch.no_grad(() => {
      throw new Error("boom");
    }), /boom/);
  assert.equal(torch.is_grad_enabled(), true);
  // an async body keeps the mode until it settles
  const p = torch.no_grad(async () => {
    await new Promise((r) => setTimeout(r, 1));
    return torch.is_grad_enabled();
  });
  assert.equal(await p, false);
  assert.equal(torch.is_grad_enabled(), true);
  // the autograd namespace has them too
  assert.equal(torch.autograd.no_grad(() => x.mul(2)).requires_grad, false);
  // set_grad_enabled as a plain call switches until switched back
  torch.set_grad_enabled(false);
  assert.equal(x.mul(2).requires_grad, false);
  torch.set_grad_enabled(true);
  assert.equal(x.mul(2).requires_grad, true);
});

Deno.test("nodes print as PyTorch's <Name object>; name() namespaces the C++ nodes", () => {
  const x = torch.randn(3, { requires_grad: true });
  const y = x.mul(2);
  assert.equal(String(y.grad_fn), "<MulBackward0 object>");
  assert.equal(Deno.inspect(y.grad_fn), "<MulBackward0 object>");
  const [acc] = (y.grad_fn as unknown as Node).next_functions[0];
  assert.equal(acc!.name(), "torch::autograd::AccumulateGrad");
  assert.equal(String(acc), "<AccumulateGrad object>");
  const z = x.clone();
  z.index_put_([0], 1); // z[0] = 1
  assert.equal(z.grad_fn!.name(), "torch::autograd::CopySlices");
  assert.match(String(z), /grad_fn=<CopySlices>\)$/);
  // tensors print their grad_fn, or requires_grad for leaves
  assert.match(String(y), /grad_fn=<MulBackward0>\)$/);
  assert.match(String(x), /requires_grad=True\)$/);
  assert.doesNotMatch(String(x.detach()), /requires_grad/);
});

Deno.test("next_functions walks the graph: edges, output numbers, None for inputs without grad", () => {
  const w = torch.randn(3, 2, { requires_grad: true });
  const b = torch.randn(2, { requires_grad: true });
  const x = torch.randn(4, 3);
  const out = x.matmul(w).add(b).relu().sum();
  const names: string[] = [];
  let node = out.grad_fn as unknown as Node | null;
  while (node) {
    names.push(node.name());
    node = node.next_functions.find(([n]) => n !== null)?.[0] ?? null;
  }
  assert.deepEqual(names, [
    "SumBackward0",
    "ReluBackward0",
    "AddBackward0",
    "MmBackward0",
    "torch::autograd::AccumulateGrad",
  ]);
  const mm = (out.grad_fn as unknown as Node).next_functions[0][0]!.next_functions[0][0]!
    .next_functions[0][0]!;
  assert.deepEqual(mm.next_functions.map(([n, i]) => [n?.name() ?? null, i]), [
    [null, 0],
    ["torch::autograd::AccumulateGrad", 0],
  ]);
  assert.ok((mm.next_functions[1][0] as unknown as { variable: Tensor }).variable === w);
  // one node, several outputs
  const [p, q] = w.unbind(1);
  assert.ok(p.grad_fn === q.grad_fn);
  assert.deepEqual([p._output_nr, q._output_nr], [0, 1]);
});

Deno.test("register_hook returns a handle; hooks see and may replace the gradient; node hooks", () => {
  const x = torch.ones(3, { requires_grad: true });
  const y = x.mul(2);
  const seen: number[][] = [];
  const h1 = y.register_hook((g) => {
    seen.push(g.tolist() as number[]);
  });
  const h2 = y.register_hook((g) => g.mul(10));
  y.sum().backward({ retain_graph: true });
  assert.deepEqual(seen, [[1, 1, 1]]);
  assert.deepEqual(x.grad!.tolist(), [20, 20, 20]);
  h2.remove();
  h1.remove();
  x.grad = null;
  y.sum().backward();
  assert.deepEqual(x.grad!.tolist(), [2, 2, 2]);
  assert.equal(seen.length, 1);
  // a hook on the node: (grad_inputs, grad_outputs)
  const z = x.exp();
  const calls: [number, number][] = [];
  (z.grad_fn as unknown as Node).register_hook((gi, go) => calls.push([gi.length, go.length]));
  z.sum().backward();
  assert.deepEqual(calls, [[1, 1]]);
  assert.throws(() => x.register_hook(42 as never), /register_hook expects a function/);
});

Deno.test("backward(gradient, options) overloads and torch.autograd.backward", () => {
  const x = torch.tensor([1, 2, 3], { requires_grad: true });
  const y = x.mul(x);
  y.backward(torch.ones(3), { retain_graph: true });
  y.backward(torch.ones(3)); // retained once: a second backward works
  assert.deepEqual(x.grad!.tolist(), [4, 8, 12]);
  const s = x.mul(3).sum();
  s.backward({ retain_graph: true });
  s.backward(null, { retain_graph: false });
  assert.deepEqual(x.grad!.tolist(), [10, 14, 18]);
  // torch.autograd.backward with several roots and their gradients
  x.grad = null;
  const a = x.mul(2);
  const b = x.square();
  torch.autograd.backward([a, b], [torch.ones(3), torch.tensor([1, 0, 1], { dtype: float32 })]);
  assert.deepEqual(x.grad!.tolist(), [4, 2, 8]);
});

Deno.test("torch.autograd.graph prints the backward graph as a tree for learners", () => {
  const w = torch.ones(3, 2, { requires_grad: true });
  const b = torch.zeros(2, { requires_grad: true });
  const x = torch.ones(4, 3);
  const h = x.matmul(w);
  const loss = h.add(b).relu().mul(h).sum();
  assert.equal(
    torch.autograd.graph(loss),
    [
      "SumBackward0  torch.Size([])",
      "└─ MulBackward0  torch.Size([4, 2])",
      "   ├─ ReluBackward0  torch.Size([4, 2])",
      "   │  └─ AddBackward0  torch.Size([4, 2])",
      "   │     ├─ MmBackward0  torch.Size([4, 2])",
      "   │     │  └─ AccumulateGrad  -> leaf torch.Size([3, 2]), gets .grad",
      "   │     └─ AccumulateGrad  -> leaf torch.Size([2]), gets .grad",
      "   └─ MmBackward0  torch.Size([4, 2])  (shown above)",
    ].join("\n"),
  );
  assert.equal(torch.autograd.graph(w), "leaf tensor of shape torch.Size([3, 2]) (gets .grad)");
  assert.equal(
    torch.autograd.graph(x),
    "tensor of shape torch.Size([4, 3]) without a graph (requires_grad=False)",
  );
});

Deno.test("2.x-only overloads name their nodes as 2.x does", () => {
  // squeeze(dims) with a list exists from 2.0 (squeeze.dims: SqueezeBackward2); 1.13 rejects the list
  const x = torch.randn(1, 3, 1, { requires_grad: true });
  assert.equal(x.squeeze([0, 2]).grad_fn!.name(), "SqueezeBackward2");
  assert.equal(x.squeeze(0).grad_fn!.name(), "SqueezeBackward1");
  assert.equal(x.squeeze().grad_fn!.name(), "SqueezeBackward0");
  x.squeeze([0, 2]).sum().backward();
  assert.deepEqual([...x.grad!.shape], [1, 3, 1]);
});

Deno.test("gradients keep the leaf's dtype and device; .grad is a plain tensor", () => {
  const x = torch.randn(2, 3, { requires_grad: true });
  x.sum().backward();
  assert.equal(x.grad!.dtype, float32);
  assert.equal(String(x.grad!.device), "cpu");
  assert.equal(x.grad!.requires_grad, false);
  assert.equal(x.grad!.is_leaf, true);
  assert.deepEqual([...x.grad!.shape], [2, 3]);
});
