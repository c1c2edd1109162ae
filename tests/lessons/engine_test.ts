// The lesson engine in-process: feedback (expected vs got), bad input, commands, rebuilding state,
// progress (atomic, merged, resumed), and the text helpers. The self-check of every exercise is
// check_test.ts; the terminal is terminal_test.ts.
import assert from "node:assert/strict";
import * as facade from "../../mod.ts";
import { facadeGlobals, Session } from "../../lib/repl/mod.ts";
import { LessonRunner, Scope } from "../../lessons/engine.ts";
import { ProgressStore } from "../../lessons/progress.ts";
import { LogIO } from "../../lessons/selfcheck.ts";
import { LESSONS } from "../../lessons/content/mod.ts";
import { lesson1 } from "../../lessons/content/lesson1.ts";
import { localeLang } from "../../lessons/i18n.ts";
import { bar, curve, duration, progressLine } from "../../lessons/chart.ts";
import { wrap } from "../../lessons/ui.ts";
import type { Lang, Lesson, RunOptions } from "../../lessons/types.ts";

const root = new URL("../../", import.meta.url).pathname;
const session = new Session({ globals: facadeGlobals(facade as unknown as Record<string, unknown>) });
const scope = new Scope();
const options: RunOptions = { mode: "interactive", trainSteps: 10, data: "fake", root };

function runner(lesson: Lesson, opts: { lang?: Lang; store?: ProgressStore; answers?: string[] } = {}) {
  const io = new LogIO(opts.answers ?? [], true);
  const store = opts.store ?? new ProgressStore(null);
  const r = new LessonRunner(lesson, { lang: opts.lang ?? "en", io, store, session, scope, options });
  return { r, io, store };
}

const g = globalThis as unknown as Record<string, unknown>;

Deno.test("every lesson: ids unique, texts in both languages, the seed's counts", () => {
  const counts = LESSONS.map((l) => l.exercises.length);
  assert.deepEqual(LESSONS.map((l) => l.n), [0, 1, 2, 3]);
  assert.equal(counts[1], 12);
  assert.equal(counts[2], 35, "34 and 26's follow-up (26b)");
  assert.equal(counts[3], 4, "3 and the training run");
  for (const l of LESSONS) {
    const ids = l.exercises.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, `lesson ${l.n}: unique ids`);
    for (const e of l.exercises) {
      for (const lang of ["zh", "en"] as const) {
        assert.ok(e.title[lang] && e.text[lang] && e.hints.every((h) => h[lang]), `${l.n}.${e.id} ${lang}`);
      }
    }
  }
  const seedIds = [...Array(34).keys()].map((i) => String(i + 1));
  assert.deepEqual(LESSONS[2].exercises.map((e) => e.id).filter((id) => id !== "26b"), seedIds);
});

Deno.test("a wrong answer shows expected vs got; the exercise stays", async () => {
  const { r, io } = runner(lesson1);
  await r.open();
  io.take();
  assert.equal(await r.submit("torch.tensor([5, 3, 0, 9])"), "failed");
  const out = io.take();
  assert.match(out, /Not yet\./);
  assert.match(out, /Expected: an int64 tensor holding \[\[5, 3\], \[0, 9\]\]/);
  assert.match(out, /Got: a torch\.int64 tensor of shape \(4,\): tensor\(\[5, 3, 0, 9\]\)/);
  assert.equal(r.exercise?.id, "1");
  // the value came from the learner's own input, in Chinese too
  const zh = runner(lesson1, { lang: "zh" });
  await zh.r.open();
  zh.io.take();
  await zh.r.submit("torch.tensor([[5, 3], [0, 9]], { dtype: torch.float32 })");
  assert.match(zh.io.take(), /还不对。[\s\S]*期望:[\s\S]*得到:.*float32/);
});

