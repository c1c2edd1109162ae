/**
 * `deno task bench`: the speed of the workloads learners run (issue 8), and with `--vs-torch` the
 * same workloads in real PyTorch, side by side.
 *
 *   deno run -A --v8-flags=--expose-gc bench/main.ts [--vs-torch] [--rounds N] [--seconds S] [--only a,b]
 *
 * Workloads: a small `add` (dispatch cost), one conv 4×3×32×32 → 6 5×5 forward, a LeNet training
 * step (PyTorch's CIFAR-10 tutorial network, CrossEntropyLoss, SGD with momentum 0.9) at batch 4
 * and 64, resnet18 forward (eval, no_grad) and forward+backward on 1×3×64×64, matmul 1024², and the
 * REPL's start-up (`.exit` piped in) against `python3 -c "import torch"`.
 *
 * With `--vs-torch`, `bench/torch_bench.py` runs under `/usr/bin/python3` as a child process and
 * each workload alternates between the two sides (`--rounds` rounds of about `--seconds` each),
 * so both see the same machine state; the figure is the median round. PyTorch runs with
 * `torch.set_num_threads(1)`, as the engine here is single-threaded wasm. The ratio is
 * PyTorch's time over ours: 1.0× is parity, 0.5× half PyTorch's speed.
 * @module
 */
import { parseArgs } from "node:util";
import { F, nn, optim, type Tensor, torch, torchvision } from "../mod.ts";
import { Net } from "./net.ts";
import type { ModuleClass } from "../lib/nn/module.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    "vs-torch": { type: "boolean", default: false },
    rounds: { type: "string", default: "7" },
    seconds: { type: "string", default: "0.4" },
    only: { type: "string" },
    python: { type: "string", default: "/usr/bin/python3" },
  },
  strict: true,
});
const ROUNDS = Number(flags.values.rounds);
const SECONDS = Number(flags.values.seconds);
const only = flags.values.only ? new Set(flags.values.only.split(",")) : null;
const root = new URL("../", import.meta.url).pathname;

// ---- workloads -----------------------------------------------------------------------------------

function lenetStep(batch: number): () => unknown {
  torch.manual_seed(0);
  const net = new Net();
  const criterion = nn.CrossEntropyLoss();
  const optimizer = optim.SGD(net.parameters(), { lr: 0.001, momentum: 0.9 });
  const inputs = torch.randn(batch, 3, 32, 32);
  const labels = torch.randint(0, 10, [batch]);
  return () => {
    optimizer.zero_grad();
    const outputs = net(inputs);
    const loss = criterion(outputs, labels);
    loss.backward();
    optimizer.step();
    return loss.item();
  };
}

function resnet(backward: boolean): () => unknown {
  torch.manual_seed(0);
  const model = torchvision.models.resnet18() as unknown as ModuleClass;
  const x = torch.randn(1, 3, 64, 64);
  if (!backward) {
    model.eval();
    return () => torch.no_grad(() => model(x));
  }
  model.train();
  return () => {
    model.zero_grad();
    (model(x) as Tensor).sum().backward();
  };
}

interface Workload {
  name: string;
  what: string;
  /** How the figure is shown: per-iteration time, or iterations per second. */
  unit: "µs" | "ms" | "steps/s";
  make: () => () => unknown;
}

const WORKLOADS: Workload[] = [
  {
    name: "add",
    what: "small `a.add(b)` (10 elements)",
    unit: "µs",
    make: () => {
      const a = torch.rand(10);
      const b = torch.rand(10);
      return () => a.add(b);
    },
  },
  {
    name: "conv",
    what: "conv2d 4×3×32×32 → 6, 5×5 (forward)",
    unit: "µs",
    make: () => {
      torch.manual_seed(0);
      const x = torch.randn(4, 3, 32, 32);
      const w = torch.randn(6, 3, 5, 5);
      const b = torch.randn(6);
      return () => F.conv2d(x, w, b);
    },
  },
  { name: "lenet4", what: "LeNet train step, batch 4", unit: "steps/s", make: () => lenetStep(4) },
  { name: "lenet64", what: "LeNet train step, batch 64", unit: "steps/s", make: () => lenetStep(64) },
  { name: "resnet_fwd", what: "resnet18 forward 1×3×64×64", unit: "ms", make: () => resnet(false) },
  {
    name: "resnet_fwd_bwd",
    what: "resnet18 forward+backward 1×3×64×64",
    unit: "ms",
    make: () => resnet(true),
  },
  {
    name: "matmul",
    what: "matmul 1024×1024",
    unit: "ms",
    make: () => {
      const a = torch.rand(1024, 1024);
      const b = torch.rand(1024, 1024);
      return () => a.matmul(b);
    },
  },
];

// ---- timing --------------------------------------------------------------------------------------

const made = new Map<string, () => unknown>();

/**
 * Seconds per iteration over about `seconds` of work. Iterations run in growing synchronous
 * batches (as a user's loop does); between batches the event loop turns, so the engine's
 * finalizers can run as they would in a real program.
 */
async function measure(w: Workload, seconds: number): Promise<{ per: number; n: number }> {
  let fn = made.get(w.name);
  if (!fn) {
    fn = w.make();
    for (let i = 0; i < 3; i++) fn();
    made.set(w.name, fn);
  }
  let n = 0;
  let batch = 1;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    elapsed = performance.now() - t0;
    if (elapsed < seconds * 100) batch *= 2;
    await new Promise((r) => setTimeout(r, 0));
  }
  return { per: elapsed / 1000 / n, n };
}

