/**
 * The GPU benchmark (issue 9): LeNet training and resnet18 forward+backward on the `webgpu`
 * device, to set against PyTorch CUDA on the same machine (bench/webgpu/bench.py prints the
 * same lines; bench/webgpu/summarise.py pairs them into ratios). docs/webgpu-bench.md says how
 * it runs on a lent GPU machine (bench/webgpu/run.sh, from artifacts bench/webgpu/prepare.sh
 * builds).
 *
 *   deno run -A --v8-flags=--expose-gc bench/webgpu/bench.ts [--with-cpu] [--quick] [--require-real]
 *       [--seconds S] [--rounds R] [--warmup W] [--small NxCxHxW] [--big NxCxHxW] [--only a,b]
 *       [--budget S]
 *
 * Workloads (bench/main.ts's definitions):
 * - `lenet_b64_train`: the lesson-3 CIFAR-10 LeNet, batch 64 of 3×32×32, CrossEntropyLoss,
 *   SGD(lr 0.001, momentum 0.9), zero_grad / forward / backward / step; steps/s.
 * - `resnet18_fwd_bwd_<small>`: torchvision.models.resnet18() (1000 classes), train mode,
 *   zero_grad, `model(x).sum().backward()`; ms per iteration. Small is 1×3×64×64 as in
 *   bench/main.ts, big a GPU-sized batch (32×3×224×224 by default).
 *
 * Timing: `--warmup` iterations, each awaited (they compile the shaders); then `--rounds` rounds
 * of N iterations issued back to back with one awaited read at the end (the last loss's
 * `item_async()`, then `torch.webgpu.synchronize()`), N chosen from the last warm-up so that a
 * round lasts about `--seconds`. The figure is the median round. Between rounds the event loop
 * turns after a `gc()` (run with `--v8-flags=--expose-gc`), so that dead tensors' GPU buffers
 * are released as in a program that yields; never inside a round (on webgpu, each iteration's
 * forward activations and dropped gradients stay on the GPU until then: hence `maxN`).
 *
 * Output: `ADAPTER …`, `INFO …` and one `RESULT <device> <workload> <value> <unit>` line per
 * workload and device; `--with-cpu` adds the cpu device (the single-threaded wasm engine) for
 * LeNet and the small resnet (the big batch would take minutes there: `--cpu-big` forces it).
 * `--only` takes workload names or the keys lenet, small, big; `--budget S` starts no workload
 * after S seconds (a SKIP line says so). Exits 2 when webgpu is unavailable, 3 with
 * `--require-real` on a software (fallback) adapter, 1 when a workload failed (FAIL line).
 * @module
 */
import "./bundle_env.ts"; // first: before mod.ts starts the engine
import { parseArgs } from "node:util";
import { nn, optim, type Tensor, torch, torchvision } from "../../mod.ts";
import { Net } from "../net.ts";
import type { ModuleClass } from "../../lib/nn/module.ts";
import { gpuStatus } from "../../lib/engine/webgpu.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    "with-cpu": { type: "boolean", default: false },
    "cpu-big": { type: "boolean", default: false },
    "require-real": { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    seconds: { type: "string" },
    rounds: { type: "string" },
    warmup: { type: "string" },
    small: { type: "string", default: "1x3x64x64" },
    big: { type: "string" },
    only: { type: "string" },
    budget: { type: "string", default: "0" },
  },
  strict: true,
});
const quick = flags.values.quick!;
/** Target length of one timed round, in seconds (0: one iteration per round). */
const SECONDS = Number(flags.values.seconds ?? (quick ? 0 : 2));
const ROUNDS = Number(flags.values.rounds ?? (quick ? 1 : 3));
const WARMUP = Number(flags.values.warmup ?? (quick ? 1 : 2));
const SMALL = shapeOf(flags.values.small!);
const BIG = shapeOf(flags.values.big ?? (quick ? "2x3x32x32" : "32x3x224x224"));
/** Seconds after which no further workload starts (0: no limit). */
const BUDGET = Number(flags.values.budget);
const only = flags.values.only ? new Set(flags.values.only.split(",")) : null;

function shapeOf(s: string): number[] {
  const d = s.split("x").map(Number);
  if (d.length !== 4 || d.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`a shape is NxCxHxW, e.g. 32x3x224x224 (got ${s})`);
  }
  return d;
}

// ---- workloads (bench/main.ts's) -----------------------------------------------------------------

/** One iteration; returns a scalar tensor whose read waits for the iteration's work. */
type Step = () => Tensor;

function lenetStep(device: string, batch: number): Step {
  torch.manual_seed(0);
  const net = new Net();
  net.to(device);
  const criterion = nn.CrossEntropyLoss();
  const optimizer = optim.SGD(net.parameters(), { lr: 0.001, momentum: 0.9 });
  const inputs = torch.randn(batch, 3, 32, 32).to(device);
  const labels = torch.randint(0, 10, [batch]).to(device);
  return () => {
    optimizer.zero_grad();
    const outputs = net(inputs);
    const loss = criterion(outputs, labels);
    loss.backward();
    optimizer.step();
    return loss;
  };
}

function resnetStep(device: string, shape: number[]): Step {
  torch.manual_seed(0);
  const model = torchvision.models.resnet18() as unknown as ModuleClass;
  model.to(device);
  model.train();
  const x = torch.randn(...shape).to(device);
  return () => {
    model.zero_grad();
    const s = (model(x) as Tensor).sum();
    s.backward();
    return s;
  };
}

