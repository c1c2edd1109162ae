/**
 * Writes `lib/repl/help_docs.json` (with `gen_help.py`), what `help(torch.cat)` shows: PyTorch's
 * own docstrings (PyTorch is this project's specification) for every name the
 * facade exposes — `torch.*`, `Tensor.*` and, once they exist, `nn.*`, `F.*`,
 * `optim.*` — plus the `nn`/`F`/`optim` names the lessons use. Needs real
 * PyTorch (Debian's: `apt-get install python3-torch`, run with /usr/bin/python3).
 *
 *   deno run --allow-read --allow-env --allow-run --allow-write=lib/repl repl/gen_help.ts
 * @module
 */
import * as denotorch from "../mod.ts";

const ns = denotorch as unknown as Record<string, unknown>;
const torch = ns.torch as Record<string, unknown>;
const names = new Set<string>();

for (const k of Object.keys(torch)) {
  if (!k.startsWith("_") && typeof torch[k] === "function") names.add(`torch.${k}`);
}
for (let p = denotorch.Tensor.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
  for (const k of Object.getOwnPropertyNames(p)) {
    if (!k.startsWith("_") && k !== "constructor") names.add(`Tensor.${k}`);
  }
}
const sub = (o: unknown): Record<string, unknown> => (o ?? {}) as Record<string, unknown>;
const spaces: [string, Record<string, unknown>][] = [
  ["nn", sub(ns.nn ?? torch.nn)],
  ["F", sub(ns.F ?? sub(torch.nn).functional)],
  ["optim", sub(ns.optim ?? torch.optim)],
];
for (const [prefix, o] of spaces) {
  for (const k of Object.keys(o)) if (!k.startsWith("_")) names.add(`${prefix}.${k}`);
}
// what the lessons use, documented before the facade has it
for (
  const n of [
    "torch.no_grad",
    "torch.autograd.grad",
    "Tensor.backward",
    "Tensor.requires_grad_",
    "Tensor.retain_grad",
    "Tensor.zero_",
    "nn.Module",
    "nn.Linear",
    "nn.Conv2d",
    "nn.MaxPool2d",
    "nn.ReLU",
    "nn.Sequential",
    "nn.Flatten",
    "nn.CrossEntropyLoss",
    "nn.MSELoss",
    "nn.Softmax",
    "nn.Dropout",
    "nn.BatchNorm2d",
    "nn.Parameter",
    "F.relu",
    "F.max_pool2d",
    "F.cross_entropy",
    "F.mse_loss",
    "F.softmax",
    "F.log_softmax",
    "F.linear",
    "F.conv2d",
    "F.dropout",
    "optim.SGD",
    "optim.Adam",
    "optim.Optimizer",
  ]
) names.add(n);

const child = new Deno.Command("/usr/bin/python3", {
  args: [new URL("./gen_help.py", import.meta.url).pathname],
  stdin: "piped",
  stdout: "piped",
})
  .spawn();
const w = child.stdin.getWriter();
await w.write(new TextEncoder().encode(JSON.stringify([...names].sort())));
await w.close();
const { code, stdout } = await child.output();
if (code !== 0) Deno.exit(code);
const docs = JSON.parse(new TextDecoder().decode(stdout)) as Record<string, string>;
const file = new URL("../lib/repl/help_docs.json", import.meta.url);
Deno.writeTextFileSync(file, JSON.stringify(docs, null, 2) + "\n");
console.log(`${Object.keys(docs).length} of ${names.size} names documented → ${file.pathname}`);
