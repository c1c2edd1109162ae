/**
 * torch.optim parity: replays tests/fixtures/optim.json (written by
 * gen_optim.py with real PyTorch, adjusted to 2.x where noted there) through
 * the facade — parameters after every training step, final optimizer state,
 * state_dict layout, printed form, scheduler learning rates, error messages —
 * and checks the behaviour the lessons rely on (in-place updates,
 * `zero_grad` to None, closures, state_dict round trips, engine memory).
 * Needs no PyTorch.
 */
import assert from "node:assert/strict";
import { F, nn, optim, Tensor, torch } from "../../mod.ts";
import type { Optimizer, ParamState } from "../../lib/optim/optimizer.ts";
import type { LRScheduler } from "../../lib/optim/lr_scheduler.ts";
import { TorchError } from "../../lib/errors.ts";
import { float32 } from "../../lib/tensor/dtype.ts";
import fixtureJson from "../fixtures/optim.json" with { type: "json" };

// ---- fixture types ------------------------------------------------------------------------------

interface TensorJson {
  shape: number[];
  values: number[];
}
interface Summary {
  sum: number;
  abs_sum: number;
  idx: number[];
  values: number[];
}
type Value = number | boolean | null | string | Value[] | { tensor: TensorJson } | { summary: Summary };

interface TrainingCase {
  id: string;
  optimizer: "SGD" | "Adam" | "AdamW" | "RMSprop";
  kwargs: Record<string, Value>;
  model: "mlp" | "raw" | "lenet";
  groups: Record<string, Value>[] | null;
  init: TensorJson[] | null;
  x: TensorJson | null;
  y: TensorJson | null;
  steps: { loss: number; params: (number[] | Summary)[] }[];
  state: Record<string, Record<string, Value>>;
  param_groups: Record<string, Value>[];
  repr: string;
}
interface SchedulerCase {
  id: string;
  scheduler: "StepLR" | "MultiStepLR" | "ExponentialLR" | "LambdaLR" | "CosineAnnealingLR";
  kwargs: Record<string, unknown>;
  lrs: number[][];
  group_lrs: number[];
  initial_lrs: number[];
  state: Record<string, unknown>;
}
interface ReprCase {
  id: string;
  optimizer: TrainingCase["optimizer"];
  kwargs: Record<string, unknown>;
  groups: number;
  repr: string;
}
interface ErrorCase {
  id: string;
  optimizer: TrainingCase["optimizer"];
  params: string;
  kwargs: Record<string, unknown>;
  error: string;
  message: string;
}
interface Fixture {
  torch_version: string;
  training: TrainingCase[];
  schedulers: SchedulerCase[];
  repr: ReprCase[];
  errors: ErrorCase[];
  load_errors: { id: string; error: string; message: string }[];
}

const fixture = fixtureJson as unknown as Fixture;

// ---- helpers ------------------------------------------------------------------------------------

/** Parameters: ~1e-5 relative, with an absolute floor for values near zero. */
function close(got: number, want: number, rtol = 1e-5, atol = 1e-6): boolean {
  return Math.abs(got - want) <= atol + rtol * Math.abs(want);
}

