/**
 * How long the REPL takes to be ready to type, with the engine loaded,
 * against `python3 -c "import torch"` in the same run.
 *
 *   deno run --allow-read --allow-env --allow-write --allow-run repl/bench_startup.ts [runs]
 *
 * The REPL runs in a pseudo-terminal (util-linux `script`), so it starts
 * exactly as a user's does; two figures per run: wall time from spawning the
 * process to the first `>>> ` on the terminal, and the REPL's own
 * `performance.now()` at its first prompt (DENOTORCH_STARTUP_TIMING). Without
 * `script`, it times piped mode (spawn, load, evaluate `1`, exit) instead.
 * @module
 */
const runs = Number(Deno.args[0] ?? 7);
const root = new URL("../", import.meta.url).pathname;
const deno = Deno.execPath();
const replArgs = [
  "run",
  "--allow-read",
  "--allow-env",
  "--allow-write",
  "--allow-net=127.0.0.1",
  "repl/main.ts",
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const has = (cmd: string) => {
  try {
    return new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
};
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function replInTerminal(): Promise<{ wall: number; ready: number }> {
  const dir = await Deno.makeTempDir();
  const timing = `${dir}/ms`;
  const t0 = performance.now();
  const child = new Deno.Command("script", {
    args: ["-qfec", [deno, ...replArgs].map(sh).join(" "), "/dev/null"],
    cwd: root,
    env: { DENOTORCH_HISTORY: "", DENOTORCH_STARTUP_TIMING: timing, NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let wall = NaN;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.includes(">>> ")) {
      wall = performance.now() - t0;
      break;
    }
  }
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(".exit\r"));
  await w.close();
  while (!(await reader.read()).done) { /* drain */ }
  await child.status;
  const ready = Number((await Deno.readTextFile(timing)).split("\n").find((l) => /^\d/.test(l)));
  await Deno.remove(dir, { recursive: true });
  return { wall, ready };
}

async function replPiped(): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(deno, {
    args: replArgs,
    cwd: root,
    env: { DENOTORCH_HISTORY: "" },
    stdin: "piped",
    stdout: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode("1\n"));
  await w.close();
  await child.status;
  return performance.now() - t0;
}

function python(): number | null {
  if (!has("/usr/bin/python3")) return null;
  const t0 = performance.now();
  const r = new Deno.Command("/usr/bin/python3", {
    args: ["-c", "import torch"],
    stdout: "null",
    stderr: "null",
  })
    .outputSync();
  return r.success ? performance.now() - t0 : null;
}

// one untimed run fills Deno's caches (transpiled modules, npm packages)
await replPiped();
const cpus = navigator.hardwareConcurrency;
let replMs: number;
if (has("script")) {
  const walls: number[] = [];
  const readies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await replInTerminal();
    walls.push(r.wall);
    readies.push(r.ready);
  }
  replMs = median(walls);
  console.log(
    `REPL in a terminal, spawn to first prompt: median ${replMs.toFixed(0)} ms ` +
      `(REPL's own clock at the prompt: ${median(readies).toFixed(0)} ms; ${runs} runs, ${cpus} CPUs)`,
  );
} else {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await replPiped());
  replMs = median(xs);
  console.log(
    `REPL piped (no 'script' here), spawn, load, evaluate \`1\`, exit: median ${replMs.toFixed(0)} ms`,
  );
}
const py: number[] = [];
for (let i = 0; i < Math.min(runs, 5); i++) {
  const t = python();
  if (t === null) break;
  py.push(t);
}
if (py.length) {
  const p = median(py);
  console.log(`/usr/bin/python3 -c "import torch": median ${p.toFixed(0)} ms (${py.length} runs)`);
  console.log(`ratio: the REPL is ready ${(p / replMs).toFixed(1)}× sooner than PyTorch imports`);
} else {
  console.log("no PyTorch at /usr/bin/python3 to compare with (apt-get install python3-torch)");
}
