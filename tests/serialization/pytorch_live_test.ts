/**
 * Both directions against a live PyTorch, when /usr/bin/python3 can import
 * torch (Debian's python3-torch); skipped with the reason otherwise. The
 * committed fixtures (checkpoint_test.ts, ours_test.ts) cover the same
 * ground without PyTorch.
 */
import assert from "node:assert/strict";
import { current_parameter_type, load, register_parameter_type, save } from "../../lib/serialization/mod.ts";
import { torch } from "../../mod.ts";
import { check, type Desc } from "./compare.ts";
import { ours, Parameter } from "./ours.ts";

const PYTHON = "/usr/bin/python3";
const ROOT = new URL("../../", import.meta.url).pathname;

function python(code: string, ...args: string[]): { ok: boolean; out: string; err: string } {
  const r = new Deno.Command(PYTHON, {
    args: ["-c", code, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .outputSync();
  return { ok: r.success, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
}

function why(): string | null {
  try {
    Deno.statSync(PYTHON);
  } catch {
    return `${PYTHON} is not installed`;
  }
  try {
    const r = python("import torch; print(torch.__version__)");
    return r.ok ? null : `${PYTHON} cannot import torch (apt-get install python3-torch)`;
  } catch (e) {
    return `${PYTHON} cannot be run here (${(e as Error).message})`;
  }
}

const skip = why();
if (skip) console.log(`pytorch_live_test: skipped: ${skip}`);

const PREAMBLE = `
import json, os, sys, torch
sys.path.insert(0, "tests/fixtures")
from gen_checkpoints import Net, describe, mixed, model
`;

Deno.test({
  name: "live PyTorch loads the checkpoints denotorch writes, into the real model",
  ignore: skip !== null,
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      const built = ours();
      for (const [name, [, bytes]] of Object.entries(built)) {
        if (name.endsWith(".pt")) Deno.writeFileSync(`${dir}/${name}`, bytes);
      }
      const r = python(
        PREAMBLE + `
out = {}
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    p = os.path.join(d, name)
    entry = {"value": describe(torch.load(p))}
    if "state_dict" in name or "resaved" in name:
        sd = torch.load(p, weights_only=True)
        Net().load_state_dict(sd, strict=True)
        entry["load_state_dict"] = "ok"
    out[name] = entry
print(json.dumps(out))
`,
        dir,
      );
      assert.ok(r.ok, r.err);
      const got = JSON.parse(r.out) as Record<string, Desc>;
      for (const [name, [value]] of Object.entries(built)) {
        if (!name.endsWith(".pt")) continue;
        check(value, got[name].value, "ours", name);
        if (name.includes("state_dict") || name.includes("resaved")) {
          assert.equal(got[name].load_state_dict, "ok");
        }
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "live round trip: PyTorch saves, denotorch loads and saves, PyTorch loads the same tensors",
  ignore: skip !== null,
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      const w = python(
        PREAMBLE + `
m = mixed()
obj = {"state_dict": model().state_dict(), "tensors": {k: v for k, v in m.items() if isinstance(v, torch.Tensor)}}
torch.save(obj, sys.argv[1])
`,
        `${dir}/src.pt`,
      );
      assert.ok(w.ok, w.err);
      void torch; // the engine must be started (mod.ts) before tensors are built
      // Parameters stay Parameters only with a registered Parameter type (nn registers its own)
      const prev = current_parameter_type();
      if (!prev) {
        register_parameter_type({
          is: (t) => t instanceof Parameter,
          make: (d, rg) => {
            const p = new Parameter(d._storage, d._shape.slice(), d._strides.slice(), d._offset);
            return rg ? p.requires_grad_(true) : p;
          },
        });
      }
      try {
        save(load(`${dir}/src.pt`), `${dir}/back.pt`);
      } finally {
        register_parameter_type(prev);
      }
      const r = python(
        PREAMBLE + `
a = torch.load(sys.argv[1]); b = torch.load(sys.argv[2])
da, db = describe(a), describe(b)
if da != db:
    import difflib
    print("\\n".join(difflib.unified_diff(json.dumps(da, indent=1).splitlines(), json.dumps(db, indent=1).splitlines(), lineterm="")), file=sys.stderr)
    sys.exit(1)
Net().load_state_dict(torch.load(sys.argv[2], weights_only=True)["state_dict"])
print("same")
`,
        `${dir}/src.pt`,
        `${dir}/back.pt`,
      );
      assert.ok(r.ok, r.err);
      assert.equal(r.out.trim(), "same");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