function assertValues(got: ArrayLike<number>, want: number[], where: string, rtol = 1e-5, atol = 1e-6): void {
  assert.equal(got.length, want.length, `${where}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i], want[i], rtol, atol)) {
      assert.fail(`${where}[${i}]: got ${got[i]}, PyTorch ${want[i]}`);
    }
  }
}

function assertSummary(t: Tensor, s: Summary, where: string): void {
  const v = t.data_sync();
  let sum = 0;
  let abs = 0;
  for (let i = 0; i < v.length; i++) {
    sum += v[i];
    abs += Math.abs(v[i]);
  }
  // sums of thousands of float32 values: the order of additions differs
  assert.ok(close(sum, s.sum, 1e-4, 1e-4), `${where}: sum ${sum}, PyTorch ${s.sum}`);
  assert.ok(close(abs, s.abs_sum, 1e-4, 1e-4), `${where}: abs sum ${abs}, PyTorch ${s.abs_sum}`);
  assertValues(s.idx.map((i) => v[i]), s.values, `${where} samples`, 1e-5, 2e-6);
}

function tensorOf(j: TensorJson, requires_grad = false): Tensor {
  const t = torch.tensor(j.values, { dtype: float32 }).reshape(j.shape);
  return requires_grad ? t.requires_grad_() : t;
}

class LeNet extends nn.Module {
  conv1 = nn.Conv2d(3, 6, 5);
  pool = nn.MaxPool2d(2, 2);
  conv2 = nn.Conv2d(6, 16, 5);
  fc1 = nn.Linear(16 * 5 * 5, 120);
  fc2 = nn.Linear(120, 84);
  fc3 = nn.Linear(84, 10);
  override forward(x: Tensor): Tensor {
    x = this.pool(F.relu(this.conv1(x)));
    x = this.pool(F.relu(this.conv2(x)));
    x = torch.flatten(x, 1);
    x = F.relu(this.fc1(x));
    x = F.relu(this.fc2(x));
    return this.fc3(x);
  }
}

/** The case's model: its parameters (in PyTorch's order) and its loss. */
function buildModel(c: TrainingCase): { params: Tensor[]; loss: () => Tensor } {
  if (c.model === "mlp") {
    const model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2));
    const params = [...model.parameters()];
    torch.no_grad(() => params.forEach((p, i) => p.copy_(tensorOf(c.init![i]))));
    const x = tensorOf(c.x!);
    const y = tensorOf(c.y!);
    return { params, loss: () => F.mse_loss(model(x), y) };
  }
  if (c.model === "raw") {
    const [w, b, u] = c.init!.map((j) => tensorOf(j, true));
    const x = tensorOf(c.x!);
    const y = tensorOf(c.y!);
    return {
      params: [w, b, u],
      loss: () => x.matmul(w).add(b).sub(y).pow(2).mean().add(w.abs().sum().mul(0.1)),
    };
  }
  const model = new LeNet();
  const params = [...model.parameters()];
  torch.manual_seed(3);
  torch.no_grad(() => params.forEach((p) => p.copy_(torch.rand(p.shape).sub(0.5).mul(0.2))));
  const x = torch.rand(4, 3, 32, 32);
  const labels = torch.tensor([3, 8, 0, 6]);
  const crit = nn.CrossEntropyLoss();
  return { params, loss: () => crit(model(x), labels) };
}

// deno-lint-ignore no-explicit-any
type AnyCtor = (...args: any[]) => Optimizer;

function makeOptimizer(
  name: string,
  params: Tensor[],
  kwargs: Record<string, unknown>,
  groups?: unknown,
): Optimizer {
  const ctor = (optim as unknown as Record<string, AnyCtor>)[name];
  if (groups) return ctor(groups, kwargs);
  return ctor(params, kwargs);
}

function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

function assertState(state: ParamState, want: Record<string, Value>, where: string): void {
  assert.deepEqual(Object.keys(state), Object.keys(want), `${where}: state keys`);
  for (const [k, w] of Object.entries(want)) {
    const got = state[k];
    if (w && typeof w === "object" && "tensor" in w) {
      assert.ok(got instanceof Tensor, `${where}.${k}: a tensor`);
      assert.deepEqual([...got.shape], w.tensor.shape, `${where}.${k}: shape`);
      assert.equal(got.dtype, float32, `${where}.${k}: dtype`);
      assertValues(got.data_sync(), w.tensor.values, `${where}.${k}`, 1e-4, 1e-6);
    } else if (w && typeof w === "object" && "summary" in w) {
      assertSummary(got as Tensor, w.summary, `${where}.${k}`);
    } else assert.deepEqual(got, w, `${where}.${k}`);
  }
}

// ---- training parity ----------------------------------------------------------------------------

for (const c of fixture.training) {
  Deno.test(`optim parity: ${c.id} (${c.optimizer}, ${c.model})`, () => {
    const { params, loss } = buildModel(c);
    let groups: Record<string, unknown>[] | undefined;
    if (c.groups) {
      const half = Math.floor(params.length / 2);
      groups = [
        { params: params.slice(0, half), ...c.groups[0] },
        { params: params.slice(half), ...c.groups[1] },
      ];
    }
    const opt = makeOptimizer(c.optimizer, params, c.kwargs, groups);
    const storages = params.map((p) => p._storage);
    c.steps.forEach((want, k) => {
      opt.zero_grad();
      const l = loss();
      l.backward();
      opt.step();
      assert.ok(
        close(l.item() as number, want.loss, 1e-5, 1e-6),
        `step ${k}: loss ${l.item()} vs ${want.loss}`,
      );
      params.forEach((p, i) => {
        const w = want.params[i];
        if (Array.isArray(w)) assertValues(p.data_sync(), w, `${c.id} step ${k} param ${i}`);
        else assertSummary(p, w, `${c.id} step ${k} param ${i}`);
      });
    });
    // updated in place: the same tensors, still leaves
    params.forEach((p, i) => {
      assert.equal(p._storage, storages[i], "a parameter keeps its storage");
      assert.ok(p.is_leaf && p.requires_grad && p.grad_fn === null);
    });
    const sd = opt.state_dict();
    assert.deepEqual(Object.keys(sd.state), Object.keys(c.state), `${c.id}: state entries`);
    for (const [k, want] of Object.entries(c.state)) {
      assertState(sd.state[Number(k)], want, `${c.id} state ${k}`);
    }
    assert.deepEqual(plain(sd.param_groups), c.param_groups, `${c.id}: param_groups`);
    assert.equal(String(opt), c.repr);
  });
}

// ---- schedulers ---------------------------------------------------------------------------------

// deno-lint-ignore no-explicit-any
type SchedCtor = (...args: any[]) => LRScheduler;

for (const c of fixture.schedulers) {
  Deno.test(`lr_scheduler parity: ${c.id} (${c.scheduler})`, () => {
    const w = torch.zeros(2, { requires_grad: true });
    const b = torch.zeros(2, { requires_grad: true });
    const opt = optim.SGD([{ params: [w] }, { params: [b], lr: 0.01 }], { lr: 0.1, momentum: 0.9 });
    const kw: Record<string, unknown> = { ...c.kwargs };
    if (c.scheduler === "LambdaLR") kw.lr_lambda = (epoch: number) => 0.95 ** epoch;
    const ctor = (optim.lr_scheduler as unknown as Record<string, SchedCtor>)[c.scheduler];
    const sched = ctor(opt, kw);
    const lrs = [sched.get_last_lr()];
    for (let i = 1; i < c.lrs.length; i++) {
      opt.step();
      sched.step();
      lrs.push(sched.get_last_lr());
    }
    lrs.forEach((got, i) => assertValues(got, c.lrs[i], `${c.id} epoch ${i}`, 1e-12, 1e-15));
    assertValues(opt.param_groups.map((g) => g.lr), c.group_lrs, `${c.id} group lr`, 1e-12, 1e-15);
    assert.deepEqual(opt.param_groups.map((g) => g.initial_lr), c.initial_lrs);
    const sd = sched.state_dict();
    for (const [k, v] of Object.entries(c.state)) {
      if (Array.isArray(v)) {
        assertValues(sd[k] as number[], v as number[], `${c.id} state ${k}`, 1e-12, 1e-15);
      } else assert.deepEqual(sd[k], v, `${c.id} state ${k}`);
    }
  });
}

Deno.test("lr_scheduler: state_dict keys, get_last_lr, closed form, load_state_dict", () => {
  const w = torch.zeros(1, { requires_grad: true });
  const opt = optim.SGD([w], { lr: 0.1 });
  const sched = optim.lr_scheduler.StepLR(opt, 3, { gamma: 0.5 });
  assert.deepEqual(Object.keys(sched.state_dict()), [
    "step_size",
    "gamma",
    "base_lrs",
    "last_epoch",
    "_step_count",
    "_is_initial",
    "_get_lr_called_within_step",
    "_last_lr",
  ]);
  for (let i = 0; i < 4; i++) {
    opt.step();
    sched.step();
  }
  const saved = sched.state_dict();
  const opt2 = optim.SGD([torch.zeros(1, { requires_grad: true })], { lr: 0.1 });
  const sched2 = new optim.lr_scheduler.StepLR(opt2, 7);
  sched2.load_state_dict(saved);
  assert.equal(sched2.step_size, 3);
  assert.equal(sched2.last_epoch, 4);
  assert.deepEqual(sched2.get_last_lr(), [0.05]);
  // the deprecated epoch argument uses the closed form (and warns)
  const warned = captureWarnings(() => sched.step(9));
  assert.match(warned.join("\n"), /The epoch parameter in `scheduler.step\(\)` was not necessary/);
  assert.deepEqual(sched.get_last_lr(), [0.1 * 0.5 ** 3]);
  // get_lr outside step warns
  assert.match(captureWarnings(() => sched.get_lr()).join(), /please use `get_last_lr\(\)`/);
});

Deno.test("lr_scheduler: warns when scheduler.step() comes before optimizer.step()", () => {
  const opt = optim.SGD([torch.zeros(1, { requires_grad: true })], { lr: 0.1 });
  const sched = optim.lr_scheduler.CosineAnnealingLR(opt, { T_max: 10 });
  const warned = captureWarnings(() => sched.step());
  assert.match(warned.join("\n"), /Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`/);
  const opt2 = optim.SGD([torch.zeros(1, { requires_grad: true })], { lr: 0.1 });
  const sched2 = optim.lr_scheduler.StepLR(opt2, 2);
  opt2.step();
  assert.deepEqual(captureWarnings(() => sched2.step()), []);
});

