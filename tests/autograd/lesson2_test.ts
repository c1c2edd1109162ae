/**
 * Lesson 2 of EXERCISES.md, the autograd items (13 and 19–26), under
 * PyTorch 2.x semantics. nn lands elsewhere, so the model is a stand-in made
 * of tensor ops: `model(x) = tanh(flatten(x) @ w1) @ w2`, and the loss a
 * soft-label cross-entropy written out (−Σ labels·log_softmax(preds) / batch).
 * `zero_grad()` is PyTorch 2.x's default (`set_to_none=True`): `w.grad = null`.
 */
import assert from "node:assert/strict";
import { Tensor, torch } from "../../mod.ts";

const SECOND_BACKWARD =
  "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";

interface Model {
  (x: Tensor): Tensor;
  w1: Tensor;
  w2: Tensor;
  parameters(): Tensor[];
  zero_grad(): void;
}

function makeModel(): Model {
  torch.manual_seed(0);
  const w1 = torch.randn(48, 6).mul(0.2).requires_grad_();
  const w2 = torch.randn(6, 10).mul(0.5).requires_grad_();
  const model = ((x: Tensor) => x.flatten(1).matmul(w1).tanh().matmul(w2)) as Model;
  model.w1 = w1;
  model.w2 = w2;
  model.parameters = () => [w1, w2];
  // PyTorch 2.x: zero_grad(set_to_none=True)
  model.zero_grad = () => {
    for (const p of model.parameters()) p.grad = null;
  };
  return model;
}

/** Cross-entropy with probability targets, mean over the batch. */
function crossEntropy(preds: Tensor, labels: Tensor): Tensor {
  const logp = preds.sub(preds.exp().sum(1, true).log());
  return labels.mul(logp).sum().neg().div(preds.size(0));
}

const data = () => torch.rand(1, 3, 4, 4);
const labels = () => torch.rand(1, 10);

function assertClose(got: Tensor, want: Tensor, what: string): void {
  assert.deepEqual([...got.shape], [...want.shape], `${what}: shape`);
  const g = got.flatten().tolist() as number[];
  const w = want.flatten().tolist() as number[];
  g.forEach((v, i) =>
    assert.ok(Math.abs(v - w[i]) <= 1e-5 + 1e-4 * Math.abs(w[i]), `${what}[${i}]: ${v} vs ${w[i]}`)
  );
}

/** The gradient of one loss alone, on a fresh copy of the weights. */
function gradOf(model: Model, lossOf: (m: Model) => Tensor): Tensor {
  const saved = model.parameters().map((p) => p.grad);
  model.zero_grad();
  lossOf(model).backward();
  const g = model.w1.grad!.clone();
  model.w1.grad = saved[0];
  model.w2.grad = saved[1];
  return g;
}

Deno.test("lesson 2 items 1–12: forward, loss, backward, what changes", () => {
  const model = makeModel();
  const x = data();
  const y = labels();
  const preds = model(x);
  assert.deepEqual([...preds.shape], [1, 10]);
  const w = model.w1;
  assert.equal(w.requires_grad, true);
  assert.equal(w.grad, null); // 4: no backward yet
  const loss = crossEntropy(preds, y);
  assert.equal(loss.grad_fn!.name(), "DivBackward0"); // the stand-in divides by the batch size
  const before = w.clone();
  loss.backward();
  assert.ok(torch.equal(w, before), "8: backward does not change the weight");
  const grad = w.grad as Tensor | null; // (read again: backward filled it)
  assert.ok(grad instanceof Tensor, "9: w.grad is a tensor now");
  assert.deepEqual([...grad.shape], [48, 6]);
  const warn = console.warn;
  console.warn = () => {};
  try {
    assert.equal(loss.grad, null, "10: a non-leaf has no .grad");
  } finally {
    console.warn = warn;
  }
  assert.equal(loss.requires_grad, true); // 11
  assert.equal(y.requires_grad, false); // 12
});

