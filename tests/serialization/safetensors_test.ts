/** safetensors: files the reference implementation (safetensors 0.8.0) wrote, round trips, bad files. */
import assert from "node:assert/strict";
import { Tensor, torch } from "../../mod.ts";
import { SafetensorError, safetensors } from "../../lib/serialization/mod.ts";
import { check, type Desc } from "./compare.ts";
import { FIXTURES } from "./ours.ts";

const expected = JSON.parse(Deno.readTextFileSync(new URL("expected.json", FIXTURES))) as Record<
  string,
  Desc
>;
const fixture = () => Deno.readFileSync(new URL("pt_tensors.safetensors", FIXTURES));
const { load, load_file, save, save_file, metadata } = safetensors.torch;

function quiet<T>(f: () => T): [T, string[]] {
  const seen: string[] = [];
  const old = console.warn;
  console.warn = (...a: unknown[]) => seen.push(a.join(" "));
  try {
    return [f(), seen];
  } finally {
    console.warn = old;
  }
}

Deno.test("load_file reads what safetensors wrote, in file order", () => {
  const [got, warned] = quiet(() => load_file(new URL("pt_tensors.safetensors", FIXTURES)));
  check(got, expected["pt_tensors.safetensors"], "load");
  assert.ok(got instanceof Map, "names like '10' and '2' would be reordered by a plain object");
  assert.deepEqual([...got.keys()], ["ids", "f64", "10", "2", "weight", "i32", "f16", "mask"]);
  assert.equal(warned.length, 2, warned.join("\n"));
  assert.ok(warned[0].includes("float64 to float32") && warned[0].includes("'f64'"));
  assert.deepEqual(metadata(fixture()), expected["pt_tensors.safetensors.metadata"]);
});

Deno.test("save gives the reference implementation's bytes and load reads them back", () => {
  const ts = {
    b: torch.tensor([true, false]),
    a: torch.tensor([[1.5, -2]], { dtype: "float32" }),
    n: torch.tensor([7, -8]),
    m: torch.tensor([3], { dtype: "int32" }),
  };
  const bytes = save(ts, { k: "v" });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  assert.equal(
    new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd(),
    '{"__metadata__":{"k":"v"},"n":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"a":{"dtype":"F32","shape":[1,2],"data_offsets":[16,24]},"m":{"dtype":"I32","shape":[1],"data_offsets":[24,28]},"b":{"dtype":"BOOL","shape":[2],"data_offsets":[28,30]}}',
  );
  const back = load(bytes) as Record<string, Tensor>;
  assert.deepEqual(Object.keys(back), ["n", "a", "m", "b"]);
  assert.deepEqual(back.a.tolist(), [[1.5, -2]]);
  assert.equal(back.n.dtype.name, "int64");
  assert.deepEqual(back.b.tolist(), [true, false]);
  assert.deepEqual(metadata(bytes), { k: "v" });
  assert.equal(metadata(save({ x: torch.ones(1) })), null);
});

Deno.test("save_file writes atomically and load_file reads it", () => {
  const dir = Deno.makeTempDirSync();
  try {
    save_file({ w: torch.arange(6).reshape(2, 3) }, `${dir}/m.safetensors`);
    const back = load_file(`${dir}/m.safetensors`) as Record<string, Tensor>;
    assert.deepEqual(back.w.tolist(), [[0, 1, 2], [3, 4, 5]]);
    assert.throws(() => save_file({ w: 3 as unknown as Tensor }, `${dir}/bad.safetensors`), /not a Tensor/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["m.safetensors"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("shared and non-contiguous tensors are refused, as by safetensors", () => {
  const base = torch.arange(6).reshape(2, 3);
  assert.throws(() => save({ a: base, b: base.index(0) }), /Some tensors share memory.*\{'a', 'b'\}/s);
  assert.throws(() => save({ t: base.T }), /non contiguous tensor: `t`/);
});

Deno.test("bad safetensors files are clear errors", () => {
  const good = fixture();
  const bad: [Uint8Array, RegExp][] = [
    [good.slice(0, 5), /HeaderTooSmall/],
    [good.slice(0, 40), /InvalidHeaderLength/],
    [good.slice(0, good.length - 1), /MetadataIncompleteBuffer.*truncated/],
    [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x7b]), /HeaderTooLarge/],
  ];
  const text = (h: string, data = 0) => {
    const hb = new TextEncoder().encode(h);
    const out = new Uint8Array(8 + hb.length + data);
    new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
    out.set(hb, 8);
    return out;
  };
  bad.push([text("not json"), /InvalidHeaderDeserialization/]);
  bad.push([text('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 4), /TensorInvalidInfo/]);
  bad.push([text('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), /InvalidOffset\("a"\)/]);
  bad.push([text('{"a":{"dtype":"X9","shape":[1],"data_offsets":[0,4]}}', 4), /unknown dtype X9/]);
  bad.push([text('{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}', 8), /complex64 is not supported/]);
  bad.push([
    text('{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', 8).fill(0x7f, -8),
    /lies outside/,
  ]);
  for (const [bytes, re] of bad) {
    assert.throws(
      () => load(bytes),
      (e: Error) => e instanceof SafetensorError && re.test(e.message),
      String(re),
    );
  }
});
