/**
 * `nll_loss` / `cross_entropy` on (N, C) and (C,) inputs run as one kernel on the backend's
 * memory (engine/kernels.ts `nll`): their values and gradients against a reference computed
 * here in float32, for every reduction, class weights, ignored targets and upstream
 * gradients, and PyTorch's error for an out-of-range target.
 */
import assert from "node:assert/strict";
import { F, type Tensor, torch } from "../../mod.ts";

const f = Math.fround;

/** The loss and gradient of `nll_loss`, in the order the engine's ops compute them. */
function reference(
  x: number[][],
  t: number[],
  w: number[] | null,
  ignore: number,
  reduction: "none" | "sum" | "mean",
  up: number[],
): { loss: number[]; grad: number[][] } {
  const wi = t.map((k) => (k === ignore ? 0 : w ? f(w[k]) : 1));
  const total = wi.reduce((a, b) => a + b, 0);
  const losses = t.map((k, i) => f(x[i][k === ignore ? 0 : k] * -wi[i]));
  let loss = losses;
  if (reduction !== "none") {
    const s = losses.reduce((a, b) => f(a + b), 0);
    loss = [reduction === "sum" ? s : f(s / f(total))];
  }
  const grad = x.map((row) => row.map(() => 0));
  t.forEach((k, i) => {
    const ki = f(wi[i] === 0 ? 0 : reduction === "mean" ? -wi[i] / total : -wi[i]);
    grad[i][k === ignore ? 0 : k] = 0 + f(ki * f(up[reduction === "none" ? i : 0]));
  });
  return { loss, grad };
}

const X = [[-1.5, -0.25, -2, -3.5], [-0.5, -1.25, -4, -0.75], [-2.5, -0.125, -1, -1.5]];
const T = [1, 3, 0];

for (const reduction of ["none", "sum", "mean"] as const) {
  const weights: [string, number[] | null, number][] = [["plain", null, -100], ["weight+ignore", [
    0.5,
    2,
    1.5,
    3,
  ], 3]];
  for (const [wname, w, ignore] of weights) {
    Deno.test(`nll kernel: ${reduction}, ${wname}`, () => {
      const x = torch.tensor(X).requires_grad_();
      const loss = F.nll_loss(x, torch.tensor(T), {
        weight: w ? torch.tensor(w) : null,
        ignore_index: ignore,
        reduction,
      });
      assert.equal(loss.grad_fn?.name(), "NllLossBackward0");
      const up = reduction === "none" ? [0.5, -2, 3] : [1.5];
      loss.backward(torch.tensor(reduction === "none" ? up : up[0]));
      const want = reference(X, T, w, ignore, reduction, up);
      const got = reduction === "none" ? loss.tolist() as number[] : [loss.item() as number];
      assert.deepEqual(got, want.loss);
      assert.deepEqual((x.grad as Tensor).tolist(), want.grad);
    });
  }
}

Deno.test("nll kernel: one sample (C,) and cross_entropy's graph", () => {
  const x = torch.tensor([-1.0, -0.5, -3.0]).requires_grad_();
  const loss = F.nll_loss(x, torch.tensor(2));
  loss.backward();
  assert.equal(loss.item(), 3);
  assert.deepEqual((x.grad as Tensor).tolist(), [0, 0, -1]);
  const logits = torch.tensor([[1.0, 2.0, 0.5]]).requires_grad_();
  const ce = F.cross_entropy(logits, torch.tensor([1]));
  assert.equal(ce.grad_fn?.name(), "NllLossBackward0");
  ce.backward();
  const g = (logits.grad as Tensor).tolist() as number[][];
  assert.ok(Math.abs(g[0].reduce((a, b) => a + b, 0)) < 1e-6, "softmax minus one-hot sums to 0");
});

Deno.test("nll kernel: an out-of-range target raises PyTorch's IndexError", () => {
  const x = torch.tensor(X);
  assert.throws(() => F.nll_loss(x, torch.tensor([1, 4, 0])), /Target 4 is out of bounds\./);
  assert.throws(() => F.cross_entropy(x, torch.tensor([1, -1, 0])), /Target -1 is out of bounds\./);
});

Deno.test("cross_entropy kernel: log_softmax values and gradients as F.log_softmax's", () => {
  torch.manual_seed(5);
  const logits = torch.randn(6, 7).mul(4);
  const t = torch.tensor([0, 6, 3, 3, 1, 2]);
  const a = logits.clone().requires_grad_();
  const b = logits.clone().requires_grad_();
  const la = F.cross_entropy(a, t);
  const lb = F.nll_loss(F.log_softmax(b, 1), t);
  assert.equal(la.grad_fn?.next_functions[0][0]?.name(), "LogSoftmaxBackward0");
  la.backward();
  lb.backward();
  assert.ok(Math.abs((la.item() as number) - (lb.item() as number)) < 1e-6);
  const ga = (a.grad as Tensor).tolist() as number[][];
  const gb = (b.grad as Tensor).tolist() as number[][];
  ga.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - gb[i][j]) < 1e-6, `${i},${j}`)));
});

Deno.test("cross_entropy kernel: a differentiable backward (create_graph) still works", () => {
  const x = torch.tensor([[0.5, -1.0, 2.0], [1.0, 1.0, 0.0]]).requires_grad_();
  const loss = F.cross_entropy(x, torch.tensor([2, 0]));
  const g = torch.autograd.grad(loss, [x], { create_graph: true })[0]!;
  assert.ok(g.grad_fn !== null, "the gradient has a graph");
  const gg = torch.autograd.grad(g.pow(2).sum(), [x])[0]!;
  assert.deepEqual(gg.shape, x.shape);
  assert.ok((gg.abs().sum().item() as number) > 0);
});
