/**
 * Lesson 3's machinery: where CIFAR-10 comes from (already in `data/`, a
 * download, a local archive the learner names, or FakeData), and the
 * tutorial's training loop and per-class evaluation, run on the learner's
 * own `net`, `criterion`, `optimizer` and loaders with a live progress bar
 * and a loss curve. Everything goes through the facade and the lesson's IO.
 *
 * The device: the cpu, or webgpu when `--device webgpu` / `DENOTORCH_LESSON_DEVICE=webgpu`
 * asks for it, or when a real GPU is there and the learner chooses it. On webgpu the loop
 * is the tutorial's "Training on GPU": the model moved with `net.to(device)`, each batch
 * with `.to(device)`, and every value read asynchronously (`await loss.item_async()`), the
 * one way Deno's WebGPU reads back.
 * @module
 */
import { len, type Tensor, torch, torchvision } from "../mod.ts";
import { formatError } from "../lib/repl/mod.ts";
import { curve, duration, progressLine } from "./chart.ts";
import type { Ctx } from "./types.ts";

const BIN = [
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
  "test_batch.bin",
];
const BATCH_BYTES = 3073 * 10000;

/** Where the project keeps downloads. */
export function dataDir(ctx: Ctx): string {
  return `${ctx.options.root}data`;
}

/** The folder as the learner's code names it: `./data` from the project root, else the full path. */
export function dataArg(ctx: Ctx): string {
  return `${Deno.cwd()}/` === ctx.options.root ? "./data" : dataDir(ctx);
}

