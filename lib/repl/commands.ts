/**
 * The REPL's `.commands`, as a lookup table: each takes the session and the
 * rest of the line, and returns text to show (or a full result).
 * @module
 */
import type { EvalResult, Session } from "./session.ts";
import { SystemExit } from "./guard.ts";
import { formatTrace } from "./display.ts";
import { INTRO } from "./help.ts";

/** One `.command`. */
export interface Command {
  /** Arguments, as `.help` shows them. */
  args: string;
  /** One line for `.help`. */
  summary: string;
  run(session: Session, arg: string): string | EvalResult | Promise<string | EvalResult>;
}

// deno-lint-ignore no-eval
const indirectEval = eval;

/** `torch.webgpu`, as far as the commands use it. */
interface WebgpuApi {
  is_available(): boolean;
  is_real(): boolean;
  get_device_name(): string;
  device_count(): number;
  synchronize(): Promise<void>;
}

type Torch = Record<string, unknown> & {
  memory_stats?: () => Record<string, number>;
  memory_limits?: { maxBytes: number; maxTensors: number };
  backend?: () => string;
  set_default_device?: (d: string) => void;
  get_default_device?: () => unknown;
  webgpu?: WebgpuApi;
};

function torchOf(): Torch {
  const t = (globalThis as Record<string, unknown>).torch as Torch | undefined;
  if (!t) throw new Error("torch is not loaded");
  return t;
}

/** `torch.webgpu` when the device is started and works (else null: nothing to wait for). */
function torchGpu(): WebgpuApi | null {
  const w = ((globalThis as Record<string, unknown>).torch as Torch | undefined)?.webgpu;
  return w && w.device_count() > 0 ? w : null;
}

/** `1.23 µs`: three significant digits in the unit that fits. */
export function formatSeconds(s: number): string {
  const [v, unit] = s >= 1
    ? [s, "s"]
    : s >= 1e-3
    ? [s * 1e3, "ms"]
    : s >= 1e-6
    ? [s * 1e6, "µs"]
    : [s * 1e9, "ns"];
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
}

/** `4.2 MB` */
export function formatBytes(b: number): string {
  if (b < 1024) return `${b} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = b;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

const yieldToLoop = () => new Promise<void>((r) => setTimeout(r, 0));

/**
 * `.time expr`, as IPython's `%timeit`: picks a loop count so one run lasts
 * at least 0.1 s (1, 2, 5, 10, 20, 50, …), then times 7 runs (3 when one run
 * takes over a second) and reports the median per loop and the spread.
 */
export async function timeit(session: Session, src: string, targetSeconds = 0.1): Promise<string> {
  if (!src) throw new Error("usage: .time <expression>, e.g. .time torch.rand(100, 100).matmul(w)");
  const c = session.compile(src);
  const fn = indirectEval(`(${c.usesAwait ? "async " : ""}() => {${c.body}\n})`) as () => unknown;
  const r = await session.guarded(async () => {
    const guard = session.guard;
    let isAsync = c.usesAwait;
    const first = fn(); // a warm-up call, which also tells whether results need awaiting
    if (first && typeof (first as Promise<unknown>).then === "function") {
      isAsync = true;
      await first;
    }
    // webgpu ops only queue work: the clock stops once the GPU has done it (as torch.utils.benchmark)
    const gpu = torchGpu();
    const batch = async (n: number): Promise<number> => {
      const t0 = performance.now();
      if (isAsync) { for (let i = 0; i < n; i++) await fn(); }
      else for (let i = 0; i < n; i++) fn();
      if (gpu) await gpu.synchronize();
      const dt = (performance.now() - t0) / 1000;
      guard.check();
      await yieldToLoop(); // lets dead tensors be released between runs
      return dt;
    };
    let n = 1;
    let t = await batch(1);
    for (let k = 0; t < targetSeconds && n < 1e9; k++) {
      n = [1, 2, 5][(k + 1) % 3] * 10 ** Math.floor((k + 1) / 3);
      t = await batch(n);
    }
    const runs = t > 1 ? 3 : 7;
    const perLoop: number[] = [t / n];
    for (let i = 1; i < runs; i++) perLoop.push((await batch(n)) / n);
    return { n, perLoop };
  });
  if (!r.ok) throw r.error;
  const { n, perLoop } = r.value;
  const sorted = [...perLoop].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const loops = n === 1 ? "1 loop" : `${n.toLocaleString("en-US")} loops`;
  return `${formatSeconds(median)} per loop (median of ${perLoop.length} runs, ${loops} each; ` +
    `fastest ${formatSeconds(sorted[0])}, slowest ${formatSeconds(sorted[sorted.length - 1])})`;
}

/** What `.device` says about webgpu: not started, its adapter, or why it is not available. */
function webgpuLine(torch: Torch): string {
  const w = torch.webgpu;
  if (!w) return "not in this build";
  let available: boolean;
  try {
    available = w.is_available();
  } catch {
    return "not started (`.device webgpu` starts it)";
  }
  if (available) return `${w.get_device_name()}${w.is_real() ? "" : SOFTWARE}`;
  try {
    w.get_device_name(); // throws with the reason
    return "not available";
  } catch (e) {
    return `not available: ${reasonOf(e)}`;
  }
}

const SOFTWARE = "; not a GPU: expect it to be slower than the cpu device";

/** The reason in the core's "… is not available: <reason>" errors. */
function reasonOf(e: unknown): string {
  const m = String((e as { message?: unknown })?.message ?? e);
  return m.replace(/^.*? is not available:\s*/, "");
}

/** `.device`, `.device cpu`, `.device webgpu` (which starts the device when needed). */
async function device(session: Session, arg: string): Promise<string> {
  const torch = torchOf();
  const backend = torch.backend?.() ?? "cpu";
  const current = () => String(torch.get_default_device?.() ?? "cpu");
  if (!arg) {
    return `default device: ${current()}\n  cpu: TensorFlow.js's ${backend} backend\n  webgpu: ${
      webgpuLine(torch)
    }`;
  }
  const want = arg.toLowerCase();
  if (want !== "cpu" && want !== "webgpu") {
    const hint = want === "cuda" || want === "mps" ? " (this engine's GPU device is 'webgpu')" : "";
    throw new Error(`unknown device '${arg}': choose cpu or webgpu${hint}`);
  }
  if (!torch.set_default_device) return `default device: cpu (this build has only the cpu device)`;
  if (want === "cpu") {
    torch.set_default_device("cpu");
    return `default device: cpu (TensorFlow.js's ${backend} backend)`;
  }
  if (!(await session.startWebgpu()) || !torch.webgpu) {
    return `webgpu is ${webgpuLine(torch)}\ndefault device: ${current()}`;
  }
  torch.set_default_device("webgpu");
  return `default device: ${current()} (${webgpuLine(torch)})`;
}

