/**
 * A training step by hand, against PyTorch's numbers (tests/fixtures/nn.json
 * "training", written by gen_nn.py): the seeded LeNet of lesson 2 and the
 * CIFAR-10 network of lesson 3, CrossEntropyLoss, backward, and plain SGD
 * written as a user does before meeting optim:
 * `torch.no_grad(() => p.sub_(p.grad.mul(lr)))`.
 */
import assert from "node:assert/strict";
import { nn, Tensor, torch } from "../../mod.ts";
import type { ModuleClass } from "../../lib/nn/module.ts";
import { close, compare, type Expected } from "./compare.ts";
import { LeNet, PoolNet } from "./helpers.ts";
import fixtureJson from "../fixtures/nn.json" with { type: "json" };

interface Step {
  loss: number;
  grad_fn: string;
  logits?: Expected;
  grads?: Record<string, Expected>;
  params_after?: Record<string, Expected>;
}

interface Training {
  model: "LeNet" | "PoolNet";
  in_ch: number;
  lr: number;
  target: number[];
  steps: Step[];
  final_loss: number;
}

const runs = (fixtureJson as unknown as { training: Training[] }).training;

/** A loss agrees with PyTorch's to float32 accumulation error. */
function sameLoss(got: number, want: number, where: string): void {
  assert.ok(close(got, want, 1), `${where}: loss ${got}, PyTorch ${want}`);
}

for (const run of runs) {
  Deno.test(`training step by hand: ${run.model} (${run.in_ch} channel${run.in_ch > 1 ? "s" : ""})`, () => {
    torch.manual_seed(0);
    const net: ModuleClass = run.model === "LeNet" ? new LeNet() : new PoolNet(run.in_ch);
    const x = torch.randn(4, run.in_ch, 32, 32);
    const t = torch.tensor(run.target);
    const criterion = nn.CrossEntropyLoss();
    run.steps.forEach((want, i) => {
      net.zero_grad();
      const logits = net(x);
      const loss = criterion(logits, t);
      assert.equal(loss.grad_fn?.name(), want.grad_fn, `step ${i}: loss.grad_fn`);
      loss.backward();
      sameLoss(loss.item() as number, want.loss, `step ${i}`);
      if (want.logits) compare(logits, want.logits, `step ${i}: logits`);
      if (want.grads) {
        for (const [name, p] of net.named_parameters()) {
          assert.ok(name in want.grads, `${name} is a parameter in PyTorch too`);
          compare(p.grad, want.grads[name], `step ${i}: ${name}.grad`);
        }
      }
      // the update only changes the weights: a clone taken before differs after, in place
      const w = (net as unknown as { fc3: { bias: Tensor } }).fc3.bias;
      const before = w.clone();
      torch.no_grad(() => {
        for (const p of net.parameters()) p.sub_(p.grad!.mul(run.lr));
      });
      assert.ok(w === (net as unknown as { fc3: { bias: Tensor } }).fc3.bias, "the parameter object is kept");
      assert.ok(!torch.equal(before, w), "sub_ changed the weights in place");
      assert.ok(w.is_leaf && w.requires_grad, "still a leaf that learns");
      if (want.params_after) {
        for (const [name, p] of net.named_parameters()) {
          compare(p, want.params_after[name], `step ${i}: ${name} after the update`);
        }
      }
    });
    const final = torch.no_grad(() => criterion(net(x), t));
    assert.equal(final.grad_fn, null, "no graph under no_grad");
    sameLoss(final.item() as number, run.final_loss, "after the last update");
    assert.ok((final.item() as number) < run.steps[0].loss, "the loss went down");
  });
}

Deno.test("training step by hand: the steps of lesson 2, item 26, in order", () => {
  torch.manual_seed(0);
  const net = new LeNet();
  const criterion = nn.CrossEntropyLoss();
  const input = torch.randn(1, 1, 32, 32);
  const target = torch.tensor([3]);
  const conv1 = (net as unknown as { conv1: { weight: Tensor } }).conv1.weight;
  const w0 = conv1.index(0, 0, 0, 0).clone();
  const same = () => torch.equal(conv1.index(0, 0, 0, 0), w0);
  net.zero_grad();
  const afterZero = same();
  const loss = criterion(net(input), target);
  const afterForward = same();
  loss.backward();
  const afterBackward = same();
  torch.no_grad(() => {
    for (const p of net.parameters()) p.sub_(p.grad!.mul(0.01));
  });
  assert.deepEqual([afterZero, afterForward, afterBackward, same()], [true, true, true, false]);
});
