/**
 * The fused optimizer steps on the wasm heap (lib/optim/fused.ts) against the
 * op-by-op path they replace: the same parameters and state, bit for bit,
 * over several steps of every option; in-place semantics (versions, views,
 * shared engine data); and weights updated in place are not served stale by
 * the engine's cached matmul and convolution operators.
 */
import assert from "node:assert/strict";
import { F, nn, optim, type Tensor, torch } from "../../mod.ts";
import { tf } from "../../lib/engine/backend.ts";
import { onWasm } from "../../lib/engine/kernels.ts";
import { fusedPath } from "../../lib/optim/fused.ts";
import type { Optimizer } from "../../lib/optim/optimizer.ts";

type Make = (ps: Tensor[]) => Optimizer;

const onWasmBackend = (): boolean => onWasm(torch.zeros(1)._storage.engine());

/** Runs `make`'s optimizer over fresh parameters for `steps` steps of seeded gradients. */
function trajectory(make: Make, fused: boolean, steps = 4): number[][] {
  const was = fusedPath.enabled;
  fusedPath.enabled = fused;
  try {
    torch.manual_seed(1);
    const ps = [torch.randn(7, 5), torch.randn(13), torch.randn(3, 2, 2)].map((t) => t.requires_grad_());
    // awkward values: signed zeros, a tiny and a large one
    torch.no_grad(() => {
      ps[1].index_put_(
        [torch.tensor([0, 1, 2, 3])],
        torch.tensor([0, -0, 1e-30, 1e30], { dtype: torch.float32 }),
      );
    });
    const opt = make(ps);
    for (let s = 0; s < steps; s++) {
      opt.zero_grad();
      for (const p of ps) {
        const g = torch.randn(...p._shape);
        // zero gradients hit the eps/zero corners
        if (s === 1) g.index_put_([torch.tensor([0])], torch.zeros(1));
        p.grad = g;
      }
      opt.step();
    }
    const out = ps.map((p) => Array.from(p._host()));
    for (const p of ps) {
      for (const v of Object.values(opt.state.get(p))) {
        if (v instanceof Object && "_storage" in (v as object)) out.push(Array.from((v as Tensor)._host()));
      }
    }
    return out;
  } finally {
    fusedPath.enabled = was;
  }
}

/** Bitwise equality, NaN and signed zero included. */
function sameBits(a: number[][], b: number[][], where: string): void {
  assert.equal(a.length, b.length, `${where}: tensor count`);
  for (let i = 0; i < a.length; i++) {
    const x = new Uint32Array(Float32Array.from(a[i]).buffer);
    const y = new Uint32Array(Float32Array.from(b[i]).buffer);
    assert.equal(x.length, y.length, `${where}: tensor ${i} size`);
    for (let j = 0; j < x.length; j++) {
      assert.equal(x[j], y[j], `${where}: tensor ${i}[${j}]: fused ${a[i][j]}, op by op ${b[i][j]}`);
    }
  }
}

const CASES: [string, Make][] = [
  ["SGD", (ps) => optim.SGD(ps, { lr: 0.1 })],
  ["SGD lr=0", (ps) => optim.SGD(ps, { lr: 0, momentum: 0.5 })],
  ["SGD momentum", (ps) => optim.SGD(ps, { lr: 0.01, momentum: 0.9 })],
  ["SGD momentum=1 dampening", (ps) => optim.SGD(ps, { lr: 0.05, momentum: 1, dampening: 0.3 })],
  ["SGD dampening=1", (ps) => optim.SGD(ps, { lr: 0.05, momentum: 0.7, dampening: 1 })],
  ["SGD nesterov wd", (ps) => optim.SGD(ps, { lr: 0.03, momentum: 0.9, nesterov: true, weight_decay: 0.1 })],
  ["SGD maximize wd", (ps) => optim.SGD(ps, { lr: 1, weight_decay: 1, maximize: true })],
  ["Adam", (ps) => optim.Adam(ps, { lr: 0.01 })],
  [
    "Adam amsgrad wd maximize",
    (ps) => optim.Adam(ps, { lr: 0.1, amsgrad: true, weight_decay: 0.2, maximize: true }),
  ],
  ["Adam eps=0 betas", (ps) => optim.Adam(ps, { lr: 0.01, eps: 0, betas: [0.3, 0.4] })],
  ["AdamW", (ps) => optim.AdamW(ps, { lr: 0.01 })],
  ["AdamW amsgrad", (ps) => optim.AdamW(ps, { lr: 0.5, weight_decay: 0.5, amsgrad: true })],
  ["RMSprop", (ps) => optim.RMSprop(ps, { lr: 0.01 })],
  [
    "RMSprop centered momentum wd",
    (ps) => optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.9, weight_decay: 0.1, alpha: 0.3 }),
  ],
  ["RMSprop eps=0 maximize", (ps) => optim.RMSprop(ps, { lr: 0.02, eps: 0, maximize: true, momentum: 1 })],
];

