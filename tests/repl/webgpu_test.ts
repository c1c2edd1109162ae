// The webgpu device at the prompt: an input that names it starts it; its tensors show PyTorch's text
// with their values (the session awaits the reads), in `print` too; `.device webgpu`; `--device webgpu`;
// errors stay PyTorch's one line. Without a WebGPU adapter (`await torch.webgpu.init()` says false),
// the tests that need one print why and are skipped. The readback helpers are also tried on stand-in
// tensors, which need no device.
import assert from "node:assert/strict";
import * as facade from "../../mod.ts";
import { str } from "../../mod.ts";
import { facadeGlobals, Session } from "../../lib/repl/session.ts";
import { deferPrint, deviceTensorsIn, fetchForDisplay, settlePrints } from "../../lib/repl/readback.ts";

const printed: string[] = [];
const session = new Session({
  globals: {
    ...facadeGlobals(facade as unknown as Record<string, unknown>),
    print: (...values: unknown[]) => void printed.push(values.map(str).join(" ")),
  },
});
const text = async (src: string) => (await session.evaluate(src)).text;

// The first input that names webgpu starts it (nothing here started it before): it is also the probe.
const probe = await session.evaluate("torch.webgpu.is_available()");
const gpu = probe.text === "true";
if (!gpu) {
  const why = (await session.evaluate("torch.webgpu.get_device_name()")).text.replace(
    /^.*not available: /,
    "",
  );
  console.log(`tests/repl/webgpu_test.ts: no WebGPU adapter here (${why}), so the webgpu tests are skipped`);
}

function gpuTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name: `webgpu: ${name}`, ignore: !gpu, fn, sanitizeResources: false, sanitizeOps: false });
}

Deno.test("webgpu: an input that mentions webgpu starts the device before it runs", () => {
  // not "Cannot tell whether webgpu is available before it is started"
  assert.equal(probe.ok, true, probe.text);
  assert.match(probe.text, /^(true|false)$/);
});

gpuTest("a webgpu tensor at the prompt shows PyTorch's text and its values", async () => {
  assert.equal(await text('torch.ones(2).to("webgpu").mul(3)'), "tensor([3., 3.], device='webgpu:0')");
  assert.equal(
    await text('torch.manual_seed(0); torch.rand(2, 3).to("webgpu")'),
    "tensor([[0.4963, 0.7682, 0.0885],\n        [0.1320, 0.3074, 0.6341]], device='webgpu:0')",
  );
  assert.equal(
    await text('torch.arange(3).to("webgpu").eq(1)'),
    "tensor([False,  True, False], device='webgpu:0')",
  );
  assert.equal(
    await text('torch.ones(2, { requires_grad: true }).to("webgpu").mul(2)'),
    "tensor([2., 2.], device='webgpu:0', grad_fn=<MulBackward0>)",
  );
  // inside return types, arrays and objects
  await text('const g = torch.tensor([[1, 5.5], [7, 2]]).to("webgpu")');
  assert.equal(
    await text("g.max(1)"),
    "torch.return_types.max(\nvalues=tensor([5.5000, 7.0000], device='webgpu:0'),\nindices=tensor([1, 0], device='webgpu:0'))",
  );
  assert.equal(
    await text("const [values, indices] = g.max(1); [values, indices]"),
    "[ tensor([5.5000, 7.0000], device='webgpu:0'), tensor([1, 0], device='webgpu:0') ]",
  );
  assert.equal(
    await text("({ total: g.sum(), parts: [g.mean()] })"),
    "{ total: tensor(15.5000, device='webgpu:0'), parts: [ tensor(3.8750, device='webgpu:0') ] }",
  );
  // changed in place since it was shown: read again
  await text("g.add_(1)");
  assert.equal(await text("g[0]"), "tensor([2.0000, 6.5000], device='webgpu:0')");
  // a new storage under the same tensor (its version may equal the old one's): read again
  assert.equal(
    await text('const swapped = torch.zeros(2).to("webgpu"); swapped'),
    "tensor([0., 0.], device='webgpu:0')",
  );
  assert.equal(
    await text('swapped.data = torch.ones(2).to("webgpu"); swapped'),
    "tensor([1., 1.], device='webgpu:0')",
  );
  // the values stay on the device; the async reads give them
  assert.deepEqual((await session.evaluate("await g.tolist_async()")).value, [[2, 6.5], [8, 3]]);
  assert.equal(await text('await g.sum().to_async("cpu")'), "tensor(19.5000)");
});

