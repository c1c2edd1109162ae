/**
 * A streaming tar reader (POSIX ustar, GNU long names, pax `path`), for dataset archives. Regular
 * files and directories are extracted; links and devices are skipped; absolute paths and `..` are
 * refused, so an archive cannot write outside the destination.
 * @module
 */

const BLOCK = 512;

/** One archive member as the reader reports it. */
export interface TarEntry {
  /** Relative path inside the archive (no leading `./`). */
  path: string;
  /** `file`, `directory`, or `other` (skipped). */
  type: "file" | "directory" | "other";
  size: number;
}

/** What the reader asks of its destination. */
export interface TarSink {
  /** A directory entry. */
  directory(path: string): Promise<void>;
  /** A file begins; its data follows through `write`, then `close`. */
  open(path: string, size: number): Promise<void>;
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

function octal(b: Uint8Array, off: number, len: number): number {
  // GNU base-256 for large sizes: high bit of the first byte set
  if (b[off] & 0x80) {
    let v = b[off] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i];
    return v;
  }
  let s = "";
  for (let i = off; i < off + len; i++) {
    const c = b[i];
    if (c === 0 || c === 32) {
      if (s.length) break;
      continue;
    }
    s += String.fromCharCode(c);
  }
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`corrupt tar header (bad number '${s}')`);
  return parseInt(s, 8);
}

function text(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return new TextDecoder().decode(b.subarray(off, end));
}

/** A safe relative path, or an error for absolute paths and `..` components. */
export function safePath(name: string): string {
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name) || parts.some((p) => p === "..")) {
    throw new Error(`refusing to extract '${name}': it points outside the destination`);
  }
  return parts.join("/");
}

function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const s = new TextDecoder().decode(data);
  let i = 0;
  while (i < s.length) {
    const sp = s.indexOf(" ", i);
    if (sp < 0) break;
    const n = parseInt(s.slice(i, sp), 10);
    if (!(n > 0)) break;
    const rec = s.slice(sp + 1, i + n - 1);
    const eq = rec.indexOf("=");
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += n;
  }
  return out;
}

/**
 * Push-style tar reader: feed it the archive's bytes in any chunk sizes with `push`, then call
 * `end`. It throws on a corrupt header or a truncated archive.
 */
export class TarReader {
  #sink: TarSink;
  #buf = new Uint8Array(BLOCK);
  #bufLen = 0;
  /** Bytes of file data still to come for the current entry. */
  #remaining = 0;
  /** Padding bytes after the current entry's data. */
  #padding = 0;
  /** Where the current entry's data goes: the sink, a metadata buffer, or nowhere. */
  #target: "sink" | "meta" | "skip" = "skip";
  #meta: Uint8Array[] = [];
  #metaKind = "";
  #longName: string | null = null;
  #paxPath: string | null = null;
  #zeroBlocks = 0;
  #ended = false;
  readonly entries: TarEntry[] = [];

  constructor(sink: TarSink) {
    this.#sink = sink;
  }

  /** Feeds bytes. */
  async push(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      if (this.#ended) return; // trailing data after the end-of-archive marker is ignored
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, chunk.length - off);
        const piece = chunk.subarray(off, off + n);
        if (this.#target === "sink") await this.#sink.write(piece);
        else if (this.#target === "meta") this.#meta.push(piece.slice());
        this.#remaining -= n;
        off += n;
        if (this.#remaining === 0) await this.#finishEntry();
        continue;
      }
      if (this.#padding > 0) {
        const n = Math.min(this.#padding, chunk.length - off);
        this.#padding -= n;
        off += n;
        continue;
      }
      const n = Math.min(BLOCK - this.#bufLen, chunk.length - off);
      this.#buf.set(chunk.subarray(off, off + n), this.#bufLen);
      this.#bufLen += n;
      off += n;
      if (this.#bufLen === BLOCK) {
        this.#bufLen = 0;
        await this.#header(this.#buf);
      }
    }
  }

  async #finishEntry(): Promise<void> {
    if (this.#target === "sink") await this.#sink.close();
    else if (this.#target === "meta") {
      const total = this.#meta.reduce((a, b) => a + b.length, 0);
      const data = new Uint8Array(total);
      let o = 0;
      for (const m of this.#meta) {
        data.set(m, o);
        o += m.length;
      }
      if (this.#metaKind === "L") this.#longName = text(data, 0, data.length);
      else if (this.#metaKind === "x") this.#paxPath = parsePax(data).path ?? null;
      this.#meta = [];
    }
    this.#target = "skip";
  }

  async #header(h: Uint8Array): Promise<void> {
    if (h.every((b) => b === 0)) {
      if (++this.#zeroBlocks >= 2) this.#ended = true;
      return;
    }
    this.#zeroBlocks = 0;
    const stored = octal(h, 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== stored) throw new Error("corrupt tar header (checksum mismatch): the archive is damaged");
    const size = octal(h, 124, 12);
    const flag = String.fromCharCode(h[156] || 48);
    const magic = text(h, 257, 6);
    let name = text(h, 0, 100);
    if (magic.startsWith("ustar")) {
      const prefix = text(h, 345, 155);
      if (prefix && magic === "ustar") name = `${prefix}/${name}`;
    }
    this.#padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.#remaining = size;
    if (flag === "L" || flag === "x") {
      this.#target = "meta";
      this.#metaKind = flag;
      if (size === 0) await this.#finishEntry();
      return;
    }
    if (flag === "g" || flag === "K") {
      this.#target = "skip";
      return;
    }
    const full = this.#paxPath ?? this.#longName ?? name;
    this.#paxPath = null;
    this.#longName = null;
    const path = safePath(full);
    if (flag === "0" || flag === "7") {
      this.entries.push({ path, type: "file", size });
      this.#target = "sink";
      await this.#sink.open(path, size);
      if (size === 0) await this.#finishEntry();
    } else if (flag === "5") {
      this.entries.push({ path, type: "directory", size: 0 });
      if (path) await this.#sink.directory(path);
      this.#target = "skip";
    } else {
      this.entries.push({ path, type: "other", size });
      this.#target = "skip";
    }
  }

  /** The archive ended: checks nothing was cut off. */
  end(): void {
    if (this.#remaining > 0 || this.#padding > 0 || this.#bufLen > 0) {
      throw new Error("the archive is truncated (it ends in the middle of a member)");
    }
    if (!this.#ended && this.#zeroBlocks === 0) {
      throw new Error("the archive is truncated (its end-of-archive marker is missing)");
    }
    if (this.entries.length === 0) throw new Error("the archive holds no files");
  }
}