/** Whether the binary batches are all in `data/` at full size. */
export function cifarReady(dir: string): boolean {
  return BIN.every((f) => {
    try {
      return Deno.statSync(`${dir}/cifar-10-batches-bin/${f}`).size === BATCH_BYTES;
    } catch {
      return false;
    }
  });
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function firstLine(e: unknown): string {
  return formatError(e).split("\n")[0];
}

/**
 * Makes CIFAR-10 available in `data/`, or settles for FakeData: from
 * `--data`, an earlier choice, what is on disk, a download, or (offline) a
 * path the learner types.
 */
export async function prepareCifar(ctx: Ctx): Promise<"real" | "fake"> {
  const dir = dataDir(ctx);
  const { L, io } = ctx;
  const chosen = ctx.options.data;
  if (chosen === "fake") return "fake";
  const fromArchive = (path: string): boolean => {
    try {
      torchvision.datasets.CIFAR10(dir, { archive: path, md5: null });
      return true;
    } catch (e) {
      io.error(firstLine(e));
      return false;
    }
  };
  if (chosen !== undefined && chosen !== "download") {
    if (cifarReady(dir) || fromArchive(chosen)) return "real";
    if (ctx.options.mode === "check") throw new Error(`--data ${chosen}: not a CIFAR-10 binary archive`);
  }
  if (cifarReady(dir)) return "real";
  if (ctx.saved.data === "fake" && chosen === undefined) return "fake";
  if (ctx.options.mode === "check" && chosen !== "download") return "fake";
  const download = (): boolean => {
    io.note(L(`下载 CIFAR-10(163 MB)到 ${dir} …`, `Downloading CIFAR-10 (163 MB) into ${dir} …`));
    try {
      torchvision.datasets.CIFAR10(dir, { download: true });
      return true;
    } catch (e) {
      io.bad(L(`下载失败:${firstLine(e)}`, `The download failed: ${firstLine(e)}`));
      return false;
    }
  };
  if (download()) return "real";
  if (!io.interactive) return "fake";
  const shared = new URL("../shared/datasets/cifar-10-binary.tar.gz", `file://${ctx.options.root}`).pathname;
  const dflt = exists(shared) ? shared : "";
  for (;;) {
    const a = await io.ask(
      L(
        `本地 cifar-10-binary.tar.gz 的路径${
          dflt ? ` [${dflt}]` : ""
        },\`fake\` 用 FakeData,\`retry\` 重新下载:`,
        `Path of a local cifar-10-binary.tar.gz${
          dflt ? ` [${dflt}]` : ""
        }, \`fake\` for FakeData, \`retry\` to download again: `,
      ),
    );
    const s = (a ?? "fake").trim();
    if (s === "fake") {
      ctx.saved.data = "fake";
      return "fake";
    }
    if (s === "retry") {
      if (download()) return "real";
      continue;
    }
    const path = s === "" ? dflt : s.replace(/^~(?=\/)/, Deno.env.get("HOME") ?? "~");
    if (!path) continue;
    if (!exists(path)) {
      io.bad(L(`找不到文件 ${path}`, `No file at ${path}`));
      continue;
    }
    if (fromArchive(path)) return "real";
  }
}

/** Where lesson 3 trains. */
export type TrainDevice = "cpu" | "webgpu";

/** What is known when lesson 3 picks its device. */
export interface DeviceFacts {
  /** `--device` / `DENOTORCH_LESSON_DEVICE`, if given. */
  forced?: TrainDevice;
  /** The self-check (`--check`). */
  check: boolean;
  /** A learner is there to answer. */
  interactive: boolean;
  /** `await torch.webgpu.init()` said yes. */
  available: boolean;
  /** The adapter is a real GPU (`torch.webgpu.is_real()`), not a software one such as lavapipe. */
  real: boolean;
}

/**
 * The device, or "ask": asked for → that one (webgpu only if available); else the cpu, unless
 * a learner is there and a real GPU too, when the learner chooses (a software adapter is
 * slower than the cpu: not worth offering).
 */
export function deviceDecision(f: DeviceFacts): TrainDevice | "ask" {
  if (f.forced !== undefined) return f.forced === "webgpu" && f.available ? "webgpu" : "cpu";
  return !f.check && f.interactive && f.available && f.real ? "ask" : "cpu";
}

/** Why webgpu is not available, as the tensor core says it. */
function gpuReason(): string {
  try {
    torch.webgpu.get_device_name();
    return "?";
  } catch (e) {
    return firstLine(e).replace(/^\w+: .*? is not available:\s*/, "");
  }
}

/** Picks lesson 3's device (see {@link deviceDecision}), asking the learner when it offers webgpu. */
export async function chooseDevice(ctx: Ctx): Promise<TrainDevice> {
  const { L, io, options } = ctx;
  const forced = options.device;
  const check = options.mode === "check";
  // starting WebGPU loads the Vulkan drivers (150-500 ms): only when it may be used
  const worthStarting = forced === "webgpu" || (forced === undefined && !check && io.interactive);
  const available = worthStarting ? await torch.webgpu.init() : false;
  const d = deviceDecision({
    forced,
    check,
    interactive: io.interactive,
    available,
    real: available && torch.webgpu.is_real(),
  });
  if (forced === "webgpu" && d === "cpu") {
    io.note(
      L(
        `webgpu 不可用(${gpuReason()}):改在 cpu 上训练。`,
        `webgpu is not available (${gpuReason()}): training on the cpu.`,
      ),
    );
  }
  if (d !== "ask") return d;
  const name = torch.webgpu.get_device_name();
  const a = await io.ask(
    L(
      `这台机器有 GPU(${name})。在 GPU 上训练吗(device "webgpu")?[y/N] `,
      `This machine has a GPU (${name}). Train on it (device "webgpu")? [y/N] `,
    ),
  );
  return a !== null && /^\s*(y|yes|是|好|webgpu)\s*$/i.test(a) ? "webgpu" : "cpu";
}

/** A module or tensor that moves between devices. */
interface Movable {
  to_async(device: string): Promise<unknown>;
}

function movable(x: unknown): x is Movable {
  return ((typeof x === "object" && x !== null) || typeof x === "function") &&
    typeof (x as Partial<Movable>).to_async === "function";
}

/**
 * Moves the learner's `net` and its optimizer's state (momentum buffers) to `device`, as
 * `net.to(device)` does in the tutorial. The parameters stay the same objects, so the
 * optimizer keeps updating them.
 */
export async function placeModel(ctx: Ctx, device: TrainDevice): Promise<void> {
  const s = ctx.scope as unknown as Partial<Parts>;
  if (movable(s.net)) await s.net.to_async(device);
  const state = (s.optimizer as { state?: unknown } | undefined)?.state as
    | Iterable<[unknown, Record<string, unknown>]>
    | undefined;
  if (!state || typeof state[Symbol.iterator] !== "function") return;
  for (const [, st] of state) {
    for (const [k, v] of Object.entries(st)) if (movable(v)) st[k] = await v.to_async(device);
  }
}

/** What a training run did. */
export interface TrainRun {
  /** Where it trained (`webgpu:0`, `cpu`). */
  device: string;
  steps: number;
  planned: number;
  losses: number[];
  seconds: number;
  interrupted: boolean;
  error?: string;
}

/** One learning step's objects, from the learner's scope. */
interface Parts {
  net: (x: Tensor) => Tensor;
  criterion: (a: Tensor, b: Tensor) => Tensor;
  optimizer: { zero_grad(): void; step(): void };
  trainloader: AsyncIterable<[Tensor, Tensor]> & { batch_size: number | null };
}

/**
 * The tutorial's loop (zero_grad, forward, loss, backward, step,
 * `running_loss += loss.item()`), for `epochs` epochs or `maxSteps` steps,
 * with a progress bar. Ctrl-C stops it; the weights learned so far stay.
 * On webgpu the model must be there already ({@link placeModel}); each batch is moved.
 */
export async function train(
  ctx: Ctx,
  epochs: number,
  maxSteps?: number,
  device: TrainDevice = "cpu",
): Promise<TrainRun> {
  const onDevice = device !== "cpu";
  const s = ctx.scope as unknown as Parts;
  const perEpoch = len(s.trainloader);
  const planned = Math.max(1, Math.min(maxSteps ?? Infinity, Math.round(perEpoch * epochs)));
  const nEpochs = Math.ceil(planned / perEpoch);
  const batch = s.trainloader.batch_size ?? 1;
  const every = planned >= 10000 ? 2000 : Math.max(10, Math.round(planned / 5));
  const losses: number[] = [];
  const t0 = performance.now();
  let step = 0;
  let lastDraw = 0;
  const draw = (epoch: number, done = false) => {
    const el = (performance.now() - t0) / 1000;
    const rate = step / Math.max(el, 1e-9);
    const recent = losses.slice(-200);
    const loss = recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length);
    ctx.io.status(
      progressLine({
        epoch,
        epochs: nEpochs,
        step,
        steps: planned,
        loss,
        imagesPerSecond: rate * batch,
        etaSeconds: (planned - step) / Math.max(rate, 1e-9),
      }),
      done,
    );
  };
  const r = await ctx.guarded(async (check) => {
    for (let epoch = 0; epoch < nEpochs && step < planned; epoch++) {
      let running = 0;
      let i = 0;
      for await (const [x, y] of s.trainloader) {
        check();
        const [inputs, labels] = onDevice ? [x.to(device), y.to(device)] : [x, y];
        s.optimizer.zero_grad();
        const outputs = s.net(inputs);
        const loss = s.criterion(outputs, labels);
        loss.backward();
        s.optimizer.step();
        // the loss.item() of the tutorial, on every device (webgpu reads back asynchronously)
        const l = (await loss.item_async()) as number;
        losses.push(l);
        running += l;
        step++;
        i++;
        if (i % every === 0) {
          ctx.io.text(`[${epoch + 1}, ${String(i).padStart(5)}] loss: ${(running / every).toFixed(3)}`);
          running = 0;
        }
        const now = performance.now();
        if (now - lastDraw > 250) {
          lastDraw = now;
          draw(epoch + 1);
        }
        if (step >= planned) break;
      }
      draw(epoch + 1, true);
      if (nEpochs > 1 && step < planned) {
        ctx.io.text(curve(losses, { xMax: step, xLabel: "steps" }).join("\n"));
      }
    }
  });
  const run: TrainRun = {
    device: onDevice ? String(torch.device(device, 0)) : "cpu",
    steps: step,
    planned,
    losses,
    seconds: (performance.now() - t0) / 1000,
    interrupted: !r.ok && (r.error as { name?: string })?.name === "KeyboardInterrupt",
  };
  if (!r.ok) {
    draw(Math.max(1, Math.ceil(step / perEpoch)), true);
    if (!run.interrupted) run.error = formatError(r.error);
  }
  return run;
}

