/**
 * torch.load of checkpoints real PyTorch wrote (tests/fixtures/checkpoints/,
 * from gen_checkpoints.py), malicious checkpoints that must be refused, bad
 * files, and torch.save round trips. Needs no PyTorch.
 */
import assert from "node:assert/strict";
import { Tensor, torch } from "../../mod.ts";
import {
  current_parameter_type,
  load,
  PY_TYPE,
  register_parameter_type,
  save,
  save_bytes,
  UnpicklingError,
} from "../../lib/serialization/mod.ts";
import { RuntimeError } from "../../lib/errors.ts";
import { ZipReader, ZipWriter } from "../../lib/serialization/zip.ts";
import { check, type Desc } from "./compare.ts";
import { FIXTURES } from "./ours.ts";

const expected = JSON.parse(Deno.readTextFileSync(new URL("expected.json", FIXTURES))) as Record<
  string,
  Desc
>;
const bytesOf = (name: string) => Deno.readFileSync(new URL(name, FIXTURES));

/** Runs `f` with console.warn captured. */
function warnings<T>(f: () => T): [T, string[]] {
  const seen: string[] = [];
  const old = console.warn;
  console.warn = (...a: unknown[]) => seen.push(a.join(" "));
  try {
    return [f(), seen];
  } finally {
    console.warn = old;
  }
}

const CASES = [
  "pt_state_dict.pt",
  "pt_mixed.pt",
  "pt_protocol4.pt",
  "pt_legacy.pt",
  "pt2_layout.pt",
  "pt_deflated.pt",
  "pt2_bigendian.pt",
  "pt2_rebuilds.pt",
];

for (const name of CASES) {
  Deno.test(`torch.load reads ${name} (written by PyTorch ${expected.torch}) with PyTorch's values`, () => {
    let d = expected[name];
    if (d.same_as) d = expected[d.same_as];
    const got = load(new URL(name, FIXTURES));
    check(got, d, "load");
  });
}

Deno.test("a PyTorch state_dict loads as a plain object in PyTorch's key order, with _metadata", () => {
  const sd = load(bytesOf("pt_state_dict.pt")) as Record<string, Tensor> & {
    _metadata: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(sd), [
    "conv.weight",
    "conv.bias",
    "bn.weight",
    "bn.bias",
    "bn.running_mean",
    "bn.running_var",
    "bn.num_batches_tracked",
    "fc.weight",
    "fc.bias",
  ]);
  assert.equal((sd as Record<symbol, unknown>)[PY_TYPE], "OrderedDict");
  assert.equal(sd["bn.num_batches_tracked"].dtype.name, "int64");
  assert.equal(sd["bn.num_batches_tracked"].item(), 1);
  assert.deepEqual(Object.keys(sd._metadata), ["", "conv", "bn", "fc"]);
  assert.deepEqual(sd._metadata.bn, { version: 2 });
  assert.ok(!Object.keys(sd).includes("_metadata"), "_metadata is an attribute, not a key");
});

Deno.test("shared storages stay shared: an in-place write shows through every view", () => {
  const m = load(bytesOf("pt_mixed.pt")) as Record<string, Tensor>;
  assert.equal(m.shared_whole._storage, m.shared_tail._storage);
  assert.equal(m.shared_whole._storage, m.shared_view._storage);
  m.shared_whole.index(2).fill_(100);
  assert.equal(m.shared_tail.index(0).item(), 100);
  assert.equal(m.shared_view.index(0, 1).item(), 100);
  const [a, b] = m.same_twice as unknown as Tensor[];
  assert.equal(a, b, "one tensor referenced twice is one Tensor");
});

Deno.test("dicts JavaScript would reorder, or with non-string keys, load as Maps", () => {
  const m = load(bytesOf("pt_mixed.pt")) as Record<string, unknown>;
  const ik = m.int_keys as Map<number, string>;
  assert.ok(ik instanceof Map);
  assert.deepEqual([...ik.entries()], [[0, "a"], [1, "b"]]);
  const dk = m.digit_keys as Map<string, number>;
  assert.ok(dk instanceof Map);
  assert.deepEqual([...dk.keys()], ["10", "2"]);
  assert.equal((m as Record<symbol, unknown>)[PY_TYPE], "dict");
});