Deno.test("lesson 2 item 13: a second backward raises PyTorch's error", () => {
  const model = makeModel();
  const loss = crossEntropy(model(data()), labels());
  loss.backward();
  assert.throws(() => loss.backward(), (e: Error) => {
    assert.equal(e.name, "RuntimeError");
    assert.equal(e.message, SECOND_BACKWARD);
    return true;
  });
});

Deno.test("lesson 2 items 14–18: a step changes the weight in place; zero_grad sets grads to None (2.x)", () => {
  const model = makeModel();
  const loss = crossEntropy(model(data()), labels());
  loss.backward();
  const w = model.w1;
  const wBefore = w.clone();
  const lossBefore = loss.item();
  // SGD(lr=1e-2) without momentum's first step: w -= lr * grad, in place
  torch.no_grad(() => {
    for (const p of model.parameters()) p.sub_(p.grad!.mul(1e-2));
  });
  assert.ok(model.w1 === w, "15: the same tensor object");
  assert.ok(!torch.equal(w, wBefore), "15: its values changed");
  assert.ok(torch.allclose(w, wBefore.sub(w.grad!.mul(1e-2))));
  assert.equal(w.is_leaf, true);
  assert.equal(loss.item(), lossBefore, "16: nothing recomputed the loss");
  model.zero_grad();
  assert.equal(w.grad, null, "18: None in 2.x");
});

Deno.test("lesson 2 item 19: two inputs, two forward passes, two backwards: runs (two graphs)", () => {
  const model = makeModel();
  const y = labels();
  const l1 = () => crossEntropy(model(torch.zeros(1, 3, 4, 4)), y);
  const l2 = () => crossEntropy(model(torch.ones(1, 3, 4, 4)), y);
  const g1 = gradOf(model, l1);
  const g2 = gradOf(model, l2);
  const loss1 = l1();
  const loss2 = l2();
  loss1.backward();
  loss2.backward();
  assertClose(model.w1.grad!, g1.add(g2), "w1.grad accumulates both");
});

Deno.test("lesson 2 item 20: the same input twice still builds two graphs: runs", () => {
  const model = makeModel();
  const x = data();
  const y = labels();
  const g = gradOf(model, (m) => crossEntropy(m(x), y));
  const loss1 = crossEntropy(model(x), y);
  const loss2 = crossEntropy(model(x), y);
  loss1.backward();
  loss2.backward();
  assertClose(model.w1.grad!, g.mul(2), "twice the gradient");
});

Deno.test("lesson 2 item 21: two losses from one forward pass: the second backward fails", () => {
  const model = makeModel();
  const preds = model(data());
  const loss1 = crossEntropy(preds, labels());
  const loss2 = crossEntropy(preds, labels());
  loss1.backward();
  assert.throws(() => loss2.backward(), { name: "RuntimeError", message: SECOND_BACKWARD });
});

Deno.test("lesson 2 item 22: retain_graph=True on the first backward fixes it", () => {
  const model = makeModel();
  const x = data();
  const y1 = labels();
  const y2 = labels();
  const g = gradOf(model, (m) => {
    const p = m(x);
    return crossEntropy(p, y1).add(crossEntropy(p, y2));
  });
  const preds = model(x);
  const loss1 = crossEntropy(preds, y1);
  const loss2 = crossEntropy(preds, y2);
  loss1.backward({ retain_graph: true });
  loss2.backward();
  assertClose(model.w1.grad!, g, "both losses' gradients");
});