function captureWarnings(fn: () => unknown): string[] {
  const seen: string[] = [];
  const orig = console.warn;
  console.warn = (...a: unknown[]) => seen.push(a.map(String).join(" "));
  try {
    fn();
  } finally {
    console.warn = orig;
  }
  return seen;
}

// ---- printed form -------------------------------------------------------------------------------

for (const c of fixture.repr) {
  Deno.test(`optim repr: ${c.id}`, () => {
    const ps = [torch.zeros(2, { requires_grad: true }), torch.zeros(2, { requires_grad: true })];
    const groups = c.groups === 1
      ? undefined
      : [{ params: [ps[0]] }, { params: [ps[1]], lr: 0.1, momentum: 0.5 }];
    const opt = makeOptimizer(c.optimizer, ps, c.kwargs, groups);
    assert.equal(String(opt), c.repr);
    assert.equal(Deno.inspect(opt), c.repr);
  });
}

// ---- errors -------------------------------------------------------------------------------------

function assertThrowsPy(fn: () => unknown, name: string, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TorchError, `a TorchError, got ${e}`);
    assert.equal(e.name, name);
    assert.equal(e.message, message);
    return true;
  });
}

for (const c of fixture.errors) {
  Deno.test(`optim error: ${c.id}`, () => {
    const w = torch.zeros(2, { requires_grad: true });
    const params: Record<string, unknown> = {
      list: [w],
      empty: [],
      tensor: w,
      ints: [1, 2],
      non_leaf: [w.mul(2)],
      overlap: [{ params: [w] }, { params: [w] }],
    };
    const ctor = (optim as unknown as Record<string, AnyCtor>)[c.optimizer];
    assertThrowsPy(() => ctor(params[c.params], c.kwargs), c.error, c.message);
  });
}