Deno.test("float64/float16/bfloat16 load as float32 and 8/16-bit integers as int64, with one warning each", () => {
  const [m, warned] = warnings(() => load(bytesOf("pt_convert.pt")) as Record<string, Tensor>);
  check(m, expected["pt_convert.pt"], "load");
  assert.equal(m.float64.dtype.name, "float32");
  assert.equal(m.uint8.dtype.name, "int64");
  assert.deepEqual(m.uint8.tolist(), [0, 200, 255]);
  assert.equal(warned.length, 6);
  assert.ok(
    warned.some((w) => w.includes("float64 to float32") && w.includes("['float64']")),
    warned.join("\n"),
  );
});

Deno.test("an int64 value beyond 32 bits is a clear error naming the tensor", () => {
  assert.throws(
    () => load(bytesOf("pt_int64_overflow.pt")),
    (e: Error) => {
      assert.ok(e instanceof RuntimeError);
      assert.match(e.message, /\['buffers'\]\['big'\]/);
      assert.match(e.message, /1099511627776 lies outside \[-2147483648, 2147483647\]/);
      return true;
    },
  );
});

Deno.test("a checkpoint saved on CUDA needs map_location, as in PyTorch", () => {
  assert.throws(() => load(bytesOf("pt_cuda_tag.pt")), /map_location=torch.device\('cpu'\)/);
  for (
    const map_location of [
      "cpu",
      torch.device("cpu"),
      { "cuda:0": "cpu" },
      (storage: unknown) => storage,
      (_s: unknown, _loc: string) => "cpu",
    ]
  ) {
    const m = load(bytesOf("pt_cuda_tag.pt"), { map_location }) as Record<string, Tensor>;
    assert.deepEqual(m.w.tolist(), [1, 2]);
    assert.equal(String(m.w.device), "cpu");
  }
});

Deno.test("a TorchScript archive is a clear error", () => {
  assert.throws(
    () => load(bytesOf("pt_torchscript.pt")),
    /TorchScript archive \(written by torch.jit.save\)/,
  );
});

// ---- malicious checkpoints -------------------------------------------------------------------

const MARKERS = ["os", "eval", "subprocess", "p4", "legacy"].map((s) => `/tmp/denotorch_pwned_${s}`);

for (const [file, global] of Object.entries(expected.evil as Record<string, string>)) {
  Deno.test(`a malicious checkpoint is refused: ${file} (${global})`, () => {
    for (const weights_only of [true, false, undefined]) {
      assert.throws(
        () => load(bytesOf(file), { weights_only }),
        (e: Error) => {
          assert.ok(e instanceof UnpicklingError, `${e}`);
          assert.ok(e.message.includes(`'${global}'`), e.message);
          assert.match(e.message, /nothing from the file was run/);
          return true;
        },
      );
    }
    for (const m of MARKERS) {
      assert.throws(() => Deno.statSync(m), Deno.errors.NotFound, `${m} must not exist`);
    }
  });
}

Deno.test("a pickled whole model is refused with a hint to save the state_dict", () => {
  assert.throws(() => load(bytesOf("evil_whole_model.pt")), /load a state_dict instead/);
});

// ---- bad files -------------------------------------------------------------------------------

Deno.test("a truncated checkpoint is a clear error", () => {
  const good = bytesOf("pt_state_dict.pt");
  for (const n of [good.length - 1, good.length - 30, Math.floor(good.length / 2), 100, 10]) {
    assert.throws(
      () => load(good.slice(0, n)),
      /PytorchStreamReader failed .*(truncated|corrupt)/,
      `cut at ${n}`,
    );
  }
  const legacy = bytesOf("pt_legacy.pt");
  for (const n of [legacy.length - 3, Math.floor(legacy.length / 2), 40]) {
    assert.throws(() => load(legacy.slice(0, n)), /truncated/, `legacy cut at ${n}`);
  }
});

Deno.test("a flipped byte in tensor data fails the CRC check", () => {
  const bytes = bytesOf("pt_state_dict.pt").slice();
  const zip = new ZipReader(bytes);
  const en = zip.entries.get("pt_state_dict/data/0")!;
  const start = en.localOffset + 30 + new DataView(bytes.buffer).getUint16(en.localOffset + 26, true) +
    new DataView(bytes.buffer).getUint16(en.localOffset + 28, true);
  bytes[start + 5] ^= 0x40;
  assert.throws(() => load(bytes), /failed reading file pt_state_dict\/data\/0: CRC-32 check failed/);
});

