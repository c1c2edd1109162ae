// `repl/main.ts` end to end with piped stdin: scriptable, line by line, results on stdout.
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);
const MAIN = ["run", "--allow-read", "--allow-env", "--allow-write", "--allow-net=127.0.0.1", "repl/main.ts"];

async function repl(
  input: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...MAIN, ...args],
    cwd: root,
    env: { DENOTORCH_HISTORY: "", NO_COLOR: "1", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input));
  await w.close();
  const { code, stdout, stderr } = await child.output();
  const d = new TextDecoder();
  return { code, stdout: d.decode(stdout), stderr: d.decode(stderr) };
}

Deno.test("piped: each line is evaluated and its value printed; errors go to stderr, status 1", async () => {
  const r = await repl(
    [
      "torch.manual_seed(0); torch.rand(5, 4).shape",
      "const a = torch.ones(4, 3)",
      "a.matmul(a.T)",
      "a.mul(a.T)",
      "const f = (x: number) => {",
      "  return x * 2",
      "}",
      "f(21)",
      'print("hi", a.shape)',
      "",
    ].join("\n"),
  );
  assert.equal(
    r.stdout,
    [
      "torch.Size([5, 4])",
      "tensor([[3., 3., 3., 3.],",
      "        [3., 3., 3., 3.],",
      "        [3., 3., 3., 3.],",
      "        [3., 3., 3., 3.]])",
      "42",
      "hi torch.Size([4, 3])",
      "",
    ].join("\n"),
  );
  assert.equal(
    r.stderr,
    "RuntimeError: The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1\n",
  );
  assert.equal(r.code, 1);
});

Deno.test("piped: a clean run exits 0; exit(n) exits n; an unfinished input at EOF is an error", async () => {
  assert.equal((await repl("1 + 1\n")).code, 0);
  const e = await repl("print(1)\nexit(3)\nprint(2)\n");
  assert.equal(e.stdout, "1\n");
  assert.equal(e.code, 3);
  const u = await repl("foo(\n");
  assert.equal(u.code, 1);
  assert.match(u.stderr, /^SyntaxError: /);
});

Deno.test("piped: --seed, and a script argument whose variables stay (python -i)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/setup.ts`,
      "const w: number = 6;\nfunction times(x: number) { return x * w }\n",
    );
    const r = await repl("times(7)\ntorch.rand(2)\n", ["--seed", "0", `${dir}/setup.ts`]);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "42\ntensor([0.4963, 0.7682])\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("piped: --help, bad flags, --device", async () => {
  const h = await repl("", ["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^usage: deno task repl/);
  const bad = await repl("", ["--nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /nope/);
  const cuda = await repl("", ["--device", "cuda"]);
  assert.equal(cuda.code, 2);
  assert.equal(
    cuda.stderr,
    "Error: unknown device 'cuda': choose cpu or webgpu (this engine's GPU device is 'webgpu')\n",
  );
  // no adapter (wgpu has no dx12 on Linux): it says why and stays on the cpu (webgpu_test.ts: with one)
  const none = await repl("torch.ones(1).device\ntorch.webgpu.is_available()\n", ["--device", "webgpu"], {
    DENO_WEBGPU_BACKEND: "dx12",
  });
  assert.equal(none.stderr, "");
  assert.match(
    none.stdout,
    /^webgpu is not available: no WebGPU adapter was found[^\n]*\ndefault device: cpu\n/,
  );
  assert.match(none.stdout, /\ndevice\(type='cpu'\)\nfalse\n$/);
  assert.equal(none.code, 0);
});

Deno.test("piped: errors thrown later (timers, unawaited promises) are reported and the session lives", async () => {
  const r = await repl(
    [
      'setTimeout(() => { throw new Error("late") }, 5); 1',
      "await new Promise((r) => setTimeout(r, 50))",
      'Promise.reject(new RangeError("nope")); 2',
      "await new Promise((r) => setTimeout(r, 20))",
      "torch.ones(2).add(1)",
      "",
    ].join("\n"),
  );
  assert.equal(r.stdout, "1\n2\ntensor([2., 2.])\n");
  assert.equal(r.stderr, "Error: late\nRangeError: nope (in a promise nobody awaited)\n");
});