Deno.test("optim errors: load_state_dict mismatches and scheduler arguments", () => {
  const byId = Object.fromEntries(fixture.load_errors.map((e) => [e.id, e]));
  const w = torch.zeros(2, { requires_grad: true });
  const b = torch.zeros(2, { requires_grad: true });
  const a = optim.SGD([w, b], { lr: 0.1 });
  const two = optim.SGD([{ params: [w] }, { params: [b] }], { lr: 0.1 });
  let e = byId.groups;
  assertThrowsPy(() => a.load_state_dict(two.state_dict()), e.error, e.message);
  e = byId.group_size;
  assertThrowsPy(() => a.load_state_dict(optim.SGD([w], { lr: 0.1 }).state_dict()), e.error, e.message);
  e = byId.scheduler_not_optimizer;
  assertThrowsPy(() => optim.lr_scheduler.StepLR([w] as unknown as Optimizer, 3), e.error, e.message);
  e = byId.scheduler_resume;
  assertThrowsPy(
    () => optim.lr_scheduler.StepLR(optim.SGD([w], { lr: 0.1 }), 3, { last_epoch: 4 }),
    e.error,
    e.message,
  );
});

Deno.test("optim errors: keywords, duplicates, sets, non-dict groups", () => {
  const w = torch.zeros(2, { requires_grad: true });
  assertThrowsPy(
    () => optim.SGD([w], { lr: 0.1, betas: [0.9, 0.99] }),
    "TypeError",
    "SGD.__init__() got an unexpected keyword argument 'betas'",
  );
  assertThrowsPy(
    () => optim.AdamW([w], { decoupled_weight_decay: false }),
    "TypeError",
    "AdamW.__init__() got an unexpected keyword argument 'decoupled_weight_decay'",
  );
  assertThrowsPy(
    () => optim.SGD({ params: new Set([w]) } as never),
    "TypeError",
    "'dict' object is not iterable",
  );
  assertThrowsPy(
    () => optim.SGD([{ params: new Set([w]) }]),
    "TypeError",
    "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.",
  );
  const warned = captureWarnings(() => optim.SGD([w, w], { lr: 0.1 }));
  assert.match(warned.join(), /optimizer contains a parameter group with duplicate parameters/);
  const opt = optim.SGD([w], { lr: 0.1 });
  assertThrowsPy(
    () => opt.add_param_group([w] as never),
    "TypeError",
    "param_group must be a dict, but got <class 'list'>",
  );
  assertThrowsPy(
    () => opt.add_param_group({ params: w }),
    "ValueError",
    "some parameters appear in more than one parameter group",
  );
  assertThrowsPy(
    () => optim.Adam([w], { differentiable: true }),
    "NotImplementedError",
    "differentiable=True is not supported: optimizer steps update parameters outside autograd",
  );
});