gpuTest("print shows the values as they were at the call, in order, before the value", async () => {
  printed.length = 0;
  const r = await session.evaluate(
    'const w = torch.tensor([1, 2.5]).to("webgpu"); print("w:", w); w.add_(1); print(w); ' +
      'for (let i = 0; i < 2; i++) { print(i, w.sum()); w.mul_(2) }; print("end"); w',
  );
  assert.equal(r.text, "tensor([ 8., 14.], device='webgpu:0')");
  assert.deepEqual(printed, [
    "w: tensor([1.0000, 2.5000], device='webgpu:0')",
    "tensor([2.0000, 3.5000], device='webgpu:0')",
    "0 tensor(5.5000, device='webgpu:0')",
    "1 tensor(11., device='webgpu:0')",
    "end",
  ]);
  // a print with no device tensor writes at once, as before
  printed.length = 0;
  await session.evaluate('print("plain"); print(torch.ones(1))');
  assert.deepEqual(printed, ["plain", "tensor([1.])"]);
});

gpuTest(".device webgpu makes it the default device; .device cpu goes back", async () => {
  assert.match(await text(".device webgpu"), /^default device: webgpu:0 \(.+\)$/);
  assert.equal(await text("torch.zeros(2)"), "tensor([0., 0.], device='webgpu:0')");
  assert.match(await text(".device"), /^default device: webgpu:0\n {2}cpu: .+\n {2}webgpu: .+/);
  assert.match(await text(".device cpu"), /^default device: cpu /);
  assert.equal(await text("torch.zeros(2)"), "tensor([0., 0.])");
});

gpuTest("errors stay PyTorch's: one line, naming the async reads, no stack into tfjs", async () => {
  await text('const x = torch.ones(2).to("webgpu")');
  const errors = {
    "x.sum().item()": "RuntimeError: item() cannot read a tensor on webgpu:0 synchronously " +
      "(Deno's WebGPU has no synchronous readback): use `await t.item_async()`",
    "x.tolist()": "RuntimeError: tolist() cannot read a tensor on webgpu:0 synchronously " +
      "(Deno's WebGPU has no synchronous readback): use `await t.tolist_async()`",
    'x.to("cpu")': "RuntimeError: Cannot copy a tensor from webgpu:0 to the cpu synchronously " +
      '(Deno\'s WebGPU has no synchronous readback): use `await t.to_async("cpu")`',
    "x.add(torch.ones(2))":
      "RuntimeError: Expected all tensors to be on the same device, but found at least two devices, webgpu:0 and cpu!",
    'torch.ones(1).to("webgpu:1")':
      "RuntimeError: Cannot use device webgpu:1 as it does not exist: the only webgpu device is webgpu:0",
    "x.mul(torch.ones(3).to('webgpu'))":
      "RuntimeError: The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
  };
  for (const [src, want] of Object.entries(errors)) {
    const r = await session.evaluate(src);
    assert.equal(r.ok, false, src);
    assert.equal(r.text, want, src);
  }
  assert.equal(await text("await x.sum().item_async()"), "2");
});

gpuTest("a module on webgpu shows its structure; its parameters are not read for that", async () => {
  await text('const lin = nn.Linear(3, 2).to("webgpu")');
  const lin = (globalThis as Record<string, unknown>).lin;
  assert.deepEqual(deviceTensorsIn(lin), []);
  assert.equal(await text("lin"), "Linear(in_features=3, out_features=2, bias=True)");
  assert.match(
    await text("lin.bias"),
    /^Parameter containing:\ntensor\(\[.+\], device='webgpu:0', requires_grad=True\)$/,
  );
});

