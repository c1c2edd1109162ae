/**
 * The zip container of PyTorch checkpoints: a reader (stored and deflated
 * entries, zip64, CRC-32 checked) and a writer that lays records out as
 * PyTorch's `PyTorchStreamWriter` does (stored, data aligned to 64 bytes by
 * an `FB` padding extra field, no timestamps, so output is deterministic).
 * @module
 */
import { crc32 as zlibCrc32, inflateRawSync } from "node:zlib";
import { RuntimeError } from "../errors.ts";

/** CRC-32 (zip's, IEEE) of some bytes. */
export function crc32(data: Uint8Array): number {
  return zlibCrc32(data) >>> 0;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOC = 0x07064b50;

/** The first four bytes of a zip file (a local file header). */
export const ZIP_MAGIC: Uint8Array = new Uint8Array([0x50, 0x4b, 0x03, 0x04]);

/** Whether bytes start like a zip archive. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ZIP_MAGIC.every((b, i) => bytes[i] === b);
}

/** One file inside an archive. */
export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function fail(what: string): never {
  throw new RuntimeError(`PytorchStreamReader failed reading zip archive: ${what}`);
}

/** Reads the central directory of a zip archive held in memory. */
export class ZipReader {
  readonly entries: Map<string, ZipEntry> = new Map();
  /** Entry names in central-directory order. */
  readonly names: string[] = [];
  private view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.parse();
  }

  private u16(o: number): number {
    return this.view.getUint16(o, true);
  }
  private u32(o: number): number {
    return this.view.getUint32(o, true);
  }
  private u64(o: number): number {
    const v = this.view.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail("a zip64 size or offset is too large");
    return Number(v);
  }

  private parse(): void {
    const b = this.bytes;
    const n = b.length;
    if (n < 22) {
      fail("failed finding central directory (the file is truncated: it is too short to be a zip archive)");
    }
    // The end-of-central-directory record: scan back over a comment of up to 64 KiB.
    let eocd = -1;
    for (let i = n - 22; i >= Math.max(0, n - 22 - 0xffff); i--) {
      if (this.u32(i) === SIG_EOCD && i + 22 + this.u16(i + 20) <= n) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      fail("failed finding central directory (the file is truncated or is not a zip archive)");
    }
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    // zip64: a locator sits right before the classic record
    if (eocd >= 20 && this.u32(eocd - 20) === SIG_EOCD64_LOC) {
      const at = this.u64(eocd - 12);
      if (at + 56 > n || this.u32(at) !== SIG_EOCD64) {
        fail("the zip64 end of central directory record is corrupt");
      }
      count = this.u64(at + 32);
      cdSize = this.u64(at + 40);
      cdOffset = this.u64(at + 48);
    }
    if (cdOffset + cdSize > n) {
      fail(
        `the central directory lies outside the file (offset ${cdOffset} + ${cdSize} bytes > ${n}): truncated?`,
      );
    }
    let p = cdOffset;
    const dec = new TextDecoder();
    for (let k = 0; k < count; k++) {
      if (p + 46 > n || this.u32(p) !== SIG_CENTRAL) fail(`central directory entry ${k} is corrupt`);
      const method = this.u16(p + 10);
      const crc = this.u32(p + 16);
      let csize = this.u32(p + 20);
      let usize = this.u32(p + 24);
      const nameLen = this.u16(p + 28);
      const extraLen = this.u16(p + 30);
      const commentLen = this.u16(p + 32);
      let local = this.u32(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > n) fail(`central directory entry ${k} is truncated`);
      const name = dec.decode(b.subarray(p + 46, p + 46 + nameLen));
      // zip64 extended information: only the fields saturated above are present, in this order
      let e = p + 46 + nameLen;
      const end = e + extraLen;
      while (e + 4 <= end) {
        const id = this.u16(e);
        const len = this.u16(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (usize === 0xffffffff && q + 8 <= e + 4 + len) (usize = this.u64(q)), (q += 8);
          if (csize === 0xffffffff && q + 8 <= e + 4 + len) (csize = this.u64(q)), (q += 8);
          if (local === 0xffffffff && q + 8 <= e + 4 + len) (local = this.u64(q)), (q += 8);
        }
        e += 4 + len;
      }
      const entry = { name, method, crc, compressedSize: csize, size: usize, localOffset: local };
      if (!this.entries.has(name)) this.names.push(name);
      this.entries.set(name, entry);
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  /** Whether the archive holds a file of this name. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** A file's contents (a view into the archive for stored files), CRC-checked. */
  read(name: string): Uint8Array {
    const en = this.entries.get(name);
    if (!en) throw new RuntimeError(`PytorchStreamReader failed locating file ${name}: file not found`);
    const b = this.bytes;
    const at = en.localOffset;
    if (at + 30 > b.length || this.u32(at) !== SIG_LOCAL) {
      throw new RuntimeError(
        `PytorchStreamReader failed reading file ${name}: its local header is missing or corrupt (truncated archive?)`,
      );
    }
    const start = at + 30 + this.u16(at + 26) + this.u16(at + 28);
    if (start + en.compressedSize > b.length) {
      throw new RuntimeError(
        `PytorchStreamReader failed reading file ${name}: the archive ends before its ${en.compressedSize} bytes (truncated file)`,
      );
    }
    const raw = b.subarray(start, start + en.compressedSize);
    let data: Uint8Array;
    if (en.method === 0) data = raw;
    else if (en.method === 8) {
      try {
        const out = inflateRawSync(raw);
        data = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (err) {
        throw new RuntimeError(
          `PytorchStreamReader failed reading file ${name}: its deflate data is corrupt (${
            (err as Error).message
          })`,
        );
      }
    } else {
      throw new RuntimeError(
        `PytorchStreamReader failed reading file ${name}: unsupported zip compression method ${en.method}`,
      );
    }
    if (data.length !== en.size) {
      throw new RuntimeError(
        `PytorchStreamReader failed reading file ${name}: expected ${en.size} bytes but found ${data.length} (corrupt archive)`,
      );
    }
    if (crc32(data) !== en.crc) {
      throw new RuntimeError(
        `PytorchStreamReader failed reading file ${name}: CRC-32 check failed (the checkpoint is corrupt)`,
      );
    }
    return data;
  }
}

/** Builds a zip archive the way PyTorch's writer does. */
export class ZipWriter {
  private chunks: Uint8Array[] = [];
  private offset = 0;
  private central: { name: Uint8Array; crc: number; size: number; offset: number }[] = [];

  /** @param alignment data of every record starts at a multiple of this (PyTorch: 64) */
  constructor(readonly alignment = 64) {}

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.offset += b.length;
  }

  /** Adds a stored (uncompressed) record. */
  add(name: string, data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const nameB = new TextEncoder().encode(name);
    const crc = crc32(bytes);
    const headerEnd = this.offset + 30 + nameB.length;
    // PyTorch pads with an extra field "FB" of 'Z' bytes so the data is aligned
    const pad = this.alignment > 1
      ? (this.alignment - ((headerEnd + 4) % this.alignment)) % this.alignment
      : -1;
    const extraLen = pad >= 0 ? pad + 4 : 0;
    if (this.offset > 0xfffffffe || bytes.length > 0xfffffffe) {
      throw new RuntimeError("torch.save: checkpoints over 4 GiB (zip64) are not supported");
    }
    const h = new Uint8Array(30 + nameB.length + extraLen);
    const v = new DataView(h.buffer);
    v.setUint32(0, SIG_LOCAL, true);
    v.setUint16(4, 20, true); // version needed
    v.setUint16(6, 0x0800, true); // utf-8 names
    v.setUint16(8, 0, true); // stored
    v.setUint32(10, 0, true); // time, date
    v.setUint32(14, crc, true);
    v.setUint32(18, bytes.length, true);
    v.setUint32(22, bytes.length, true);
    v.setUint16(26, nameB.length, true);
    v.setUint16(28, extraLen, true);
    h.set(nameB, 30);
    if (extraLen > 0) {
      const e = 30 + nameB.length;
      v.setUint16(e, 0x4246, true); // "FB"
      v.setUint16(e + 2, pad, true);
      h.fill(0x5a, e + 4, e + 4 + pad); // 'Z'
    }
    this.central.push({ name: nameB, crc, size: bytes.length, offset: this.offset });
    this.push(h);
    this.push(bytes);
  }

  /** Finishes the archive: central directory and end record. */
  finish(): Uint8Array {
    if (this.central.length > 0xfffe) {
      throw new RuntimeError("torch.save: more than 65534 records (zip64) are not supported");
    }
    const cdStart = this.offset;
    for (const c of this.central) {
      const h = new Uint8Array(46 + c.name.length);
      const v = new DataView(h.buffer);
      v.setUint32(0, SIG_CENTRAL, true);
      v.setUint16(4, 20, true); // version made by
      v.setUint16(6, 20, true); // version needed
      v.setUint16(8, 0x0800, true);
      v.setUint16(10, 0, true);
      v.setUint32(12, 0, true);
      v.setUint32(16, c.crc, true);
      v.setUint32(20, c.size, true);
      v.setUint32(24, c.size, true);
      v.setUint16(28, c.name.length, true);
      v.setUint32(42, c.offset, true);
      h.set(c.name, 46);
      this.push(h);
    }
    const cdSize = this.offset - cdStart;
    const e = new Uint8Array(22);
    const v = new DataView(e.buffer);
    v.setUint32(0, SIG_EOCD, true);
    v.setUint16(8, this.central.length, true);
    v.setUint16(10, this.central.length, true);
    v.setUint32(12, cdSize, true);
    v.setUint32(16, cdStart, true);
    this.push(e);
    const out = new Uint8Array(this.offset);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