// ---- behaviour ----------------------------------------------------------------------------------

Deno.test("optim: callable with or without new, instanceof, positional options", () => {
  const w = torch.zeros(2, { requires_grad: true });
  const a = optim.SGD([w], 0.5, 0.9);
  const b = new optim.SGD([w], { lr: 0.5, momentum: 0.9 });
  assert.ok(a instanceof optim.SGD && b instanceof optim.SGD && a instanceof optim.Optimizer);
  assert.deepEqual(plain(a.param_groups[0]), plain(b.param_groups[0]));
  assert.equal(a.param_groups[0].lr, 0.5);
  assert.ok(optim.AdamW([w]) instanceof optim.Adam);
  assert.equal(optim.AdamW([w]).param_groups[0].weight_decay, 0.01);
  assert.equal(optim.Adam([w], 0.01, [0.5, 0.6]).param_groups[0].betas[1], 0.6);
  // a generator of parameters (model.parameters()) works as PyTorch's iterator does
  const model = nn.Linear(2, 2);
  assert.equal(optim.RMSprop(model.parameters()).param_groups[0].params.length, 2);
});

Deno.test("optim: zero_grad sets grads to None by default, zeros in place with set_to_none=false", () => {
  const w = torch.ones(3, { requires_grad: true });
  const opt = optim.SGD([w], { lr: 0.1 });
  w.sum().backward();
  const g = w.grad!;
  opt.zero_grad({ set_to_none: false });
  assert.equal(w.grad, g, "the same grad tensor");
  assert.deepEqual(g.tolist(), [0, 0, 0]);
  opt.zero_grad(false);
  assert.equal(w.grad, g);
  w.sum().mul(2).backward();
  assert.deepEqual(g.tolist(), [2, 2, 2], "accumulates into the zeroed tensor");
  opt.zero_grad();
  assert.equal(w.grad, null);
  // a step without grads changes nothing
  opt.step();
  assert.deepEqual(w.tolist(), [1, 1, 1]);
});