/** Per-class accuracy on the test set. */
export interface Accuracy {
  correct: number;
  total: number;
  perClass: { name: string; correct: number; total: number }[];
  interrupted: boolean;
}

/**
 * Evaluates the learner's `net` on `testset` (the first `limit` images), in batches of 100,
 * without gradients, on `device` (where the model is).
 */
export async function evaluate(ctx: Ctx, limit?: number, device: TrainDevice = "cpu"): Promise<Accuracy> {
  const sc = ctx.scope as unknown as Parts & { testset: unknown; classes: string[] };
  const { DataLoader, Subset } = torch.utils.data;
  const n = Math.min(limit ?? Infinity, len(sc.testset));
  const set = n < len(sc.testset) ? Subset(sc.testset as never, [...Array(n).keys()]) : sc.testset;
  const loader = DataLoader(set as never, { batch_size: 100 }) as unknown as AsyncIterable<[Tensor, Tensor]>;
  const classes = sc.classes ?? [...Array(10).keys()].map(String);
  const perClass = classes.map((name) => ({ name, correct: 0, total: 0 }));
  let seen = 0;
  const r = await ctx.guarded(async (check) => {
    using _ = torch.no_grad();
    for await (const [images, labels] of loader) {
      check();
      const outputs = sc.net(device === "cpu" ? images : images.to(device));
      const [, predicted] = outputs.max(1) as unknown as [Tensor, Tensor];
      const p = (await predicted.tolist_async()) as number[];
      const l = labels.tolist() as number[];
      l.forEach((c, i) => {
        perClass[c].total++;
        if (p[i] === c) perClass[c].correct++;
      });
      seen += l.length;
      ctx.io.status(ctx.L(`评估 ${seen}/${n}`, `evaluating ${seen}/${n}`));
    }
  });
  ctx.io.status(ctx.L(`评估了 ${seen} 张测试图像`, `evaluated ${seen} test images`), true);
  const correct = perClass.reduce((a, c) => a + c.correct, 0);
  const total = perClass.reduce((a, c) => a + c.total, 0);
  return { correct, total, perClass, interrupted: !r.ok };
}

