// `repl/main.ts` in a real terminal, driven through tmux (send-keys, capture-pane): completion,
// multi-line input, Ctrl-C, history across restarts, the time guard, start-up time.
// Without tmux (`apt-get install -y tmux`) these tests say so and pass.
import assert from "node:assert/strict";
import { hasTmux, root, shellQuote, tmuxServer } from "../tmux.ts";
import { torch } from "../../mod.ts";

const server = tmuxServer("tests/repl/terminal_test.ts", "denotorch-tmux-");
const tmux = server.tmux;

/** A REPL in a detached tmux session. */
class Terminal {
  static #n = 0;
  readonly name = `t${++Terminal.#n}`;

  /** Where the REPL writes its start-up time, then `watchdog <ms>` once Ctrl-C works. */
  readonly timing = Deno.makeTempFileSync({ prefix: "denotorch-timing-" });

  constructor(args: string[] = [], env: Record<string, string> = {}) {
    const vars = Object.entries({
      NO_COLOR: "1",
      DENOTORCH_HISTORY: "",
      DENOTORCH_STARTUP_TIMING: this.timing,
      ...env,
    })
      .map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ");
    const cmd = `cd ${shellQuote(root)} && env ${vars} ${shellQuote(Deno.execPath())} run --allow-read ` +
      `--allow-env --allow-write --allow-net=127.0.0.1 repl/main.ts ${args.map(shellQuote).join(" ")}; ` +
      `echo "[exited $?]"; sleep 60`;
    tmux("new-session", "-d", "-s", this.name, "-x", "120", "-y", "40", cmd);
  }

  /**
   * Waits for the prompt and the watchdog thread: starting it makes Deno clear the terminal's
   * line once, after which the REPL draws the prompt again; a person never types that fast.
   */
  async ready(): Promise<void> {
    await this.waitFor(PROMPT);
    const end = Date.now() + 10000;
    while (!Deno.readTextFileSync(this.timing).includes("watchdog")) {
      if (Date.now() > end) throw new Error("the watchdog did not start");
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.waitFor(PROMPT);
  }

  /** Types text literally. */
  type(text: string): void {
    tmux("send-keys", "-t", this.name, "-l", text);
  }
  /** Presses keys by name: Enter, Tab, Up, C-c, C-d. */
  press(...keys: string[]): void {
    tmux("send-keys", "-t", this.name, ...keys);
  }
  screen(): string {
    return tmux("capture-pane", "-p", "-J", "-t", this.name);
  }
  /** Waits until the screen matches. */
  async waitFor(pattern: RegExp, ms = 10000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const s = this.screen();
      if (pattern.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }
  async enter(line: string, expect: RegExp): Promise<string> {
    this.type(line);
    this.press("Enter");
    return await this.waitFor(expect);
  }
  close(): void {
    tmux("kill-session", "-t", this.name);
    Deno.removeSync(this.timing);
  }
}

const PROMPT = /^>>> $/m;

function terminalTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name: `terminal: ${name}`,
    ignore: !hasTmux,
    fn,
    sanitizeResources: false,
    sanitizeOps: false,
  });
}

terminalTest("tab completes members and globals; values print PyTorch-style", async () => {
  const t = new Terminal();
  try {
    await t.ready();
    await t.enter("const abc = torch.ones(2, 3)", /const abc.*\n>>> $/m);
    t.type("abc.su");
    t.press("Tab");
    t.press("Tab"); // the second Tab lists the candidates
    await t.waitFor(/sub\s+sub_\s+subtract\s+subtract_\s+sum/);
    t.press("C-c");
    await t.waitFor(/abc\.su\^C\n>>> $/m);
    t.type("torch.manual_s");
    t.press("Tab");
    await t.waitFor(/>>> torch\.manual_seed$/m);
    await t.enter("(0); torch.rand(2)", /^tensor\(\[0\.4963, 0\.7682\]\)\n>>> $/m);
  } finally {
    t.close();
  }
});

terminalTest("an unfinished line gets a continuation prompt", async () => {
  const t = new Terminal();
  try {
    await t.ready();
    await t.enter("function sq(x: number) {", /^\.\.\. $/m);
    await t.enter("  return x * x", /^\.\.\. {3}return x \* x\n\.\.\. $/m);
    await t.enter("}", /^\.\.\. }\n>>> $/m);
    await t.enter("sq(7)", /^49\n>>> $/m);
  } finally {
    t.close();
  }
});

