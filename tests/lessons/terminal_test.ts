// Lesson 1 in a real terminal, driven through tmux (send-keys, capture-pane): a wrong answer's
// feedback, .hint, answers typed at the prompt, .quit, and resuming where it stopped, to the end.
// Without tmux (`apt-get install -y tmux`) these tests say so and pass.
import assert from "node:assert/strict";
import { hasTmux, root, shellQuote, tmuxServer } from "../tmux.ts";

const server = tmuxServer("tests/lessons/terminal_test.ts", "denotorch-lesson-tmux-");
const tmux = server.tmux;

const q = shellQuote;

/** `deno run … lesson.ts <args>` in a detached tmux window. */
class Lesson {
  static #n = 0;
  readonly name = `lesson${++Lesson.#n}`;
  constructor(args: string[], env: Record<string, string>) {
    const vars = Object.entries({ NO_COLOR: "1", DENOTORCH_HISTORY: "", ...env }).map(([k, v]) =>
      `${k}=${q(v)}`
    )
      .join(" ");
    const cmd =
      `cd ${q(root)} && env ${vars} ${q(Deno.execPath())} run --allow-read --allow-write --allow-env ` +
      `--allow-net lesson.ts ${args.map(q).join(" ")}; echo "[exited $?]"; sleep 60`;
    tmux("new-session", "-d", "-s", this.name, "-x", "120", "-y", "50", cmd);
  }
  screen(): string {
    return tmux("capture-pane", "-p", "-J", "-t", this.name);
  }
  async waitFor(pattern: RegExp, ms = 15000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const s = this.screen();
      if (pattern.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }
  /** Types a line and waits for what should follow it. */
  async enter(line: string, expect: RegExp): Promise<string> {
    tmux("send-keys", "-t", this.name, "-l", line);
    tmux("send-keys", "-t", this.name, "Enter");
    return await this.waitFor(expect);
  }
  close(): void {
    tmux("kill-session", "-t", this.name);
  }
}

/** The prompt of exercise `id`, empty (the cursor waits there). */
const prompt = (id: string, guess = "") =>
  new RegExp(`^\\[1\\.${id}\\] ${guess ? guess.replace(/\//g, "\\/") + "\\?" : ">>>"} $`, "m");

Deno.test({
  name: "terminal: lesson 1 typed at the prompt — feedback, .hint, .quit, resume, to the end",
  ignore: !hasTmux,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "denotorch-home-" });
    const env = { DENOTORCH_HOME: home };
    const a = new Lesson(["1", "--lang", "en"], env);
    try {
      await a.waitFor(prompt("1"));
      // a wrong answer: what was expected, what the learner got
      const wrong = await a.enter("torch.tensor([5, 3, 0, 9])", prompt("1"));
      assert.match(
        wrong,
        /^tensor\(\[5, 3, 0, 9\]\)\nNot yet\.\n {2}Expected: an int64 tensor holding \[\[5, 3\], \[0, 9\]\]\n {2}Got: a torch\.int64 tensor of shape \(4,\): tensor\(\[5, 3, 0, 9\]\)\n\[1\.1\] >>> $/m,
      );
      await a.enter(
        ".hint",
        /^Hint 1\/2: `torch\.tensor\(data\)` builds a tensor from \(nested\) lists\.\n\[1\.1\] >>> $/m,
      );
      await a.enter("torch.tensor([[5, 3], [0, 9]])", prompt("2"));
      assert.match(a.screen(), /✓ Correct!/);
      await a.enter("const t = torch.rand(5, 4)", prompt("3"));
      await a.enter("t.device", /Got: device ✓, dtype ✗[^\n]*\n\[1\.3\] >>> $/m);
      await a.enter("t.dtype", prompt("4"));
      await a.enter("const u = torch.rand(4, 4)", /Got: there is no variable `v` yet|no variable `?v`? yet/);
      await a.enter("const v = torch.rand(4, 4)", prompt("4"));
      await a.enter("torch.cat([u, v], 0)", prompt("5"));
      await a.enter(".quit", /Progress saved\. `deno task lesson 1` resumes here\.\n\[exited 0\]/);
    } finally {
      a.close();
    }
    const progress = JSON.parse(await Deno.readTextFile(`${home}/progress.json`));
    assert.equal(progress.lessons["1"].current, "5");
    assert.deepEqual(progress.lessons["1"].status, { "1": "done", "2": "done", "3": "done", "4": "done" });
    assert.equal(progress.lessons["1"].hints["1"], 1);

    const b = new Lesson(["1", "--lang", "en"], env);
    try {
      const resumed = await b.waitFor(prompt("5"));
      assert.match(resumed, /Welcome back: resuming at exercise 5\./);
      // u and v came back (the reference answers of 1–4 ran again)
      await b.enter("torch.stack([u, v], 0)", prompt("6"));
      await b.enter("const w = torch.stack([u, v], 2)", prompt("7"));
      await b.enter("const e = w.index(3, 3, 0)", prompt("8", "a/b"));
      const guessed = await b.enter("a", prompt("9"));
      assert.match(guessed, /Running it live:\n\[ tensor\(True\), tensor\(False\) \]\n✓ Right!/);
      await b.enter("const a = torch.ones(4, 3)", /Got: .*That is the original tensor itself|Not yet\./);
      await b.enter("a.mul(a)", prompt("10"));
      await b.enter("a.unsqueeze(0)", prompt("11"));
      await b.enter("a.matmul(a.T)", prompt("12", "a/b/c"));
      const end = await b.enter("a", /^\[1 ✓\] >>> $/m);
      assert.match(end, /Lesson 1 complete!/);
      assert.match(end, /12 done, 0 guessed wrong, 0 skipped\./);
      assert.match(end, /Next: `deno task lesson 2`/);
      // the prompt stays, with the learner's variables
      await b.enter("w.shape", /^torch\.Size\(\[4, 4, 2\]\)\n\[1 ✓\] >>> $/m);
      await b.enter(".quit", /\[exited 0\]/);
    } finally {
      b.close();
    }
    const done = JSON.parse(await Deno.readTextFile(`${home}/progress.json`));
    assert.equal(done.lessons["1"].current, "end");
    assert.equal(Object.values(done.lessons["1"].status).filter((s) => s === "done").length, 12);
    await Deno.remove(home, { recursive: true });
  },
});

Deno.test({
  name: "terminal: Ctrl-C stops a runaway loop and keeps the exercise; twice on an empty line leaves",
  ignore: !hasTmux,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "denotorch-home-" });
    const t = new Lesson(["1", "--lang", "en"], { DENOTORCH_HOME: home });
    try {
      await t.waitFor(prompt("1"));
      tmux("send-keys", "-t", t.name, "-l", 'print("looping"); let n = 0; while (true) n++');
      tmux("send-keys", "-t", t.name, "Enter");
      await t.waitFor(/^looping$/m);
      await new Promise((r) => setTimeout(r, 100));
      tmux("send-keys", "-t", t.name, "C-c");
      await t.waitFor(/^KeyboardInterrupt\nInterrupted\. Your variables are still there\.\n\[1\.1\] >>> $/m);
      await t.enter("n > 1000", /^true\nNot yet\.[\s\S]*\[1\.1\] >>> $/m);
      tmux("send-keys", "-t", t.name, "C-c");
      await t.waitFor(/To leave, type \.quit or press Ctrl-C again/);
      tmux("send-keys", "-t", t.name, "C-c");
      await t.waitFor(/Progress saved[\s\S]*\[exited 0\]/);
    } finally {
      t.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});

globalThis.addEventListener("unload", () => {
  if (!hasTmux) return;
  server.close();
});