Deno.test("bad input: syntax error, thrown error, undefined — a friendly message and the same exercise", async () => {
  const { r, io } = runner(lesson1);
  await r.open();
  io.take();
  assert.equal(await r.submit("torch.tensor([[5, 3], [0, 9]"), "error");
  assert.match(io.take(), /SyntaxError[\s\S]*A syntax error/);
  assert.equal(await r.submit("torch.nope(1)"), "error");
  assert.match(io.take(), /TypeError: torch\.nope is not a function[\s\S]*still waiting/);
  assert.equal(await r.submit("undefined"), "failed");
  assert.match(io.take(), /gave no value \(undefined\)/);
  assert.equal(await r.submit("exit_me"), "error");
  assert.equal(r.exercise?.id, "1");
  // a declaration alone is judged on the variable it made
  assert.equal(await r.submit("const mine = torch.tensor([[5, 3], [0, 9]])"), "passed");
  assert.equal(r.exercise?.id, "2");
});

Deno.test(".hint one at a time, .solution only after an attempt, unknown commands, REPL commands", async () => {
  const { r, io, store } = runner(lesson1);
  await r.open();
  io.take();
  await r.submit(".solution");
  assert.match(io.take(), /Try first/);
  await r.submit(".hint");
  assert.match(io.take(), /^Hint 1\/2: /m);
  await r.submit(".hint");
  assert.match(io.take(), /^Hint 2\/2: torch\.tensor/m);
  await r.submit(".hint");
  assert.match(io.take(), /No more hints/);
  assert.equal(store.get(1).hints["1"], 2);
  await r.submit("1 + 1");
  await r.submit(".solution");
  assert.match(io.take(), /Reference answer:\n {4}torch\.tensor\(\[\[5, 3\], \[0, 9\]\]\)\nIn PyTorch:/);
  await r.submit(".frobnicate");
  assert.match(io.take(), /unknown command \.frobnicate/);
  await r.submit(".time 1 + 1");
  assert.match(io.take(), /per loop/);
  await r.submit(".help");
  assert.match(io.take(), /\.goto k/);
});

Deno.test(".skip runs the reference answer; .goto and .back rebuild the state; .list shows statuses", async () => {
  const { r, io, store } = runner(lesson1);
  await r.open();
  await r.submit(".skip");
  assert.equal(r.exercise?.id, "2");
  await r.submit(".skip"); // t exists now: exercise 3 can use it
  assert.ok(g.t instanceof facade.Tensor);
  assert.equal(await r.submit("[t.device, t.dtype]"), "passed");
  await r.submit(".goto 9");
  assert.equal(r.exercise?.id, "9");
  for (const name of ["u", "v", "w", "e"]) assert.ok(g[name] instanceof facade.Tensor, `${name} rebuilt`);
  assert.equal(g.a, undefined, "nothing from later exercises");
  await r.submit(".back");
  assert.equal(r.exercise?.id, "8");
  io.take();
  await r.submit(".list");
  const list = io.take();
  assert.match(list, /» +1 {2}A list into a tensor {2}\(skipped\)/);
  assert.match(list, /✓ +3 {2}Device and dtype {2}\(done\)/);
  assert.match(list, /▶ · +8 /);
  assert.equal(store.get(1).current, "8");
  await r.submit(".goto 99");
  assert.match(io.take(), /There is no exercise 99/);
});