for (const [name, make] of CASES) {
  Deno.test(`fused optimizer step: ${name} matches the op-by-op path bit for bit`, () => {
    const taken = fusedPath.taken;
    const fused = trajectory(make, true);
    if (onWasmBackend()) assert.ok(fusedPath.taken > taken, "the fused path ran");
    const plain = trajectory(make, false);
    sameBits(fused, plain, name);
  });
}

Deno.test("fused optimizer step: in place (same object, version bumped, views see it)", () => {
  const w = torch.tensor([1.0, 2.0, 3.0], { requires_grad: true });
  const view = w.detach();
  const opt = optim.SGD([w], { lr: 0.5, momentum: 0.9 });
  w.pow(2).sum().backward();
  const v0 = w._version;
  opt.step();
  assert.ok(w._version > v0);
  assert.deepEqual(view.tolist(), [0, 0, 0]);
  const buf = opt.state.get(w).momentum_buffer as Tensor;
  const b0 = buf._version;
  w.grad = torch.ones(3);
  opt.step();
  assert.equal(opt.state.get(w).momentum_buffer, buf, "the same buffer");
  assert.ok(buf._version > b0);
  const f = Math.fround;
  assert.deepEqual(buf.tolist(), [2, 4, 6].map((b) => f(f(b * f(0.9)) + 1)));
});

Deno.test("fused optimizer step: engine data shared with another tensor is not written through", () => {
  const w = torch.tensor([1.0, 2.0], { requires_grad: true });
  const alias = tf.clone(w._storage.engine()); // shares the data (tfjs counts the reference)
  try {
    const opt = optim.SGD([w], { lr: 1 });
    w.grad = torch.ones(2);
    opt.step();
    assert.deepEqual(w.tolist(), [0, 1]);
    assert.deepEqual(Array.from(alias.dataSync()), [1, 2], "the other tensor keeps its values");
  } finally {
    alias.dispose();
  }
});

Deno.test("fused optimizer step: no engine tensor outlives a step", () => {
  torch.manual_seed(0);
  const model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4));
  model(torch.randn(5, 8)).pow(2).sum().backward();
  for (
    const opt of [
      optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 }),
      optim.Adam(model.parameters(), { lr: 0.01, amsgrad: true }),
      optim.RMSprop(model.parameters(), { lr: 0.01, centered: true, momentum: 0.5 }),
    ]
  ) {
    opt.step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) opt.step();
    assert.equal(tf.memory().numTensors, before, opt.constructor.name);
  }
});

/** A small conv net whose weights the engine caches packed operators for (matmul, conv). */
class Small extends nn.Module {
  conv = nn.Conv2d(2, 3, 3);
  fc = nn.Linear(3 * 4 * 4, 5);
  override forward(x: Tensor): Tensor {
    return this.fc(torch.flatten(F.relu(this.conv(x)), 1));
  }
}

function trainLosses(fused: boolean, evalEach: boolean): number[] {
  const was = fusedPath.enabled;
  fusedPath.enabled = fused;
  try {
    torch.manual_seed(3);
    const net = new Small();
    const opt = optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = torch.randn(4, 2, 6, 6);
    const y = torch.tensor([0, 1, 2, 3]);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      opt.zero_grad();
      const loss = F.cross_entropy(net(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item() as number);
      // evaluation with unchanged weights is where the engine keeps packed weights
      if (evalEach) torch.no_grad(() => losses.push(net(x).sum().item() as number));
    }
    return losses;
  } finally {
    fusedPath.enabled = was;
  }
}

/** `x @ w` with one row: the engine multiplies by `w`'s own data, caching its packed copy. */
function rowLosses(fused: boolean): number[] {
  const was = fusedPath.enabled;
  fusedPath.enabled = fused;
  try {
    torch.manual_seed(4);
    const w = torch.randn(8, 16).requires_grad_();
    const x = torch.randn(1, 8);
    const opt = optim.Adam([w], { lr: 0.1 });
    const losses: number[] = [];
    for (let i = 0; i < 4; i++) {
      opt.zero_grad();
      const loss = x.mm(w).pow(2).sum();
      loss.backward();
      opt.step();
      losses.push(loss.item() as number);
    }
    return losses;
  } finally {
    fusedPath.enabled = was;
  }
}

Deno.test("fused optimizer step: the engine's cached operators see weights updated in place", () => {
  assert.deepEqual(rowLosses(true), rowLosses(false), "x @ w");
  for (const evalEach of [false, true]) {
    const a = trainLosses(true, evalEach);
    const b = trainLosses(false, evalEach);
    assert.deepEqual(a, b, `eval between steps: ${evalEach}`);
  }
});
