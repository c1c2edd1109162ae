// Lesson 3 on the webgpu device: how it picks the device (asked for with --device /
// DENOTORCH_LESSON_DEVICE, offered when a real GPU is there, else the cpu), and its training and
// evaluation code on webgpu: a few steps of the tutorial's LeNet on FakeData, the same losses as
// on the cpu, the model and the optimizer's state moved there and back. Without a WebGPU adapter
// (`await torch.webgpu.init()` says false) the tests that need one print why and are skipped.
import assert from "node:assert/strict";
import * as facade from "../../mod.ts";
import { type Tensor, torch } from "../../mod.ts";
import { facadeGlobals, Session } from "../../lib/repl/mod.ts";
import { LessonRunner, Scope } from "../../lessons/engine.ts";
import { ProgressStore } from "../../lessons/progress.ts";
import { LogIO } from "../../lessons/selfcheck.ts";
import { lesson3, NET } from "../../lessons/content/lesson3.ts";
import {
  chooseDevice,
  deviceDecision,
  evaluate,
  placeModel,
  report,
  train,
  type TrainDevice,
  type TrainRun,
} from "../../lessons/train.ts";
import type { RunOptions } from "../../lessons/types.ts";

const root = new URL("../../", import.meta.url).pathname;
const session = new Session({ globals: facadeGlobals(facade as unknown as Record<string, unknown>) });
const scope = new Scope();
const g = globalThis as unknown as Record<string, unknown>;

const gpu = await torch.webgpu.init();
if (!gpu) {
  let why = "";
  try {
    torch.webgpu.get_device_name();
  } catch (e) {
    why = (e as Error).message.replace(/^.*not available: /, "");
  }
  console.log(
    `tests/lessons/webgpu_test.ts: no WebGPU adapter here (${why}), so the webgpu tests are skipped`,
  );
}

function gpuTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name: `lesson 3 on webgpu: ${name}`,
    ignore: !gpu,
    fn,
    sanitizeResources: false,
    sanitizeOps: false,
  });
}

function runner(options: Partial<RunOptions>, answers: string[] = [], interactive = false) {
  const io = new LogIO(answers, interactive);
  const opts: RunOptions = { mode: "check", trainSteps: 2, data: "fake", root, ...options };
  const r = new LessonRunner(lesson3, {
    lang: "en",
    io,
    store: new ProgressStore(null),
    session,
    scope,
    options: opts,
  });
  return { r, io };
}

Deno.test("lesson 3's device: asked for, offered on a real GPU only, else the cpu", () => {
  const base = { check: false, interactive: true, available: true, real: true };
  assert.equal(deviceDecision(base), "ask");
  assert.equal(deviceDecision({ ...base, real: false }), "cpu"); // lavapipe: slower than the cpu, not offered
  assert.equal(deviceDecision({ ...base, available: false }), "cpu");
  assert.equal(deviceDecision({ ...base, interactive: false }), "cpu");
  assert.equal(deviceDecision({ ...base, check: true }), "cpu");
  assert.equal(deviceDecision({ ...base, forced: "cpu" }), "cpu");
  assert.equal(deviceDecision({ ...base, real: false, check: true, forced: "webgpu" }), "webgpu");
  assert.equal(deviceDecision({ ...base, available: false, forced: "webgpu" }), "cpu");
});

