// The REPL engine as a library: evaluation, display, errors, completion, help, commands, the guard.
import assert from "node:assert/strict";
import * as facade from "../../mod.ts";
import { facadeGlobals, Session } from "../../lib/repl/session.ts";
import { display, formatError } from "../../lib/repl/display.ts";
import { Guard, KeyboardInterrupt, Watchdog } from "../../lib/repl/guard.ts";
import { timeit } from "../../lib/repl/commands.ts";

const session = new Session({ globals: facadeGlobals(facade as unknown as Record<string, unknown>) });
const text = async (src: string) => (await session.evaluate(src)).text;

Deno.test("evaluate: values show as PyTorch prints them", async () => {
  assert.equal(
    await text("torch.manual_seed(0); torch.rand(2, 3)"),
    "tensor([[0.4963, 0.7682, 0.0885],\n        [0.1320, 0.3074, 0.6341]])",
  );
  assert.equal(await text("torch.ones(2, 3).shape"), "torch.Size([2, 3])");
  assert.equal(await text("torch.tensor([1, 2]).dtype"), "torch.int64");
  assert.equal(await text("torch.ones(1).device"), "device(type='cpu')");
  assert.equal(await text("1 + 1"), "2");
  assert.equal(await text("'abc'"), '"abc"');
  assert.equal(await text("{ a: 1 }"), "{ a: 1 }"); // an object literal, not a block
  assert.equal(await text("undefined"), ""); // as Python shows nothing for None
  assert.equal(await text("const q = 5"), ""); // declarations show nothing
});

Deno.test("evaluate: declarations persist, may be declared again, closures see later values", async () => {
  await text("const a = torch.ones(4, 3)");
  assert.equal(await text("a.matmul(a.T).sum().item()"), "48");
  await text("const f = () => a");
  await text("const a = 5");
  assert.equal(await text("f()"), "5");
  await text("let a = 7");
  assert.equal(await text("f()"), "7");
  await text("class Point { x = 1 }");
  await text("class Point { y = 2 }");
  assert.equal(await text("new Point().y"), "2");
  await text("function twice(n: number): number { return 2 * n }");
  assert.equal(await text("twice(21)"), "42");
  assert.equal(
    await text("const [values, indices] = torch.tensor([[1, 5], [7, 2]]).max(1); values"),
    "tensor([5, 7])",
  );
  assert.equal(await text("indices"), "tensor([1, 0])");
});

Deno.test("evaluate: top-level await, and promises are awaited for the user", async () => {
  assert.equal(await text("await Promise.resolve(41) + 1"), "42");
  assert.equal(await text("Promise.resolve('done')"), '"done"');
  assert.equal(await text("const r = await Promise.resolve(3); r * 2"), "6");
});

Deno.test("evaluate: errors are one line with Python's class name; .trace has the stack", async () => {
  const r = await session.evaluate("torch.ones(4, 3).mul(torch.ones(3, 4))");
  assert.equal(r.ok, false);
  assert.equal(
    r.text,
    "RuntimeError: The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
  );
  const trace = await text(".trace");
  assert.match(trace, /^RuntimeError: The size of tensor a/);
  assert.match(trace, /\n\s+at /);
  assert.equal(await text("nope.x"), "ReferenceError: nope is not defined");
  assert.equal(await text("a b"), "SyntaxError: Unexpected identifier 'b'");
  assert.equal(await text("throw 5"), "Uncaught 5");
  const unshowable = "({ [Symbol.for('Deno.customInspect')]() { throw new RangeError('no text') } })";
  assert.equal(await text(unshowable), "RangeError: no text");
  assert.equal(formatError(new KeyboardInterrupt("")), "KeyboardInterrupt");
});

Deno.test("evaluate: exit() ends the session with its status", async () => {
  assert.equal((await session.evaluate("exit(3)")).exit, 3);
  assert.equal((await session.evaluate(".exit")).exit, 0);
});

Deno.test("display: plain JavaScript values", () => {
  assert.equal(display(undefined), "");
  // PyTorch's None (`w.grad` before backward, `optimizer.step()`): Python's prompt shows nothing
  assert.equal(display(null), "");
  assert.equal(display([1, null]), "[ 1, null ]");
  assert.equal(display([1, "a"]), '[ 1, "a" ]');
  assert.equal(display("x\ny"), '"x\\ny"');
});

Deno.test("complete: globals, members, commands", async () => {
  assert.deepEqual(session.complete("torc").items, ["torch", "torchvision"]);
  await session.evaluate("const tt = torch.ones(2)");
  assert.deepEqual(session.complete("tt.su"), {
    from: 3,
    items: ["sub", "sub_", "subtract", "subtract_", "sum"],
  });
  assert.deepEqual(session.complete("x = tt.shape.len").items, ["length"]);
  assert.ok(session.complete("torch.manual_s").items.includes("manual_seed"));
  assert.deepEqual(session.complete(".ti").items, [".time", ".timeout"]);
  assert.deepEqual(session.complete(".device w").items, ["webgpu"]);
  assert.deepEqual(session.complete("'tor").items, []); // inside a string
  assert.deepEqual(session.complete("f().su").items, []); // the type of a call is unknown
  assert.ok(!session.complete("").items.includes("__repl")); // underscore names stay hidden
});