interface Workload {
  name: string;
  unit: "steps/s" | "ms";
  /** Whether the cpu device runs it with --with-cpu. */
  cpu: boolean;
  /** The most iterations in one round (dead tensors pile up on the GPU until the loop yields). */
  maxN: number;
  make: (device: string) => Step;
}

const dims = (s: number[]) => s.join("x");
const WORKLOADS: Workload[] = [
  { name: "lenet_b64_train", unit: "steps/s", cpu: true, maxN: 2000, make: (d) => lenetStep(d, 64) },
  {
    name: `resnet18_fwd_bwd_${dims(SMALL)}`,
    unit: "ms",
    cpu: true,
    maxN: 200,
    make: (d) => resnetStep(d, SMALL),
  },
  {
    name: `resnet18_fwd_bwd_${dims(BIG)}`,
    unit: "ms",
    cpu: flags.values["cpu-big"]!,
    maxN: 10,
    make: (d) => resnetStep(d, BIG),
  },
];
const keyOf = (w: Workload) => w.name.startsWith("lenet") ? "lenet" : w === WORKLOADS[1] ? "small" : "big";

// ---- timing --------------------------------------------------------------------------------------

async function sync(device: string, t: Tensor): Promise<void> {
  await t.item_async();
  if (device === "webgpu") await torch.webgpu.synchronize();
}

/** Lets finalizers release what dead tensors hold (GPU buffers included): outside timed regions. */
async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 0));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const mb = (b: number) => (b / 2 ** 20).toFixed(0);

/** Seconds per iteration (median round), with the details printed as INFO. */
async function measure(w: Workload, device: string): Promise<number> {
  const t0 = performance.now();
  const step = w.make(device);
  const setupMs = performance.now() - t0;
  const warm: number[] = [];
  for (let i = 0; i < Math.max(1, WARMUP); i++) {
    const a = performance.now();
    await sync(device, step());
    warm.push(performance.now() - a);
  }
  await settle();
  const est = warm[warm.length - 1] / 1000;
  const n = Math.max(1, Math.min(w.maxN, Math.round(SECONDS / est)));
  const rounds: number[] = [];
  let held = 0; // GPU memory held at the end of a round (dead tensors included, before they are released)
  for (let r = 0; r < Math.max(1, ROUNDS); r++) {
    const a = performance.now();
    let last: Tensor | null = null;
    for (let i = 0; i < n; i++) last = step();
    await sync(device, last!);
    rounds.push((performance.now() - a) / 1000 / n);
    held = Math.max(held, torch.memory_stats().webgpu_bytes);
    await settle();
  }
  console.log(
    `INFO ${device} ${w.name} setup_ms=${setupMs.toFixed(0)} warmup_ms=${
      warm.map((x) => x.toFixed(1)).join(",")
    } n=${n} rounds_ms=${rounds.map((x) => (x * 1000).toFixed(3)).join(",")}` +
      (device === "webgpu" ? ` webgpu_mib_held=${mb(held)}` : ""),
  );
  return median(rounds);
}

function show(w: Workload, per: number): string {
  return w.unit === "steps/s" ? `${(1 / per).toFixed(2)} steps/s` : `${(per * 1000).toFixed(3)} ms`;
}

// ---- main ----------------------------------------------------------------------------------------

const started = performance.now();
if (!(await torch.webgpu.init())) {
  console.error(`webgpu is unavailable: ${gpuStatus()?.reason ?? "unknown reason"}`);
  console.log("ADAPTER none");
  Deno.exit(2);
}
const fallback = !torch.webgpu.is_real();
console.log(`ADAPTER name=${JSON.stringify(torch.webgpu.get_device_name())} fallback=${fallback}`);
console.log(
  `INFO deno=${Deno.version.deno} v8=${Deno.version.v8} cpu_backend=${torch.backend()} cpus=${navigator.hardwareConcurrency} ` +
    `webgpu_backend=${Deno.env.get("DENO_WEBGPU_BACKEND") ?? "auto"} ` +
    `seconds=${SECONDS} rounds=${ROUNDS} warmup=${WARMUP} gc=${
      typeof (globalThis as { gc?: unknown }).gc === "function"
    }`,
);
if (fallback && flags.values["require-real"]) {
  console.error("webgpu runs on a software (fallback) adapter, and --require-real asks for a real GPU");
  Deno.exit(3);
}

let failed = false;
const devices = flags.values["with-cpu"] ? ["webgpu", "cpu"] : ["webgpu"];
// workload by workload (both devices each), so the big batch, the least predictable, comes last
for (const w of WORKLOADS) {
  if (only && !only.has(keyOf(w)) && !only.has(w.name)) continue;
  for (const device of devices) {
    if (device === "cpu" && !w.cpu) {
      console.log(`SKIP cpu ${w.name} (minutes on the single-threaded cpu engine; --cpu-big runs it)`);
      continue;
    }
    const elapsed = (performance.now() - started) / 1000;
    if (BUDGET > 0 && elapsed > BUDGET) {
      console.log(`SKIP ${device} ${w.name} (${elapsed.toFixed(0)} s spent, over --budget ${BUDGET})`);
      continue;
    }
    try {
      const per = await measure(w, device);
      console.log(`RESULT ${device} ${w.name} ${show(w, per)}`);
    } catch (e) {
      console.log(`FAIL ${device} ${w.name} ${e instanceof Error ? `${e.name}: ${e.message}` : e}`);
      failed = true;
    }
    await settle();
  }
}
console.log(`INFO total_s=${((performance.now() - started) / 1000).toFixed(1)}`);
if (failed) Deno.exit(1);
