/**
 * denotorch → PyTorch: the checkpoints denotorch writes (tests/serialization/ours.ts)
 * are byte-identical to the committed ones that real PyTorch loaded when
 * gen_checkpoints.py ran, and what PyTorch loaded from them (verify_ours.json)
 * matches what was saved. Needs no PyTorch; pytorch_live_test.ts repeats the
 * check against a live PyTorch when one is installed.
 */
import assert from "node:assert/strict";
import { check, type Desc } from "./compare.ts";
import { FIXTURES, ours } from "./ours.ts";

const verify = JSON.parse(Deno.readTextFileSync(new URL("verify_ours.json", FIXTURES))) as {
  torch: string;
  files: Record<string, Desc>;
};

async function sha256(b: Uint8Array): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return [...h].map((x) => x.toString(16).padStart(2, "0")).join("");
}

const built = ours();

for (const [name, [value, bytes]] of Object.entries(built)) {
  const v = verify.files[name];
  Deno.test(`${name}: the bytes are the ones PyTorch ${verify.torch} verified`, async () => {
    assert.ok(v, `verify_ours.json has no entry for ${name}: run tests/fixtures/gen_checkpoints.py`);
    const committed = Deno.readFileSync(new URL(name, FIXTURES));
    assert.equal(
      await sha256(committed),
      v.sha256,
      `${name} changed since PyTorch verified it: rerun gen_checkpoints.py`,
    );
    assert.equal(
      await sha256(bytes),
      v.sha256,
      `denotorch now writes different bytes for ${name}: rerun gen_checkpoints.py so PyTorch checks them`,
    );
  });
  Deno.test(`${name}: PyTorch loaded what was saved`, () => {
    if (name.endsWith(".safetensors")) {
      // safetensors orders tensors by dtype, then name: compare by name
      const byName = new Map((v.value.items as [Desc, Desc][]).map(([k, d]) => [k.value, d]));
      const entries = Object.entries(value as Record<string, unknown>);
      assert.equal(byName.size, entries.length);
      for (const [k, t] of entries) check(t, byName.get(k), "ours", k);
      assert.deepEqual(v.metadata, { format: "pt" });
      assert.equal(
        v.same_bytes_as_safetensors,
        true,
        "the reference safetensors writer gives the same bytes",
      );
    } else check(value, v.value, "ours");
    if (name.includes("state_dict") || name.includes("resaved")) {
      assert.equal(v.load_state_dict, "ok", "PyTorch's load_state_dict(strict=True) accepted it");
      assert.equal(v.weights_only, "ok", "PyTorch's weights-only unpickler accepted it");
    }
  });
}