function memory(): string {
  const torch = torchOf();
  if (!torch.memory_stats) throw new Error("torch.memory_stats() is not available");
  const s = torch.memory_stats();
  const l = torch.memory_limits;
  const lines = [
    `engine (${torch.backend?.() ?? "cpu"}): ${s.engine_tensors} tensors, ${formatBytes(s.engine_bytes)}`,
    `storages resident in the engine: ${s.resident_storages}, ${formatBytes(s.resident_bytes)}` +
    (l ? ` (limits: ${l.maxTensors} storages, ${formatBytes(l.maxBytes)}; torch.memory_limits)` : ""),
    `spilled to JavaScript memory: ${s.spills}, uploaded again: ${s.uploads}, ` +
    `freed after garbage collection: ${s.finalized}`,
  ];
  // counted once the webgpu device exists (its storages are never spilled)
  if (typeof s.webgpu_storages === "number" && torchGpu()) {
    lines.push(`webgpu: ${s.webgpu_storages} storages, ${formatBytes(s.webgpu_bytes ?? 0)}`);
  }
  return lines.join("\n");
}

async function load(session: Session, arg: string): Promise<EvalResult> {
  if (!arg) throw new Error("usage: .load file.ts");
  const path = arg.replace(/^["']|["']$/g, "");
  const url = new URL(path, `file://${Deno.cwd()}/`);
  const src = await Deno.readTextFile(url);
  return await session.evaluate(src, { base: url.href });
}

async function save(session: Session, arg: string): Promise<string> {
  if (!arg) throw new Error("usage: .save file.ts");
  const path = arg.replace(/^["']|["']$/g, "");
  const header = "// denotorch session: the inputs that ran without error, in order\n";
  await Deno.writeTextFile(path, header + session.inputs.map((s) => s.trimEnd() + "\n").join(""));
  return `saved ${session.inputs.length} inputs to ${path}`;
}

function timeout(session: Session, arg: string): string {
  if (arg) {
    if (arg === "off" || arg === "0") session.timeLimit = 0;
    else {
      const s = Number(arg);
      if (!(s > 0)) throw new Error("usage: .timeout SECONDS, or .timeout off");
      session.timeLimit = s;
    }
  }
  if (!session.watchdog && session.timeLimit > 0) session.onNeedWatchdog?.();
  if (!session.watchdog && session.timeLimit > 0) {
    return `time guard: ${session.timeLimit} s, but this session has no watchdog to enforce it`;
  }
  return session.timeLimit > 0
    ? `time guard: an input running longer than ${session.timeLimit} s is stopped (.timeout off to turn it off)`
    : "time guard: off (Ctrl-C stops a running input)";
}

/** The commands, by name. */
export const COMMANDS: Record<string, Command> = {
  help: {
    args: "[name]",
    summary: "this list; .help torch.cat is help(torch.cat)",
    run: (s, arg) => {
      if (arg) return s.evaluate(`help(${arg})`, { record: false });
      const rows = Object.entries(COMMANDS).map(([name, c]) =>
        `  .${(name + " " + c.args).padEnd(22)} ${c.summary}`
      );
      return `${INTRO}\n\nCommands:\n${rows.join("\n")}\n\nKeys: Tab completes, Up/Down walk the history, ` +
        "Ctrl-C clears the line or stops a running input (twice on an empty line exits), Ctrl-D exits.";
    },
  },
  time: {
    args: "<expr>",
    summary: "time an expression, as %timeit: median per loop and spread",
    run: (s, arg) => timeit(s, arg),
  },
  device: { args: "[cpu|webgpu]", summary: "show or set the default device", run: device },
  memory: { args: "", summary: "engine memory: tensors, bytes, spills (torch.memory_stats())", run: memory },
  load: { args: "<file.ts>", summary: "run a file in this session (its variables stay)", run: load },
  save: { args: "<file.ts>", summary: "write this session's inputs that ran without error", run: save },
  trace: {
    args: "",
    summary: "the full stack of the last error",
    run: (s) => s.lastError === undefined ? "no error yet" : formatTrace(s.lastError),
  },
  timeout: {
    args: "[seconds|off]",
    summary: "show or set the time guard on inputs (off by default)",
    run: timeout,
  },
  exit: {
    args: "",
    summary: "leave (also Ctrl-D, exit())",
    run: () => {
      throw new SystemExit(0);
    },
  },
};