Deno.test("a zip without data.pkl, an empty file, and random bytes are clear errors", () => {
  const z = new ZipWriter();
  z.add("archive/version", "3\n");
  assert.throws(() => load(z.finish()), /failed locating file data.pkl: file not found/);
  assert.throws(() => load(new Uint8Array(0)), /the file is empty/);
  assert.throws(
    () => load(new TextEncoder().encode("hello world")),
    /invalid load key, 'h'.*not a PyTorch checkpoint/,
  );
  assert.throws(() => load(new Uint8Array([0x80, 0x02, 0x4b])), /truncated/);
  const st = bytesOf("pt_tensors.safetensors");
  assert.throws(() => load(st), /safetensors file/);
});

Deno.test("a storage record of the wrong size is a clear error", () => {
  const good = new ZipReader(bytesOf("pt_state_dict.pt"));
  const z = new ZipWriter();
  for (const n of good.names) {
    const data = good.read(n);
    z.add(n.replace("pt_state_dict/", "archive/"), n.endsWith("data/0") ? data.subarray(4) : data);
  }
  assert.throws(() => load(z.finish()), /storage '0' holds 212 bytes, but 54 float32 elements need 216/);
});

// ---- saving ----------------------------------------------------------------------------------

Deno.test("torch.save then torch.load gives back the same values, views and sharing", () => {
  const m = load(bytesOf("pt_mixed.pt")) as Record<string, unknown>;
  const again = load(save_bytes(m));
  check(again, expected["pt_mixed.pt"], "load");
});

Deno.test("torch.save to a path writes atomically; a failed save leaves nothing behind", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const p = `${dir}/model.pt`;
    save({ w: torch.ones(2) }, p);
    assert.deepEqual((load(p) as Record<string, Tensor>).w.tolist(), [1, 1]);
    assert.ok(
      new ZipReader(Deno.readFileSync(p)).has("model/data.pkl"),
      "the archive folder is the file's stem",
    );
    // an unsavable value: the old file stays intact and no temporary is left
    assert.throws(() => save({ w: torch.zeros(3), f: () => 1 }, p), /cannot save function at \['f'\]/);
    assert.deepEqual((load(p) as Record<string, Tensor>).w.tolist(), [1, 1]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["model.pt"]);
    // a writer
    const f = Deno.openSync(`${dir}/w.pt`, { write: true, create: true });
    save([torch.tensor([3])], f);
    f.close();
    assert.deepEqual((load(`${dir}/w.pt`) as Tensor[])[0].tolist(), [3]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("torch.save refuses what it cannot write, naming where it is", () => {
  class Model {
    state_dict() {
      return {};
    }
  }
  assert.throws(() => save_bytes({ model: new Model() }), /save model.state_dict\(\) instead/);
  assert.throws(() => save_bytes({ a: [new Float32Array(2)] }), /cannot save a Float32Array at \['a'\]\[0\]/);
  const t = Object.freeze([] as unknown[]);
  assert.doesNotThrow(() => save_bytes(t));
  assert.throws(() => save({}, "x.pt", { _use_new_zipfile_serialization: false }), /legacy/);
});

Deno.test("cycles through lists and dicts survive a round trip", () => {
  const l: unknown[] = [1];
  l.push(l);
  const d: Record<string, unknown> = { l };
  d.self = d;
  const back = load(save_bytes(d)) as Record<string, unknown>;
  assert.equal(back.self, back);
  const bl = back.l as unknown[];
  assert.equal(bl[1], bl);
});

Deno.test("a registered Parameter type is built on load and recognised on save", () => {
  class P extends Tensor {}
  const prev = current_parameter_type();
  register_parameter_type({
    is: (t) => t instanceof P,
    make: (data, rg) => {
      const p = new P(data._storage, data._shape.slice(), data._strides.slice(), data._offset);
      if (rg) p.requires_grad_(true);
      return p;
    },
  });
  try {
    const m = load(bytesOf("pt_mixed.pt")) as Record<string, Tensor>;
    assert.ok(m.param instanceof P);
    assert.ok(m.param.requires_grad);
    assert.ok(m.param_frozen instanceof P && !m.param_frozen.requires_grad);
    assert.ok(!(m.requires_grad instanceof P) && m.requires_grad.requires_grad);
    const back = load(save_bytes({ p: m.param })) as Record<string, Tensor>;
    assert.ok(back.p instanceof P && back.p.requires_grad);
  } finally {
    register_parameter_type(prev);
  }
});