Deno.test("help: PyTorch's documentation of functions, methods and classes", async () => {
  const cat = await text("help(torch.cat)");
  assert.match(cat, /^torch\.cat/);
  assert.match(cat, /cat\(tensors, dim=0, \*, out=None\) -> Tensor/);
  assert.match(cat, /trailing object/);
  assert.equal(await text("torch.cat?"), cat);
  // a method: "See torch.sum" is followed
  assert.match(await text("help(torch.ones(1).sum)"), /Returns the sum of all elements/);
  assert.match(await text("help()"), /help\(torch\.cat\)/);
  assert.match(await text(".help"), /\.time <expr>/);
  assert.deepEqual((await session.evaluate("dir(torch.ones(1)).filter((n) => n.startsWith('su'))")).value, [
    "sub",
    "sub_",
    "subtract",
    "subtract_",
    "sum",
  ]);
});

Deno.test("commands: .device, .memory, .time", async () => {
  assert.match(
    await text(".device"),
    /^default device: cpu\n {2}cpu: TensorFlow\.js's \w+ backend\n {2}webgpu: /,
  );
  // started by .device webgpu (tests/repl/webgpu_test.ts tries it with and without an adapter)
  assert.match(await text(".device webgpu"), /^default device: webgpu:0 \(|^webgpu is not available: /);
  assert.equal(
    await text(".device cpu"),
    `default device: cpu (TensorFlow.js's ${facade.torch.backend()} backend)`,
  );
  assert.equal(await text("torch.ones(1).device"), "device(type='cpu')");
  assert.match(await text(".device cuda"), /choose cpu or webgpu \(this engine's GPU device is 'webgpu'\)/);
  assert.match(await text(".memory"), /^engine \(\w+\): \d+ tensors, /);
  const t = await timeit(session, "torch.ones(8).add(1)", 0.005);
  assert.match(
    t,
    /^\d+(\.\d+)? (ns|µs|ms) per loop \(median of 7 runs, [\d,]+ loops? each; fastest .*, slowest .*\)$/,
  );
  assert.match(await text(".time"), /usage: \.time/);
  assert.match(await text(".nope"), /unknown command \.nope/);
});

Deno.test("commands: .save writes the inputs that ran, .load runs a file with its imports", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s2 = new Session();
    await s2.evaluate("const saved1 = 20");
    await s2.evaluate("oops(");
    await s2.evaluate("const saved2 = saved1 + 1");
    await s2.evaluate(`.save ${dir}/s.ts`);
    const file = await Deno.readTextFile(`${dir}/s.ts`);
    assert.match(file, /const saved1 = 20\nconst saved2 = saved1 \+ 1\n$/);
    await Deno.writeTextFile(`${dir}/helper.ts`, "export const helperValue: number = 2;\n");
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      'import { helperValue } from "./helper.ts";\nconst loaded = helperValue * saved2;\nfunction later() { return loaded }\n',
    );
    const r = await s2.evaluate(`.load ${dir}/main.ts`);
    assert.equal(r.ok, true, r.text);
    assert.equal((await s2.evaluate("later()")).text, "42");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("guard: a loop stops when interrupted while the input awaits, and the session lives", async () => {
  const s = new Session();
  setTimeout(() => s.interrupt(), 50);
  const r = await s.evaluate(
    "let turns = 0; while (true) { turns++; await new Promise((r) => setTimeout(r, 1)) }",
  );
  assert.equal(r.text, "KeyboardInterrupt");
  assert.equal((await s.evaluate("turns > 0")).text, "true");
  setTimeout(() => s.interrupt(), 50);
  assert.equal((await s.evaluate("await new Promise(() => {})")).text, "KeyboardInterrupt");
});

Deno.test("guard: the time guard stops a synchronous runaway loop, not a shorter one", async () => {
  const guard = new Guard();
  const watchdog = new Watchdog(guard);
  await watchdog.ready;
  const s = new Session({ guard, watchdog, timeLimit: 0.3 });
  try {
    const t0 = performance.now();
    const r = await s.evaluate("let spins = 0; for (;;) spins++");
    assert.match(r.text, /^TimeoutError: the input ran past the time guard of 0\.3 s/);
    assert.ok(performance.now() - t0 < 3000);
    assert.equal((await s.evaluate("spins > 0")).text, "true");
    // a loop that finishes in time is left alone, also one that catches the first error
    assert.equal(
      (await s.evaluate("let k = 0; const end = Date.now() + 100; while (Date.now() < end) k++; 1")).text,
      "1",
    );
    const caught = await s.evaluate("while (true) { try { for (;;) {} } catch (e) { } }");
    assert.match(caught.text, /^TimeoutError/);
    s.timeLimit = 0;
    assert.equal((await s.evaluate("2 + 2")).text, "4");
  } finally {
    s.close();
  }
});