Deno.test("guesses: letters only, judged on the live outcome; a wrong guess shows what happened", async () => {
  const { r, io, store } = runner(lesson1);
  await r.open();
  await r.submit(".goto 12");
  io.take();
  assert.equal(await r.submit("a.mul(a)"), "idle");
  assert.match(io.take(), /Answer with a, b, c/);
  assert.equal(await r.submit("c"), "finished");
  const out = io.take();
  assert.match(out, /Running it live:\ntensor\(\[\[1\., 1\., 1\.\],/);
  assert.match(out, /Not quite: you said \(c\); what really happened matches \(a\)\./);
  assert.match(
    out,
    /RuntimeError: The size of tensor a \(3\) must match the size of tensor b \(4\)/,
    "the demo ran live",
  );
  assert.equal(store.get(1).status["12"], "missed");
  assert.equal(store.get(1).current, "end");
});

Deno.test(".reset asks first; yes clears the lesson's progress", async () => {
  const store = new ProgressStore(null);
  const { r, io } = runner(lesson1, { store, answers: ["n", "y"] });
  await r.open();
  await r.submit("torch.tensor([[5, 3], [0, 9]])");
  await r.submit(".reset");
  assert.match(io.take(), /Reset lesson 1's progress[\s\S]*Not reset\./);
  assert.equal(store.get(1).status["1"], "done");
  await r.submit(".reset");
  assert.match(io.take(), /Lesson 1's progress is cleared/);
  assert.deepEqual(store.get(1).status, {});
  assert.equal(r.exercise?.id, "1");
});

Deno.test("progress: saved atomically, merged with other lessons' entries, resumed with the state rebuilt", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = new ProgressStore(dir);
    const { r } = runner(lesson1, { store: a });
    await r.open();
    await r.submit("torch.tensor([[5, 3], [0, 9]])");
    await r.submit("const t = torch.rand(5, 4)");
    // another process saved lesson 2 meanwhile
    const b = new ProgressStore(dir);
    b.get(2).status["1"] = "done";
    b.save(2);
    a.save(1);
    const onDisk = JSON.parse(await Deno.readTextFile(`${dir}/progress.json`));
    assert.equal(onDisk.lessons["1"].current, "3");
    assert.equal(onDisk.lessons["2"].status["1"], "done", "the other lesson's entry survives");
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["progress.json"],
      "no temporary file left",
    );
    // a new process: resumes at 3, with t rebuilt from exercise 2's reference answer
    delete g.t;
    const again = runner(lesson1, { store: new ProgressStore(dir) });
    await again.r.open();
    assert.equal(again.r.exercise?.id, "3");
    assert.match(again.io.take(), /Welcome back: resuming at exercise 3/);
    assert.ok(g.t instanceof facade.Tensor);
    // a damaged file is set aside, not fatal
    await Deno.writeTextFile(`${dir}/progress.json`, "{ not json");
    const fresh = new ProgressStore(dir);
    assert.deepEqual(fresh.get(1).status, {});
    assert.ok(Deno.statSync(`${dir}/progress.json.damaged`).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the scope: lesson globals are removed on rebuild, the facade's names restored", async () => {
  const { r } = runner(lesson1);
  await r.open();
  await r.submit("const torch = 5; const mine = 1");
  assert.equal(g.torch, 5);
  await r.submit(".goto 1");
  assert.equal(g.torch, facade.torch);
  assert.equal(g.mine, undefined);
});

Deno.test("the locale picks the language", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  assert.equal(localeLang(env({ LANG: "zh_CN.UTF-8" })), "zh");
  assert.equal(localeLang(env({ LC_ALL: "en_US.UTF-8", LANG: "zh_CN.UTF-8" })), "en");
  assert.equal(localeLang(env({ LC_ALL: "zh_TW" })), "zh");
  assert.equal(localeLang(env({})), "en");
});

Deno.test("text pictures: bars, durations, the progress line, the loss curve; wrapping", () => {
  assert.equal(bar(0.5, 4), "██░░");
  assert.equal(bar(1, 3), "███");
  assert.equal(duration(65), "1:05");
  assert.equal(duration(3723), "1:02:03");
  assert.match(
    progressLine({
      epoch: 1,
      epochs: 2,
      step: 50,
      steps: 100,
      loss: 1.5,
      imagesPerSecond: 400,
      etaSeconds: 30,
    }),
    /^epoch 1\/2 \[█+░+\] {2}50% 50\/100 · loss 1\.500 · 400 img\/s · ETA 0:30$/,
  );
  const c = curve([3, 2, 1], { width: 3, height: 2, xMax: 300, xLabel: "steps" });
  assert.equal(c.length, 4);
  assert.match(c[0], /^3\.000 ┤█/);
  assert.match(c[3], /300 steps$/);
  assert.equal(wrap("aaa bbb ccc ddd eee fff ggg", 20), "aaa bbb ccc ddd eee\nfff ggg");
  assert.equal(wrap("    code lines are never wrapped, however long they are", 20).split("\n").length, 1);
  assert.ok(
    wrap("中文句子会在任何汉字之间换行,只要超过宽度就换到下一行去", 20).split("\n").every((l) =>
      l.length <= 10
    ),
  );
  assert.equal(wrap("see `a long inline code span` here ok", 26), "see\n`a long inline code span`\nhere ok");
});
