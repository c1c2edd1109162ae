/** The zip reader and writer behind checkpoints. */
import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { crc32, ZipReader, ZipWriter } from "../../lib/serialization/zip.ts";
import { FIXTURES } from "./ours.ts";

const enc = new TextEncoder();

Deno.test("CRC-32 is zip's", () => {
  assert.equal(crc32(enc.encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

Deno.test("the writer aligns data to 64 bytes and the reader reads it back", () => {
  const z = new ZipWriter(64);
  const files: Record<string, Uint8Array> = {
    "archive/data.pkl": enc.encode("pickle"),
    "archive/data/0": new Uint8Array(1000).map((_, i) => i % 251),
    "archive/version": enc.encode("3\n"),
    "archive/empty": new Uint8Array(0),
  };
  for (const [n, b] of Object.entries(files)) z.add(n, b);
  const bytes = z.finish();
  const r = new ZipReader(bytes);
  assert.deepEqual(r.names, Object.keys(files));
  const view = new DataView(bytes.buffer);
  for (const [n, b] of Object.entries(files)) {
    assert.deepEqual(r.read(n), b);
    const en = r.entries.get(n)!;
    const start = en.localOffset + 30 + view.getUint16(en.localOffset + 26, true) +
      view.getUint16(en.localOffset + 28, true);
    assert.equal(start % 64, 0, `${n} starts at ${start}`);
  }
  assert.throws(() => r.read("archive/nope"), /failed locating file archive\/nope: file not found/);
});

Deno.test("the reader handles PyTorch's zip64 records, data descriptors, deflate and a comment", () => {
  const pt = new ZipReader(Deno.readFileSync(new URL("pt_state_dict.pt", FIXTURES)));
  assert.equal(pt.names[0], "pt_state_dict/data.pkl");
  assert.ok(pt.has("pt_state_dict/version"));
  // a deflated record
  const z = new ZipWriter(1);
  z.add("a/x", "hello hello hello hello");
  const plain = z.finish();
  const r = new ZipReader(plain);
  const en = r.entries.get("a/x")!;
  const packed = deflateRawSync(enc.encode("hello hello hello hello"));
  const head = plain.slice(0, en.localOffset + 30 + 3);
  new DataView(head.buffer).setUint16(en.localOffset + 8, 8, true);
  new DataView(head.buffer).setUint32(en.localOffset + 18, packed.length, true);
  const cdStart = head.length + packed.length;
  const cd = plain.slice(en.localOffset + 30 + 3 + 23, plain.length - 22);
  const cv = new DataView(cd.buffer);
  cv.setUint16(10, 8, true);
  cv.setUint32(20, packed.length, true);
  const eocd = plain.slice(plain.length - 22);
  new DataView(eocd.buffer).setUint32(16, cdStart, true);
  new DataView(eocd.buffer).setUint16(20, 5, true); // a 5-byte comment
  const zipped = new Uint8Array([...head, ...packed, ...cd, ...eocd, ...enc.encode("note!")]);
  assert.equal(new TextDecoder().decode(new ZipReader(zipped).read("a/x")), "hello hello hello hello");
});

Deno.test("corrupt archives are clear errors", () => {
  const z = new ZipWriter();
  z.add("archive/data.pkl", "abc");
  const good = z.finish();
  assert.throws(() => new ZipReader(good.slice(0, 10)), /too short to be a zip archive/);
  assert.throws(() => new ZipReader(good.slice(0, good.length - 5)), /failed finding central directory/);
  const moved = good.slice();
  new DataView(moved.buffer).setUint32(moved.length - 6, 1 << 20, true);
  assert.throws(() => new ZipReader(moved), /central directory lies outside the file/);
  const badLocal = good.slice();
  badLocal[0] = 0;
  assert.throws(() => new ZipReader(badLocal).read("archive/data.pkl"), /local header is missing or corrupt/);
});