/** PyTorch's side: bench/torch_bench.py as a child answering one request per line. */
class TorchSide {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;
  constructor(python: string) {
    this.#child = new Deno.Command(python, {
      args: [`${root}bench/torch_bench.py`],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter())
      [Symbol.asyncIterator]();
  }
  async ask(line: string): Promise<Record<string, unknown>> {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
    const r = await this.#lines.next();
    if (r.done) throw new Error("bench/torch_bench.py ended");
    return JSON.parse(r.value);
  }
  async close(): Promise<void> {
    try {
      await this.#writer.write(new TextEncoder().encode("quit\n"));
      await this.#writer.close();
    } catch { /* already gone */ }
    await this.#child.status;
  }
}

function lineSplitter(): TransformStream<string, string> {
  let buf = "";
  return new TransformStream({
    transform(chunk, ctl) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        ctl.enqueue(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    },
  });
}

/** Why PyTorch cannot run here, or null when it can. */
function torchMissing(python: string): string | null {
  try {
    const r = new Deno.Command(python, { args: ["-c", "import torch, torchvision"], stderr: "piped" })
      .outputSync();
    if (r.success) return null;
    const msg = new TextDecoder().decode(r.stderr).trim().split("\n").pop();
    return `${python} cannot import torch and torchvision (${msg}); apt-get install python3-torch python3-torchvision`;
  } catch {
    return `no ${python} (apt-get install python3-torch python3-torchvision)`;
  }
}

// ---- start-up ------------------------------------------------------------------------------------

async function replStartup(): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-write", "--allow-net=127.0.0.1", "repl/main.ts"],
    cwd: root,
    env: { DENOTORCH_HISTORY: "", NO_COLOR: "1" },
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(".exit\n"));
  await w.close();
  await child.status;
  return performance.now() - t0;
}

async function importTorch(python: string): Promise<number> {
  const t0 = performance.now();
  await new Deno.Command(python, { args: ["-c", "import torch"], stdout: "null", stderr: "null" })
    .output();
  return performance.now() - t0;
}

// ---- main ----------------------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Row {
  what: string;
  unit: string;
  ours: number; // seconds per iteration
  theirs: number | null;
}

function show(unit: string, per: number): string {
  if (unit === "steps/s") return `${(1 / per).toFixed(1)} steps/s`;
  if (unit === "µs") return `${(per * 1e6).toFixed(1)} µs`;
  return `${(per * 1e3).toFixed(1)} ms`;
}

async function main(): Promise<void> {
  let side: TorchSide | null = null;
  if (flags.values["vs-torch"]) {
    const why = torchMissing(flags.values.python!);
    if (why) console.log(`PyTorch comparison skipped: ${why}`);
    else {
      side = new TorchSide(flags.values.python!);
      const v = await side.ask("ping");
      console.log(`PyTorch ${v.torch} (${flags.values.python}, torch.set_num_threads(${v.threads}))`);
    }
  } else console.log("(add --vs-torch to run the same workloads in PyTorch, side by side)");
  console.log(
    `denotorch on tfjs ${torch.backend()}, Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs; ` +
      `${ROUNDS} rounds of ~${SECONDS} s per side, median round\n`,
  );
  const rows: Row[] = [];
  for (const w of WORKLOADS) {
    if (only && !only.has(w.name)) continue;
    const ours: number[] = [];
    const theirs: number[] = [];
    let err: string | null = null;
    for (let r = 0; r < ROUNDS; r++) {
      ours.push((await measure(w, SECONDS)).per);
      if (side && !err) {
        const a = await side.ask(`${w.name} ${SECONDS}`);
        if (a.error) err = String(a.error);
        else theirs.push(a.per as number);
      }
    }
    if (err) console.log(`PyTorch failed on ${w.name}: ${err}`);
    const row = {
      what: w.what,
      unit: w.unit,
      ours: median(ours),
      theirs: theirs.length ? median(theirs) : null,
    };
    rows.push(row);
    printRow(row);
  }
  if (!only || only.has("startup")) {
    const ours: number[] = [];
    const theirs: number[] = [];
    await replStartup(); // fills Deno's caches
    for (let r = 0; r < ROUNDS; r++) {
      ours.push((await replStartup()) / 1000);
      if (side) theirs.push((await importTorch(flags.values.python!)) / 1000);
    }
    const row = {
      what: "REPL start-up (`.exit` piped) vs `import torch`",
      unit: "ms",
      ours: median(ours),
      theirs: theirs.length ? median(theirs) : null,
    };
    rows.push(row);
    printRow(row);
  }
  await side?.close();
  console.log("\n| work | denotorch | PyTorch 1.13 (1 thread) | ratio (PyTorch time / ours) |");
  console.log("|---|---|---|---|");
  for (const r of rows) {
    const ratio = r.theirs === null ? "" : `${(r.theirs / r.ours).toFixed(2)}×`;
    console.log(
      `| ${r.what} | ${show(r.unit, r.ours)} | ${
        r.theirs === null ? "" : show(r.unit, r.theirs)
      } | ${ratio} |`,
    );
  }
}

let headerShown = false;
function printRow(r: Row): void {
  if (!headerShown) {
    console.log(`${"work".padEnd(50)} ${"denotorch".padStart(16)} ${"PyTorch".padStart(16)}  ratio`);
    headerShown = true;
  }
  const ratio = r.theirs === null ? "" : `${(r.theirs / r.ours).toFixed(2)}×`;
  console.log(
    `${r.what.padEnd(50)} ${show(r.unit, r.ours).padStart(16)} ${
      (r.theirs === null ? "" : show(r.unit, r.theirs)).padStart(16)
    }  ${ratio}`,
  );
}

await main();
