/**
 * The webgpu device (Deno's WebGPU under tfjs-backend-webgpu; lavapipe on machines without a
 * GPU): moving tensors and models, PyTorch's errors for mixed devices, the readback rules of
 * CONTRACT.md, training a conv net against PyTorch's numbers, and engine memory. The op,
 * gradient and nn parity suites replay on webgpu in their own files (tests/parity.ts).
 */
import assert from "node:assert/strict";
import { F, nn, optim, Tensor, torch } from "../../mod.ts";
import { webgpuSkipReason } from "../parity.ts";
import { close } from "../nn/compare.ts";
import { PoolNet } from "../nn/helpers.ts";
import fixtureJson from "../fixtures/nn.json" with { type: "json" };

const skip = await webgpuSkipReason();
if (skip) console.log(`webgpu device tests skipped: ${skip}`);
const test = (name: string, fn: () => void | Promise<void>) =>
  Deno.test({ name: `webgpu: ${name}`, ignore: skip !== null, fn });

test("to and back: values, dtype, device, and a copy each way", async () => {
  const a = torch.tensor([[1.5, -2], [3, 4]]);
  const g = a.to("webgpu");
  assert.equal(String(g.device), "webgpu:0");
  assert.equal(g.dtype, torch.float32);
  assert.deepEqual(await g.tolist_async(), [[1.5, -2], [3, 4]]);
  assert.equal(g.to("webgpu"), g, "already there: the same tensor");
  const back = await g.to_async("cpu");
  assert.equal(String(back.device), "cpu");
  assert.deepEqual(back.tolist(), [[1.5, -2], [3, 4]]);
  const l = torch.tensor([1, 2, 3]).webgpu();
  assert.equal(l.dtype, torch.int64);
  assert.deepEqual(await l.add(1).tolist_async(), [2, 3, 4]);
  const b = torch.tensor([true, false]).to("webgpu");
  assert.deepEqual(await b.logical_not().tolist_async(), [false, true]);
  assert.equal(await torch.tensor(2.5, { device: "webgpu" }).item_async(), 2.5);
});

test("synchronous reads throw the contract's errors, naming the async forms", () => {
  const g = torch.ones(2, 3, { device: "webgpu" });
  assert.throws(
    () => g.sum().item(),
    /item\(\) cannot read a tensor on webgpu:0 synchronously.*await t\.item_async\(\)/,
  );
  assert.throws(() => g.tolist(), /tolist\(\) cannot read .*await t\.tolist_async\(\)/);
  assert.throws(() => g.to("cpu"), /await t\.to_async\("cpu"\)/);
  assert.throws(() => g.cpu(), /await t\.to_async\("cpu"\)/);
  // printing outside the REPL says how to see the values, and never reads
  const text = String(g);
  assert.match(
    text,
    /^tensor\(<2x3 values on webgpu:0, not read back: .*tolist_async\(\).*device='webgpu:0'/,
  );
});

test("printing after an awaited read shows PyTorch's text, and forgets it when the data changes", async () => {
  const g = torch.tensor([1.0, 2.5], { device: "webgpu", requires_grad: true }).mul(2);
  await g._fetchForDisplay();
  assert.equal(String(g), "tensor([2., 5.], device='webgpu:0', grad_fn=<MulBackward0>)");
  const h = torch.zeros(2, { device: "webgpu" });
  await h._fetchForDisplay();
  assert.equal(String(h), "tensor([0., 0.], device='webgpu:0')");
  h.add_(1);
  assert.match(String(h), /not read back/);
});

test("mixing devices raises PyTorch's error; 0-d cpu tensors mix as in PyTorch", async () => {
  const g = torch.ones(3, { device: "webgpu" });
  assert.throws(
    () => g.add(torch.ones(3)),
    {
      message:
        "Expected all tensors to be on the same device, but found at least two devices, webgpu:0 and cpu!",
    },
  );
  assert.throws(() => torch.ones(3).mul(g), /found at least two devices, cpu and webgpu:0!/);
  assert.deepEqual(await g.mul(torch.tensor(2)).tolist_async(), [2, 2, 2]);
  assert.throws(() => torch.ones(2, { device: "webgpu:1" }), /only webgpu device is webgpu:0/);
});

test("set_default_device: factory functions and new layers follow it", () => {
  torch.set_default_device("webgpu");
  try {
    assert.equal(String(torch.zeros(2).device), "webgpu:0");
    assert.equal(String(nn.Linear(3, 2).weight.device), "webgpu:0");
    assert.equal(String(torch.get_default_device()), "webgpu:0");
  } finally {
    torch.set_default_device("cpu");
  }
  assert.equal(String(torch.zeros(2).device), "cpu");
});

test("gradients flow across a device copy (ToCopyBackward0), both ways", async () => {
  const x = torch.tensor([1.0, 2.0, 3.0], { requires_grad: true });
  const g = x.to("webgpu");
  assert.equal(g.grad_fn?.name(), "ToCopyBackward0");
  const y = await g.mul(g).sum().to_async("cpu");
  assert.equal(y.grad_fn?.name(), "ToCopyBackward0");
  const w = torch.tensor([0.5, -1.0], { device: "webgpu", requires_grad: true });
  const loss = (await w.mul(3).to_async("cpu")).sum();
  loss.backward();
  assert.deepEqual(await w.grad!.tolist_async(), [3, 3]);
  assert.equal(String(w.grad!.device), "webgpu:0");
  // a gradient from webgpu back to a cpu leaf would need a synchronous read: a clear error
  assert.throws(() => y.backward(), /to the cpu synchronously/);
});

test("model.to(webgpu) keeps the Parameter objects (optimizers stay valid); to_async brings it back", async () => {
  torch.manual_seed(0);
  const m = nn.Linear(3, 2);
  const w = m.weight;
  const before = m.weight.tolist();
  m.to("webgpu");
  assert.equal(m.weight, w);
  assert.equal(String(m.weight.device), "webgpu:0");
  assert.ok(m.weight.is_leaf && m.weight.requires_grad);
  await m.to_async("cpu");
  assert.equal(m.weight, w);
  assert.deepEqual(m.weight.tolist(), before);
});

// PyTorch's numbers for the lesson-3 network (tests/fixtures/nn.json "training"): the same
// seeded run on webgpu gives PyTorch's losses within float32 accumulation error
const runs = (fixtureJson as unknown as {
  training: {
    model: string;
    in_ch: number;
    lr: number;
    target: number[];
    steps: { loss: number }[];
    final_loss: number;
  }[];
}).training;
for (const run of runs.filter((r) => r.model === "PoolNet")) {
  test(`a conv net trains on webgpu with PyTorch's losses (${run.in_ch} channels)`, async () => {
    torch.manual_seed(0);
    const net = new PoolNet(run.in_ch);
    const x = torch.randn(4, run.in_ch, 32, 32);
    net.to("webgpu");
    const xg = x.to("webgpu");
    const t = torch.tensor(run.target).to("webgpu");
    const opt = optim.SGD(net.parameters(), { lr: run.lr });
    for (const [i, want] of run.steps.entries()) {
      opt.zero_grad();
      const loss = F.cross_entropy(net(xg), t);
      loss.backward();
      opt.step();
      const got = await loss.item_async() as number;
      assert.ok(close(got, want.loss, 1), `step ${i}: loss ${got}, PyTorch ${want.loss}`);
    }
    const final = torch.no_grad(() => F.cross_entropy(net(xg), t));
    const got = await final.item_async() as number;
    assert.ok(close(got, run.final_loss, 1), `after the last step: ${got}, PyTorch ${run.final_loss}`);
  });
}

test("engine memory: a training loop that yields keeps webgpu storages flat", async () => {
  torch.manual_seed(0);
  const net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)).to("webgpu");
  const opt = optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = torch.randn(8, 16).to("webgpu");
  const t = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3]).to("webgpu");
  const step = async () => {
    opt.zero_grad();
    const loss = F.cross_entropy(net(x), t);
    loss.backward();
    opt.step();
    await loss.item_async();
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 0));
    }
  };
  for (let i = 0; i < 20; i++) await step();
  await settle();
  const warm = torch.memory_stats().webgpu_storages;
  for (let i = 0; i < 100; i++) await step();
  await settle();
  const after = torch.memory_stats().webgpu_storages;
  assert.ok(after <= warm + 10, `webgpu storages grew from ${warm} to ${after} in 100 steps`);
});