Deno.test("optim: step(closure) evaluates the closure with grad enabled and returns its loss", () => {
  const w = torch.tensor([1.0, 2.0], { requires_grad: true });
  const opt = optim.SGD([w], { lr: 0.1 });
  let loss: unknown;
  torch.no_grad(() => {
    loss = opt.step(() => {
      opt.zero_grad();
      const l = w.pow(2).sum();
      l.backward();
      return l;
    });
  });
  assert.ok(loss instanceof Tensor);
  assert.equal(loss.item(), 5);
  assertValues(w.data_sync(), [0.8, 1.6], "w");
  assert.equal(opt.step(), null);
});

Deno.test("optim: state_dict layout and load_state_dict round trip (state shared, as 2.x)", () => {
  torch.manual_seed(0);
  const model = nn.Linear(3, 2);
  const x = torch.randn(4, 3);
  const train = (opt: Optimizer, n: number) => {
    for (let i = 0; i < n; i++) {
      opt.zero_grad();
      model(x).pow(2).mean().backward();
      opt.step();
    }
  };
  const opt = optim.Adam(model.parameters(), { lr: 0.01, amsgrad: true });
  train(opt, 2);
  const sd = opt.state_dict();
  assert.deepEqual(Object.keys(sd), ["state", "param_groups"]);
  assert.deepEqual(Object.keys(sd.state), ["0", "1"]);
  assert.deepEqual(Object.keys(sd.state[0]), ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]);
  const step = sd.state[0].step as Tensor;
  assert.equal(String(step), "tensor(2.)");
  assert.equal(step.dtype, float32);
  assert.deepEqual(sd.param_groups[0].params, [0, 1]);
  assert.equal(sd.param_groups[0].lr, 0.01);

  const opt2 = optim.Adam(model.parameters(), { lr: 0.5 });
  opt2.load_state_dict(sd);
  assert.equal(opt2.param_groups[0].lr, 0.01);
  assert.equal(opt2.param_groups[0].amsgrad, true);
  assert.equal(opt2.state.get([...model.parameters()][0]).exp_avg, sd.state[0].exp_avg, "not copied (2.x)");
  // the loaded optimizer continues where the first left off: 2 + 1 steps equal 3 steps of one optimizer
  train(opt2, 1);
  torch.manual_seed(0);
  const m2 = nn.Linear(3, 2);
  const o3 = optim.Adam(m2.parameters(), { lr: 0.01, amsgrad: true });
  for (let i = 0; i < 3; i++) {
    o3.zero_grad();
    m2(x).pow(2).mean().backward();
    o3.step();
  }
  const mine = [...model.parameters()];
  [...m2.parameters()].forEach((p, i) => assertValues(mine[i].data_sync(), [...p.data_sync()], `param ${i}`));
  assert.equal(stepOf(o3, [...m2.parameters()][0]), 3);
  assert.equal(stepOf(opt2, mine[0]), 3);
});