Deno.test("lesson 2 item 23: gradients accumulate in place, so a view of .grad sees them; zero_grad rebinds", () => {
  const model = makeModel();
  const loss = crossEntropy(model(data()), labels());
  loss.backward({ retain_graph: true });
  const g = model.w1.grad![0][0]; // a view of .grad
  const a = g.item() as number;
  loss.backward();
  const b = g.item() as number;
  model.zero_grad();
  const c = g.item() as number;
  // print(b // a, c)
  assert.equal(Math.floor(b / a), 2, "b // a == 2.0: the view saw the in-place accumulation");
  assert.equal(c, b, "2.x: zero_grad sets .grad to None, the old tensor keeps its values");
  assert.equal(model.w1.grad, null);
});

Deno.test("lesson 2 item 24: without .item(): a, b are views of the same .grad; after zero_grad .grad is None", () => {
  const model = makeModel();
  const loss = crossEntropy(model(data()), labels());
  loss.backward({ retain_graph: true });
  const a = model.w1.grad![0][0];
  const first = a.item() as number;
  loss.backward();
  const b = model.w1.grad![0][0];
  model.zero_grad();
  // 2.x: c = model.conv1.weight.grad[0][0][0][0] fails: .grad is None (in JS, reading 0 of null)
  assert.throws(() => (model.w1.grad as unknown as Tensor[])[0], TypeError);
  // a and b share the old .grad's memory: both show the accumulated value
  assert.equal(a.item(), b.item());
  assert.equal(b.item(), 2 * first);
  assert.ok(a._shares_storage(b));
});

Deno.test("lesson 2 item 25: p.data.sub(...) is not in place: nothing learns; sub_ does", () => {
  const model = makeModel();
  crossEntropy(model(data()), labels()).backward();
  const lr = 0.1;
  const before = model.parameters().map((p) => p.clone());
  for (const p of model.parameters()) p.data.sub(p.grad!.data.mul(lr)); // the bug: result thrown away
  model.parameters().forEach((p, i) => assert.ok(torch.equal(p, before[i]), "unchanged"));
  for (const p of model.parameters()) p.data.sub_(p.grad!.data.mul(lr)); // the fix
  model.parameters().forEach((p, i) => {
    assert.ok(!torch.equal(p, before[i]), "changed");
    assert.ok(torch.allclose(p, before[i].sub(p.grad!.mul(lr))));
    assert.equal(p.is_leaf, true);
  });
  // the other fix: under no_grad, sub_ on the parameter itself
  const again = model.parameters().map((p) => p.clone());
  torch.no_grad(() => {
    for (const p of model.parameters()) p.sub_(p.grad!.mul(lr));
  });
  model.parameters().forEach((p, i) => assert.ok(!torch.equal(p, again[i])));
  // and without no_grad PyTorch refuses
  assert.throws(() => model.w1.sub_(model.w1.grad!.mul(lr)), {
    message: "a leaf Variable that requires grad is being used in an in-place operation.",
  });
});

Deno.test("lesson 2 item 26: zero_grad, forward, loss, backward, step: only step changes the weights", () => {
  const model = makeModel();
  const x = data();
  const y = labels();
  const w = model.w1;
  const before = w[0][0].clone();
  const same = () => torch.equal(w[0][0], before);
  const seen: boolean[] = [];
  model.zero_grad();
  seen.push(same());
  const output = model(x);
  const loss = crossEntropy(output, y);
  seen.push(same());
  loss.backward();
  seen.push(same());
  torch.no_grad(() => {
    for (const p of model.parameters()) p.sub_(p.grad!.mul(0.01)); // optimizer.step()
  });
  seen.push(same());
  assert.deepEqual(seen, [true, true, true, false]);
  // the recommended loop, a few steps with fresh grads each time: the loss goes down
  const losses: number[] = [];
  for (let step = 0; step < 5; step++) {
    model.zero_grad();
    const l = crossEntropy(model(x), y);
    l.backward();
    torch.no_grad(() => {
      for (const p of model.parameters()) p.sub_(p.grad!.mul(0.02));
    });
    losses.push(l.item() as number);
  }
  losses.slice(1).forEach((l, i) => assert.ok(l < losses[i], `the loss decreases: ${losses}`));
});
