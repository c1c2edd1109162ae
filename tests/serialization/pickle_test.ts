/**
 * The safe unpickler: Python's pickles of protocols 0–5 (pickles.json,
 * written by gen_checkpoints.py), hand-made malicious pickles that must be
 * refused, corrupt pickles, and the writer's round trips.
 */
import assert from "node:assert/strict";
import { torch } from "../../mod.ts";
import { pickle_loads, PicklingError, UnpicklingError } from "../../lib/serialization/mod.ts";
import { pickle, unpickle } from "../../lib/serialization/pickle.ts";
import { check, type Desc } from "./compare.ts";
import { FIXTURES } from "./ours.ts";

const cases = JSON.parse(Deno.readTextFileSync(new URL("pickles.json", FIXTURES))) as Record<string, Desc>;
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const raw = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

for (let proto = 0; proto <= 5; proto++) {
  Deno.test(`Python's pickle protocol ${proto} reads back as Python wrote it`, () => {
    const v = pickle_loads(b64(cases[`protocol ${proto}`])) as Record<string, unknown>;
    check(v, cases.expect, "load");
    assert.equal(v.shared1, v.shared2, "a shared list stays one object");
  });
}

Deno.test("a list that contains itself", () => {
  const v = pickle_loads(b64(cases["cyclic list"])) as unknown[];
  assert.equal(v.length, 1);
  assert.equal(v[0], v);
});

// ---- refused -----------------------------------------------------------------------------------

const REFUSED: [string, string, string][] = [
  ["protocol 0 GLOBAL", "cos\nsystem\n(S'touch /tmp/denotorch_pwned'\ntR.", "os.system"],
  ["protocol 2 GLOBAL", "\x80\x02cposix\nsystem\nX\x02\x00\x00\x00ls\x85R.", "posix.system"],
  ["protocol 4 STACK_GLOBAL", "\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R.", "builtins.eval"],
  ["Python 2 names", "\x80\x02c__builtin__\ngetattr\n.", "builtins.getattr"],
  ["INST", "(S'ls'\nios\nsystem\n.", "os.system"],
  ["OBJ", "(csubprocess\nPopen\nS'ls'\no.", "subprocess.Popen"],
  ["torch.load itself", "\x80\x02ctorch\nload\n.", "torch.load"],
  ["copyreg", "\x80\x02ccopy_reg\n_reconstructor\n.", "copyreg._reconstructor"],
  ["numpy", "\x80\x02cnumpy.core.multiarray\n_reconstruct\n.", "numpy.core.multiarray._reconstruct"],
  [
    "an unlisted torch rebuild",
    "\x80\x02ctorch._utils\n_rebuild_qtensor\n.",
    "torch._utils._rebuild_qtensor",
  ],
  ["a refused global deep inside data", "\x80\x02}(X\x01\x00\x00\x00a](K\x01cos\nsystem\neu.", "os.system"],
];

for (const [what, bytes, global] of REFUSED) {
  Deno.test(`refused before anything is built: ${what} (${global})`, () => {
    assert.throws(
      () => pickle_loads(raw(bytes)),
      (e: Error) => {
        assert.ok(e instanceof UnpicklingError, String(e));
        assert.ok(e.message.includes(`'${global}'`), e.message);
        assert.match(e.message, /not on the allowlist/);
        return true;
      },
    );
  });
}

Deno.test("numpy and pickled modules get a hint", () => {
  assert.throws(() => pickle_loads(raw("\x80\x02cnumpy\ndtype\n.")), /NumPy arrays and scalars/);
  assert.throws(() => pickle_loads(raw("\x80\x02c__main__\nNet\n.")), /load a state_dict instead/);
});

Deno.test("opcodes that could reach code without a global name are refused", () => {
  assert.throws(() => pickle_loads(raw("\x80\x02\x82\x01.")), /refusing EXT1 \(extension registry code 1\)/);
  assert.throws(() => pickle_loads(raw("\x80\x02\x83\x01\x01.")), /refusing EXT2/);
  assert.throws(
    () => pickle_loads(raw("\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)\x81.")),
    /not an allowed class/,
  );
  assert.throws(() => pickle_loads(raw("\x80\x02ctorch\nfloat32\n)R.")), /not an allowed callable/);
  assert.throws(() => pickle_loads(raw("\x80\x02X\x01\x00\x00\x00a)R.")), /not an allowed callable/);
  assert.throws(() => pickle_loads(raw("\x80\x02]}b.")), /takes no state/);
  assert.throws(() => pickle_loads(raw("\x80\x02]K\x01Q.")), /persistent id is used but none are expected/);
  assert.throws(() => pickle_loads(raw("\x80\x05\x97.")), /out-of-band buffers/);
});