function stepOf(opt: Optimizer, p: Tensor): number {
  return (opt.state.get(p).step as Tensor).item() as number;
}

Deno.test("optim: add_param_group, a group's own options, and SGD's state only with momentum", () => {
  const w = torch.tensor([1.0, 1.0], { requires_grad: true });
  const b = torch.tensor([1.0], { requires_grad: true });
  const opt = optim.SGD([w], { lr: 0.1 });
  opt.add_param_group({ params: b, lr: 0.5, momentum: 0.9 });
  assert.deepEqual(Object.keys(opt.param_groups[1]), [
    "params",
    "lr",
    "momentum",
    "dampening",
    "weight_decay",
    "nesterov",
    "maximize",
    "foreach",
    "differentiable",
    "fused",
  ]);
  w.sum().add(b.sum()).backward();
  opt.step();
  assertValues(w.data_sync(), [0.9, 0.9], "w");
  assertValues(b.data_sync(), [0.5], "b");
  assert.ok(!opt.state.has(w), "no state without momentum (2.x)");
  assert.ok((opt.state.get(b).momentum_buffer as Tensor) instanceof Tensor);
});

Deno.test("optim: parameters change in place under no_grad, versions bump, no graph", () => {
  const w = torch.tensor([1.0, 2.0], { requires_grad: true });
  const view = w.detach();
  const opt = optim.AdamW([w], { lr: 0.1 });
  w.pow(2).sum().backward();
  const v0 = w._version;
  opt.step();
  assert.ok(w._version > v0);
  assert.ok(w.grad_fn === null && w.is_leaf);
  assert.deepEqual(view.tolist(), w.tolist(), "views see the update");
  assert.notDeepEqual(w.tolist(), [1, 2]);
});

Deno.test("optim: a step allocates nothing that outlives it (engine memory)", () => {
  torch.manual_seed(0);
  const model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4));
  model(torch.randn(5, 8)).pow(2).sum().backward();
  for (
    const opt of [
      optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, nesterov: true, weight_decay: 0.1 }),
      optim.Adam(model.parameters(), { lr: 0.01, amsgrad: true, weight_decay: 0.1 }),
      optim.AdamW(model.parameters(), { lr: 0.01, maximize: true }),
      optim.RMSprop(model.parameters(), { lr: 0.01, momentum: 0.5, centered: true, weight_decay: 0.1 }),
    ]
  ) {
    opt.step(); // state created here
    const before = torch.memory_stats().engine_tensors;
    for (let i = 0; i < 50; i++) opt.step();
    assert.equal(torch.memory_stats().engine_tensors, before, `${opt.constructor.name}: engine tensors`);
  }
});

Deno.test("optim: Adam/RMSprop step counters are 0-d float tensors updated in place", () => {
  const w = torch.tensor([1.0], { requires_grad: true });
  const opt = optim.RMSprop([w]);
  w.sum().backward();
  opt.step();
  const step = opt.state.get(w).step as Tensor;
  opt.step();
  assert.equal(opt.state.get(w).step, step, "the same tensor");
  assert.equal(String(step), "tensor(2.)");
  // a changed counter is read back
  torch.no_grad(() => step.fill_(10));
  opt.step();
  assert.equal(step.item(), 11);
});

// ---- the lessons' exercises ---------------------------------------------------------------------

/** A small stand-in for lesson 2's resnet18: conv1 then a classifier, soft labels. */
class SmallNet extends nn.Module {
  conv1 = nn.Conv2d(3, 4, 3);
  fc = nn.Linear(4 * 6 * 6, 10);
  override forward(x: Tensor): Tensor {
    return this.fc(torch.flatten(F.relu(this.conv1(x)), 1));
  }
}

