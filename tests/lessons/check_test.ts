// The non-interactive mode (`lesson.ts --check`) over every lesson, in both languages: each
// exercise's reference answer passes its checker, its wrong answers are refused, every guess is
// right about the live outcome. Lesson 3 trains on a few FakeData batches (the real run is
// interactive). Also: what `deno run lesson.ts` without permissions says.
import assert from "node:assert/strict";
import { LESSONS } from "../../lessons/content/mod.ts";

const root = new URL("../../", import.meta.url).pathname;
const PERMS = ["--allow-read", "--allow-write", "--allow-env", "--allow-net"];

async function lesson(args: string[], perms = PERMS, env: Record<string, string> = {}) {
  const home = await Deno.makeTempDir({ prefix: "denotorch-home-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...perms, "lesson.ts", ...args],
      cwd: root,
      env: { DENOTORCH_HOME: home, NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test({
  name: "--check: every exercise of every lesson passes, in Chinese and in English",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t0 = performance.now();
    // the two languages in parallel: each is one process
    const [zh, en] = await Promise.all(
      (["zh", "en"] as const).map((lang) => lesson(["--check", "--lang", lang, "--train-steps", "60"])),
    );
    const seconds = (performance.now() - t0) / 1000;
    for (const [lang, r] of [["zh", zh], ["en", en]] as const) {
      const failed = r.stdout.split("\n").filter((l) => l.startsWith("✗"));
      assert.equal(r.code, 0, `${lang}: ${failed.join("\n")}\n${r.stdout.slice(-3000)}\n${r.stderr}`);
      for (const l of LESSONS) {
        for (const e of l.exercises) {
          assert.match(r.stdout, new RegExp(`^✓ ${l.n}\\.${e.id} +${e.kind} +${escape(e.title[lang])}`, "m"));
        }
      }
      const total = LESSONS.reduce((n, l) => n + l.exercises.length, 0);
      assert.match(
        r.stdout,
        new RegExp(`^${total} passed, 0 failed, ${total} exercises \\(lang ${lang}, `, "m"),
      );
      assert.match(r.stdout, /✓ 3\.4 .*\(60 batches of FakeData, not 2 epochs; tested on 400 images\)/);
    }
    console.log(
      `--check, both languages in parallel: ${seconds.toFixed(1)} s; ${en.stdout.trim().split("\n").pop()}`,
    );
  },
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

Deno.test("without permissions, `deno run lesson.ts 1` says what it needs and the command to use", async () => {
  const r = await lesson(["1"], []);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /deno task lesson 1/);
  assert.match(r.stderr, /deno run --allow-read --allow-write --allow-env --allow-net lesson\.ts 1/);
  assert.equal(r.stdout, "");
});

Deno.test("a lesson that does not exist lists the lessons; --help; a bad --lang", async () => {
  const r = await lesson(["9", "--lang", "en"]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /There is no lesson 9\. The lessons:\n {2}0 {2}Quick start/);
  assert.match(r.stdout, / {2}3 {2}Training a classifier \(CIFAR-10\)/);
  const h = await lesson(["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /usage: deno task lesson \[N\]/);
  const bad = await lesson(["1", "--lang", "fr"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stdout, /--lang expects zh or en/);
});