Deno.test("corrupt pickles are clear errors", () => {
  const bad: [string, RegExp][] = [
    ["", /Ran out of input/],
    ["\x80\x02\xff", /invalid load key, '\\xff'/],
    ["\x80\x06N.", /unsupported pickle protocol: 6/],
    ["\x80\x02h\x05.", /memo entry 5 is used before it is defined/],
    ["\x80\x02X\x10\x00\x00\x00ab", /truncated/],
    ["\x80\x02\x8e\x00\x00\x00\x00\x00\x00\x00\x10", /truncated/],
    ["\x80\x02K\x01", /no STOP/],
    ["\x80\x02a.", /stack is empty/],
    ["\x80\x02t.", /MARK is missing/],
    ["\x80\x02]K\x01K\x02s.", /SETITEM applied to a list, which is not a dict/],
    ["\x80\x02K\x01K\x02s.", /stack is empty/],
    ["\x80\x02\x8b\xff\xff\xff\xff.", /negative length/],
    ["\x80\x02X\x02\x00\x00\x00\xff\xfe.", /not valid UTF-8/],
  ];
  for (const [bytes, re] of bad) {
    assert.throws(
      () => pickle_loads(raw(bytes)),
      (e: Error) => e instanceof UnpicklingError && re.test(e.message),
      JSON.stringify(bytes),
    );
  }
});

// ---- the writer --------------------------------------------------------------------------------

Deno.test("the writer's pickles read back to the same values", () => {
  const shared = [1, 2];
  const value = {
    ints: [0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31, 2 ** 53 + 2, -(2 ** 40)],
    big: [2n ** 64n, -(2n ** 70n), 127n, 128n, -128n, -129n],
    floats: [0.5, -0, Infinity, -Infinity, 1e-300],
    strs: ["", "é€𝄞", "a\nb"],
    consts: [null, true, false],
    tuples: [Object.freeze([]), Object.freeze([1]), Object.freeze([1, 2, 3, 4, 5])],
    bytes: new Uint8Array([0, 1, 255]),
    set: new Set([1, "a"]),
    map: new Map<unknown, unknown>([[1, "one"], ["k", null]]),
    long: Array.from({ length: 2500 }, (_, i) => i),
    s1: shared,
    s2: shared,
  };
  const back = pickle_loads(pickle(value)) as Record<string, unknown>;
  // ints beyond 2^53 come back as bigint
  assert.deepEqual(back.ints, value.ints.map((v) => (Number.isSafeInteger(v) ? v : BigInt(v))));
  assert.deepEqual(back.big, [2n ** 64n, -(2n ** 70n), 127, 128, -128, -129]);
  assert.ok(Object.is((back.floats as number[])[1], -0));
  assert.deepEqual(back.floats, value.floats);
  assert.deepEqual(back.strs, value.strs);
  assert.deepEqual(back.consts, value.consts);
  assert.ok((back.tuples as unknown[][]).every((t) => Object.isFrozen(t)));
  assert.deepEqual(back.tuples, [[], [1], [1, 2, 3, 4, 5]]);
  assert.deepEqual(back.bytes, value.bytes);
  assert.deepEqual(back.set, value.set);
  assert.deepEqual([...(back.map as Map<unknown, unknown>)], [[1, "one"], ["k", null]]);
  assert.deepEqual(back.long, value.long);
  assert.equal(back.s1, back.s2);
});

Deno.test("the writer refuses what Python cannot hold, naming where", () => {
  assert.throws(
    () => pickle({ a: { b: () => 1 } }),
    (e: Error) => e instanceof PicklingError && /at \['a'\]\['b'\]/.test(e.message),
  );
  assert.throws(() => pickle([Symbol("x")]), /cannot save symbol at \[0\]/);
  assert.throws(() => pickle(torch.ones(1)), /cannot save a Tensor/, "tensors need torch.save");
});

Deno.test("unpickle reports where a pickle ends, for streams of pickles", () => {
  const a = pickle(1);
  const b = pickle("two");
  const both = new Uint8Array([...a, ...b]);
  const first = unpickle(both, { findGlobal: () => undefined });
  assert.equal(first.value, 1);
  assert.equal(first.end, a.length);
  assert.equal(unpickle(both, { findGlobal: () => undefined, start: first.end }).value, "two");
});

Deno.test("bytes round trip as latin-1 for every byte value (0x80–0x9f included), as Python reads them", async () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const back = pickle_loads(pickle({ b: all })) as { b: Uint8Array };
  assert.deepEqual([...back.b], [...all]);
  // real Python, when the system one is there: the same 256 bytes
  let out: Deno.CommandOutput | null = null;
  try {
    const py = new Deno.Command("/usr/bin/python3", {
      args: [
        "-c",
        "import pickle,sys; d = pickle.loads(sys.stdin.buffer.read()); print(list(d['b']) == list(range(256)))",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const w = py.stdin.getWriter();
    await w.write(pickle({ b: all }));
    await w.close();
    out = await py.output();
  } catch (_) {
    out = null;
  }
  if (!out || !out.success) {
    console.log("  python3 not available: the check against Python is skipped");
    return;
  }
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "True");
});