gpuTest("`deno task repl --device webgpu` starts the device at launch, piped", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-write", "--allow-net=127.0.0.1", "repl/main.ts"]
      .concat(["--device", "webgpu"]),
    cwd: new URL("../../", import.meta.url),
    env: { DENOTORCH_HISTORY: "", NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode('torch.ones(2).mul(3)\nprint(torch.arange(2).to("webgpu"))\n'));
  await w.close();
  const out = await child.output();
  const d = new TextDecoder();
  assert.equal(d.decode(out.stderr), "");
  assert.match(
    d.decode(out.stdout),
    /^default device: webgpu:0 \(.+\)\ntensor\(\[3\., 3\.\], device='webgpu:0'\)\ntensor\(\[0, 1\], device='webgpu:0'\)\n$/,
  );
  assert.equal(out.code, 0);
});

// ---- the readback helpers, on stand-ins (no device needed) ---------------------------------------

/** A stand-in for a webgpu tensor: its read takes `ms`, and it prints its values once read. */
class FakeTensor {
  readonly device = { type: "webgpu" };
  _version = 0;
  _shown: { version: number; data: number } | null = null;
  reads = 0;
  constructor(public value: number, readonly ms = 5) {}
  _fetchForDisplay(): Promise<void> {
    const version = this._version;
    const data = this.value;
    this.reads++;
    return new Promise((r) => setTimeout(r, this.ms)).then(() => void (this._shown = { version, data }));
  }
  set(v: number): void {
    this.value = v;
    this._version++;
  }
  detach(): { clone(): FakeTensor } {
    return { clone: () => new FakeTensor(this.value, this.ms) };
  }
  toString(): string {
    return this._shown?.version === this._version ? `T(${this._shown.data})` : "T(<not read>)";
  }
}

Deno.test("readback: the device tensors a value shows, and only those", () => {
  const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((v) => new FakeTensor(v));
  const returnTypes = { 0: d, 1: e, length: 2, [Symbol.for("Deno.customInspect")]: () => "rt" };
  const module = { weight: new FakeTensor(6), [Symbol.for("Deno.customInspect")]: () => "Linear()" };
  const found = deviceTensorsIn([a, { b, deep: [new Map([["k", c]])] }, returnTypes, module, a]);
  assert.deepEqual(found, [a, b, c, d, e]);
  assert.deepEqual(deviceTensorsIn({ x: { y: { z: { w: { v: { u: a } } } } } }), []); // past the display's depth
  const cpu = { device: { type: "cpu" }, _fetchForDisplay: () => Promise.resolve(), _version: 0 };
  assert.deepEqual(deviceTensorsIn([cpu, 1, "s", null]), []);
});

Deno.test("readback: fetchForDisplay reads every tensor shown, once", async () => {
  const a = new FakeTensor(1);
  await fetchForDisplay({ a, again: [a] });
  assert.equal(a.reads, 1);
  assert.equal(String(a), "T(1)");
});

Deno.test("readback: deferred prints keep their order and show the values at the call", async () => {
  const out: string[] = [];
  const print = deferPrint((...v: unknown[]) => void out.push(v.map(String).join(" ")));
  const slow = new FakeTensor(1, 30);
  const fast = new FakeTensor(2, 1);
  print("first", slow);
  slow.set(10); // changed before its read completed: the copy made at the call prints
  print("second", fast);
  print("third");
  assert.deepEqual(out, []); // waiting for the reads
  await settlePrints();
  assert.deepEqual(out, ["first T(1)", "second T(2)", "third"]);
  print("now"); // nothing waits: at once
  assert.deepEqual(out.at(-1), "now");
});

Deno.test("readback: a deferred print that throws is reported once by settlePrints", async () => {
  const print = deferPrint(() => {
    throw new RangeError("closed");
  });
  print(new FakeTensor(1));
  await assert.rejects(settlePrints(), /closed/);
  await settlePrints(); // reported once
});