/** The loss curve and accuracy table, as text lines. */
export function report(ctx: Ctx, run: TrainRun, acc: Accuracy): string[] {
  const pct = (c: number, t: number) => (t ? ((100 * c) / t).toFixed(1) : "-").padStart(5);
  const lines: string[] = [];
  if (run.losses.length > 1) {
    lines.push(ctx.L("训练损失:", "Training loss:"));
    lines.push(...curve(run.losses, { xMax: run.steps, xLabel: ctx.L("步", "steps") }));
  }
  const rate = run.steps / Math.max(run.seconds, 1e-9);
  lines.push(
    ctx.L(
      `${run.device === "cpu" ? "" : `在 ${run.device} 上`}训练了 ${run.steps} 步,用时 ${
        duration(run.seconds)
      }(${rate.toFixed(1)} 步/秒)${run.interrupted ? ",被 Ctrl-C 提前停止" : ""}。`,
      `Trained ${run.steps} steps in ${duration(run.seconds)} (${rate.toFixed(1)} steps/s)${
        run.device === "cpu" ? "" : ` on ${run.device}`
      }${run.interrupted ? ", stopped early by Ctrl-C" : ""}.`,
    ),
  );
  lines.push(
    ctx.L(
      `网络在 ${acc.total} 张测试图像上的准确率:${pct(acc.correct, acc.total).trim()} %`,
      `Accuracy of the network on the ${acc.total} test images: ${pct(acc.correct, acc.total).trim()} %`,
    ),
  );
  const w = Math.max(...acc.perClass.map((c) => c.name.length));
  for (const c of acc.perClass) {
    const f = c.total ? c.correct / c.total : 0;
    const cells = Math.round(f * 20);
    lines.push(
      `  ${c.name.padEnd(w)} ${"█".repeat(cells)}${"░".repeat(20 - cells)} ${pct(c.correct, c.total)} %`,
    );
  }
  return lines;
}