Deno.test("webgpu: before init, using the device says how to start it", async () => {
  const script = `import { torch } from ${JSON.stringify(new URL("../../mod.ts", import.meta.url).href)};
try { torch.ones(1, { device: "webgpu" }); } catch (e) { console.log(e.message); }
try { torch.webgpu.is_available(); } catch (e) { console.log(e.message); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.match(
    text,
    /Cannot use the webgpu device as it is not started: run `await torch.webgpu.init\(\)` first/,
  );
  assert.match(text, /Cannot tell whether webgpu is available before it is started/);
});

test("a loop that piles up webgpu memory without yielding gets an out-of-memory error, not a crash", () => {
  const before = torch.memory_limits.maxWebgpuBytes;
  torch.memory_limits.maxWebgpuBytes = 64 * 1024 * 1024;
  const kept: Tensor[] = [];
  try {
    assert.throws(
      () => {
        for (let i = 0; i < 1000; i++) kept.push(torch.zeros(1024, 1024, { device: "webgpu" }));
      },
      /^RuntimeError: webgpu out of memory\. Tried to allocate 4\.00 MiB .*await loss\.item_async\(\)/,
    );
    assert.ok(kept.length >= 10 && kept.length < 17, `${kept.length} tensors of 4 MiB fit in 64 MiB`);
  } finally {
    torch.memory_limits.maxWebgpuBytes = before;
  }
});

test("one index tensor on webgpu: x[idx] with its gradient, and x[idx] = v, as on the cpu", async () => {
  const outcome = async (dev: string) => {
    torch.manual_seed(0);
    const x = torch.randn(4, 3, { device: dev, requires_grad: true });
    const y = x.index(torch.tensor([2, 0, -1, 2], { device: dev }));
    y.mul(torch.arange(12, { device: dev }).reshape(4, 3)).sum().backward();
    const z = torch.zeros(3, 4, { device: dev });
    z.index_put_([":", torch.tensor([0, -1], { device: dev })], 5);
    return [await y.tolist_async(), await x.grad!.tolist_async(), await z.tolist_async(), y.grad_fn?.name()];
  };
  assert.deepEqual(await outcome("webgpu"), await outcome("cpu"));
});