terminalTest("Ctrl-C stops a runaway loop and keeps the session; twice on an empty line exits", async () => {
  const t = new Terminal();
  try {
    await t.ready();
    t.type('print("looping"); let n = 0; while (true) n++');
    t.press("Enter");
    await t.waitFor(/^looping$/m); // the input runs: Ctrl-C is now a SIGINT
    await new Promise((r) => setTimeout(r, 100));
    t.press("C-c");
    await t.waitFor(/^KeyboardInterrupt\n>>> $/m);
    await t.enter("n > 1000", /^true\n>>> $/m);
    t.press("C-c");
    await t.waitFor(/To exit, press Ctrl\+C again/);
    t.press("C-c");
    await t.waitFor(/\[exited 0\]/);
  } finally {
    t.close();
  }
});

terminalTest("history persists across restarts; Ctrl-D exits", async () => {
  const dir = await Deno.makeTempDir();
  const history = `${dir}/history`;
  const a = new Terminal([], { DENOTORCH_HISTORY: history });
  try {
    await a.ready();
    await a.enter("const hist = 41", /const hist = 41\n>>> $/m);
    a.press("C-d");
    await a.waitFor(/\[exited 0\]/);
  } finally {
    a.close();
  }
  const b = new Terminal([], { DENOTORCH_HISTORY: history });
  try {
    await b.ready();
    b.press("Up");
    await b.waitFor(/>>> const hist = 41$/m);
    b.press("Enter");
    await b.enter("hist + 1", /^42\n>>> $/m);
    // a line equal to the one before it is not stored twice
    assert.equal(await Deno.readTextFile(history), "const hist = 41\nhist + 1\n");
  } finally {
    b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

terminalTest("the time guard (--timeout) stops a runaway loop, not a shorter one", async () => {
  const t = new Terminal(["--timeout", "1"]);
  try {
    await t.ready();
    await t.enter(
      "let steps = 0; const end = Date.now() + 500; while (Date.now() < end) steps++; 'done'",
      /^"done"\n>>> $/m,
    );
    await t.enter("while (true) {}", /^TimeoutError: the input ran past the time guard of 1 s/m);
    await t.enter("steps > 0", /^true\n>>> $/m);
  } finally {
    t.close();
  }
});

terminalTest("start-up: ready to type in well under 250 ms", async () => {
  const t = new Terminal();
  try {
    await t.ready();
    const lines = Deno.readTextFileSync(t.timing).split("\n");
    const ready = lines.find((l) => /^\d/.test(l))!;
    const watchdog = lines.find((l) => l.startsWith("watchdog"))!;
    console.log(
      `REPL ready in ${ready} ms (process start to first prompt, engine loaded); Ctrl-C armed at ${
        watchdog.replace("watchdog ", "")
      } ms`,
    );
    // loose bound: CI machines are slow and shared; repl/bench_startup.ts measures properly
    assert.ok(Number(ready) < 2000, `${ready} ms`);
  } finally {
    t.close();
  }
});

// the REPL in the terminal starts its own device; this one only says whether there is an adapter
const gpu = hasTmux && await torch.webgpu.init();
if (hasTmux && !gpu) {
  console.log(
    "tests/repl/terminal_test.ts: no WebGPU adapter here, so `--device webgpu` in a terminal is skipped",
  );
}

Deno.test({
  name: "terminal: `deno task repl --device webgpu` names the adapter and shows webgpu tensors' values",
  ignore: !gpu,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = new Terminal(["--device", "webgpu"]);
    try {
      await t.ready();
      await t.waitFor(/^default device: webgpu:0 \(.+\)\n>>> $/m);
      await t.enter(
        'torch.ones(2).to("webgpu").mul(3)',
        /^tensor\(\[3\., 3\.\], device='webgpu:0'\)\n>>> $/m,
      );
      await t.enter("print(torch.arange(3).sum())", /^tensor\(3, device='webgpu:0'\)\n>>> $/m);
    } finally {
      t.close();
    }
  },
});

globalThis.addEventListener("unload", () => {
  if (!hasTmux) return;
  server.close();
});