Deno.test("lesson.ts: --device and DENOTORCH_LESSON_DEVICE take cpu or webgpu", async () => {
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-net", "lesson.ts", ...args],
      cwd: root,
      env: { NO_COLOR: "1", DENOTORCH_HOME: "/nonexistent", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
  };
  const flag = await run(["3", "--device", "cuda"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stdout, /^--device expects cpu or webgpu, got 'cuda'/);
  const env = await run(["3"], { DENOTORCH_LESSON_DEVICE: "gpu" });
  assert.equal(env.code, 2);
  assert.match(env.stdout, /^DENOTORCH_LESSON_DEVICE expects cpu or webgpu, got 'gpu'/);
  assert.match((await run(["--help"])).stdout, /--device D +where lesson 3 trains: cpu, or webgpu/);
});

gpuTest("--device webgpu trains there even on a software adapter; a real GPU is offered", async () => {
  assert.equal(await chooseDevice(runner({ device: "webgpu" }).r.ctx()), "webgpu");
  assert.equal(await chooseDevice(runner({ device: "cpu" }).r.ctx()), "cpu");
  assert.equal(await chooseDevice(runner({}).r.ctx()), "cpu"); // the self-check, unless asked
  // a learner and a real GPU (stood in for here): asked, the cpu by default
  const real = torch.webgpu.is_real;
  torch.webgpu.is_real = () => true;
  try {
    for (const [answer, want] of [["y", "webgpu"], ["", "cpu"], ["n", "cpu"]] as const) {
      const { r, io } = runner({ mode: "interactive" }, [answer], true);
      assert.equal(await chooseDevice(r.ctx()), want, answer);
      assert.match(
        io.take(),
        /^This machine has a GPU \(.+\)\. Train on it \(device "webgpu"\)\? \[y\/N\] $/,
      );
    }
  } finally {
    torch.webgpu.is_real = real;
  }
});

gpuTest("the training loop and the evaluation run on webgpu, with the cpu's losses", async () => {
  const setup = `const { transforms } = torchvision
const { DataLoader } = torch.utils.data
const transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])])
const trainset = torchvision.datasets.FakeData({ size: 12, image_size: [3, 32, 32], num_classes: 10, transform })
const testset = torchvision.datasets.FakeData({ size: 6, image_size: [3, 32, 32], num_classes: 10, transform, random_offset: 50 })
const classes = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
torch.manual_seed(0)
const trainloader = DataLoader(trainset, { batch_size: 4, shuffle: true })
${NET}`;
  const { r } = runner({ device: "webgpu" });
  const fresh = async () => {
    const o = await r.run(setup);
    assert.ok(o.ok, o.text);
  };
  const ctx = r.ctx();
  const trainOn = async (device: TrainDevice): Promise<TrainRun> => {
    await fresh();
    await placeModel(ctx, device);
    const run = await train(ctx, 1, 3, device);
    assert.equal(run.error, undefined);
    return run;
  };
  const cpu = await trainOn("cpu");
  const run = await trainOn("webgpu");
  assert.equal(run.device, "webgpu:0");
  assert.equal(run.steps, 3);
  // the same seeded weights and batches: the same losses, up to float32 rounding on another engine
  run.losses.forEach((l, i) =>
    assert.ok(Math.abs(l - cpu.losses[i]) < 1e-3, `step ${i}: ${l} vs ${cpu.losses[i]}`)
  );
  const weight = () => (g.net as { conv1: { weight: Tensor } }).conv1.weight;
  const momentum =
    () => [...(g.optimizer as { state: Map<Tensor, { momentum_buffer: Tensor }> }).state.values()];
  assert.equal(weight().device.type, "webgpu");
  assert.ok(momentum().every((s) => s.momentum_buffer.device.type === "webgpu"));
  const acc = await evaluate(ctx, 6, "webgpu");
  assert.equal(acc.total, 6);
  assert.equal(acc.interrupted, false);
  assert.match(report(ctx, run, acc).join("\n"), /^Trained 3 steps in .+ on webgpu:0\.$/m);
  // back on the cpu: the learner's own cpu tensors work with net and optimizer again
  await placeModel(ctx, "cpu");
  assert.equal(weight().device.type, "cpu");
  assert.ok(momentum().every((s) => s.momentum_buffer.device.type === "cpu"));
  const after = await r.run(
    "const [images, labels] = next(iter(trainloader)); criterion(net(images), labels).backward(); optimizer.step(); net(images).shape",
  );
  assert.equal(after.text, "torch.Size([4, 10])");
});