Deno.test("lesson 2 items 14-18: SGD step changes w in place, loss unchanged, zero_grad -> None", () => {
  torch.manual_seed(0);
  const model = new SmallNet();
  const data = torch.rand(1, 3, 8, 8);
  const labels = torch.rand(1, 10);
  const loss = F.cross_entropy(model(data), labels);
  loss.backward();
  const w = model.conv1.weight;
  const before = w.clone();
  const lossBefore = loss.item();
  // 14
  const optimizer = optim.SGD(model.parameters(), { lr: 1e-2, momentum: 0.9 });
  optimizer.step();
  // 15: w changed, in place (the same parameter object)
  assert.equal(model.conv1.weight, w);
  assert.ok(!torch.equal(w, before));
  assertValues(w.data_sync(), [...before.sub(w.grad!.mul(1e-2)).data_sync()], "w - lr*grad");
  // 16: nothing recomputed loss
  assert.equal(loss.item(), lossBefore);
  // 17, 18: zero_grad sets grads to None (2.x)
  optimizer.zero_grad();
  assert.equal(w.grad, null);
  F.cross_entropy(model(data), labels).backward();
  assert.ok(w.grad !== null);
  model.zero_grad();
  assert.equal(w.grad, null);
});

Deno.test("lesson 2 item 25: p.data.sub(...) learns nothing, sub_ does", () => {
  torch.manual_seed(0);
  const net = nn.Linear(3, 2);
  const lr = 0.1;
  const x = torch.randn(4, 3);
  const before = [...net.parameters()].map((p) => p.clone());
  net(x).sum().backward();
  for (const p of net.parameters()) p.data.sub(p.grad!.data.mul(lr)); // the bug: result thrown away
  [...net.parameters()].forEach((p, i) => assert.ok(torch.equal(p, before[i])));
  for (const p of net.parameters()) p.data.sub_(p.grad!.data.mul(lr));
  [...net.parameters()].forEach((p, i) => {
    assert.ok(!torch.equal(p, before[i]));
    assertValues(p.data_sync(), [...before[i].sub(p.grad!.mul(lr)).data_sync()], `param ${i}`);
  });
  // the no_grad form does the same
  const p0 = [...net.parameters()][0];
  const snap = p0.clone();
  torch.no_grad(() => p0.sub_(p0.grad!.mul(lr)));
  assertValues(p0.data_sync(), [...snap.sub(p0.grad!.mul(lr)).data_sync()], "no_grad sub_");
});

Deno.test("lesson 2 item 26: only optimizer.step() changes the weights (True True True False)", () => {
  torch.manual_seed(0);
  const net = new SmallNet();
  const criterion = nn.CrossEntropyLoss();
  const optimizer = optim.SGD(net.parameters(), { lr: 0.01 });
  const input = torch.rand(2, 3, 8, 8);
  const target = torch.tensor([1, 7]);
  const w = () => net.conv1.weight.index(0, 0, 0, 0);
  const clone = w().clone();
  const same: boolean[] = [];
  optimizer.zero_grad();
  same.push(torch.equal(w(), clone));
  const output = net(input);
  const loss = criterion(output, target);
  same.push(torch.equal(w(), clone));
  loss.backward();
  same.push(torch.equal(w(), clone));
  optimizer.step();
  same.push(torch.equal(w(), clone));
  assert.deepEqual(same, [true, true, true, false]);
});

Deno.test("lesson 3 item 3: without zero_grad the gradients accumulate across batches", () => {
  torch.manual_seed(0);
  const net = nn.Linear(3, 2);
  const x = torch.randn(4, 3);
  const optimizer = optim.SGD(net.parameters(), { lr: 0.001, momentum: 0.9 });
  net(x).sum().backward();
  const g1 = net.weight.grad!.clone();
  net(x).sum().backward();
  assertValues(net.weight.grad!.data_sync(), [...g1.mul(2).data_sync()], "accumulated");
  optimizer.zero_grad();
  net(x).sum().backward();
  assertValues(net.weight.grad!.data_sync(), [...g1.data_sync()], "fresh after zero_grad");
});
