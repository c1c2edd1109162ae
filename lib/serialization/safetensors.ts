/**
 * safetensors: read and write, as the `safetensors.torch` module does
 * (`load_file`, `save_file`, `load`, `save`).
 *
 * The format: an 8-byte little-endian header length, a JSON header
 * (`{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, …,
 * "__metadata__": {…}}`) padded with spaces to a multiple of 8, then the
 * tensors' little-endian bytes, back to back. Written here: F32, I64, I32,
 * BOOL, ordered as the reference implementation orders them (by dtype, then
 * name), so the bytes equal what `safetensors.torch.save` writes. Read: also
 * F64/F16/BF16 (as float32) and 8/16-bit integers (as int64), with a warning.
 * @module
 */
import { TorchError } from "../errors.ts";
import { fromHost, Tensor } from "../tensor/tensor.ts";
import { byDtype, bySafetensors, decode, encode } from "./dtypes.ts";
import { writeAtomic } from "./checkpoint.ts";
import { PY_TYPE } from "./pickle.ts";

/** safetensors' `SafetensorError`. */
export class SafetensorError extends TorchError {
  override name = "SafetensorError";
  override pyName = "SafetensorError";
}

/** A name → tensor mapping (a plain object or a Map). */
export type TensorDict = Record<string, Tensor> | Map<string, Tensor>;

const MAX_HEADER = 100_000_000;

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function bad(kind: string, detail: string): never {
  throw new SafetensorError(`Error while deserializing header: ${kind} (${detail})`);
}

function parse(
  bytes: Uint8Array,
): { entries: Entry[]; metadata: Record<string, string> | null; data: Uint8Array } {
  if (bytes.length < 8) {
    bad("HeaderTooSmall", `the file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) bad("HeaderTooLarge", `the header claims ${n} bytes`);
  const hlen = Number(n);
  if (8 + hlen > bytes.length) {
    bad(
      "InvalidHeaderLength",
      `the header claims ${hlen} bytes but the file has ${bytes.length - 8} after the length`,
    );
  }
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + hlen));
    if (!text.startsWith("{")) throw new Error("the header does not start with '{'");
    header = JSON.parse(text);
  } catch (e) {
    bad("InvalidHeaderDeserialization", (e as Error).message);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    bad("InvalidHeaderDeserialization", "the header is not a JSON object");
  }
  const h = header as Record<string, unknown>;
  const data = bytes.subarray(8 + hlen);
  let metadata: Record<string, string> | null = null;
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(h)) {
    if (name === "__metadata__") {
      if (info !== null && typeof info === "object" && !Array.isArray(info)) {
        metadata = {};
        for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
          if (typeof v !== "string") {
            bad("InvalidHeaderDeserialization", `metadata value '${k}' is not a string`);
          }
          metadata[k] = v as string;
        }
      } else if (info !== null) bad("InvalidHeaderDeserialization", "__metadata__ is not an object");
      continue;
    }
    const i = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const ok = i && typeof i === "object" && typeof i.dtype === "string" && Array.isArray(i.shape) &&
      i.shape.every((d) => Number.isSafeInteger(d) && d >= 0) && Array.isArray(i.data_offsets) &&
      i.data_offsets.length === 2 && i.data_offsets.every((d) => Number.isSafeInteger(d) && d >= 0);
    if (!ok) bad("InvalidHeaderDeserialization", `the entry for '${name}' is malformed`);
    const [begin, end] = i.data_offsets as number[];
    entries.push({ name, dtype: i.dtype as string, shape: i.shape as number[], begin, end });
  }
  // validate as the reference reader does: offsets tile the data buffer exactly
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at || e.end < e.begin) {
      throw new SafetensorError(`Error while deserializing header: InvalidOffset("${e.name}")`);
    }
    const type = bySafetensors(e.dtype);
    if (!type) {
      throw new SafetensorError(`Error while deserializing header: unknown dtype ${e.dtype} for '${e.name}'`);
    }
    const numel = e.shape.reduce((p, d) => p * d, 1);
    if (numel * type.itemsize !== e.end - e.begin) {
      throw new SafetensorError(
        `Error while deserializing header: TensorInvalidInfo (the entry for '${e.name}')`,
      );
    }
    at = e.end;
  }
  if (at !== data.length) {
    throw new SafetensorError(
      `Error while deserializing header: MetadataIncompleteBuffer (the tensors cover ${at} bytes of ${data.length}; truncated file?)`,
    );
  }
  return { entries: sorted, metadata, data };
}

function read(src: string | URL | Uint8Array | ArrayBuffer): Uint8Array {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  return Deno.readFileSync(src);
}

/** A plain object when JavaScript keeps the keys' order, else a Map. */
function ordered(names: string[], values: Tensor[]): TensorDict {
  const o: Record<string, Tensor> = {};
  names.forEach((k, i) =>
    Object.defineProperty(o, k, { value: values[i], enumerable: true, writable: true, configurable: true })
  );
  const keys = Object.keys(o);
  const out = keys.every((k, i) => k === names[i]) ? o : new Map(names.map((k, i) => [k, values[i]]));
  Object.defineProperty(out, PY_TYPE, { value: "dict", enumerable: false });
  return out;
}

/**
 * `safetensors.torch.load(data)`: the tensors in safetensors bytes, in file
 * order (a plain object, or a `Map` when JavaScript would reorder the names).
 */
export function load(data: Uint8Array | ArrayBuffer): TensorDict {
  const { entries, data: buf } = parse(read(data));
  const notes = new Map<string, string[]>();
  const tensors = entries.map((e) => {
    const type = bySafetensors(e.dtype)!;
    const numel = e.shape.reduce((p, d) => p * d, 1);
    const d = decode(buf.subarray(e.begin, e.end), type, numel);
    if (d.error) throw new SafetensorError(`cannot load the tensor '${e.name}': ${d.error}`);
    if (d.converted) notes.set(d.converted, [...(notes.get(d.converted) ?? []), `'${e.name}'`]);
    return fromHost(d.data, e.shape.slice(), d.dt);
  });
  for (const [what, names] of notes) {
    console.warn(
      `UserWarning: safetensors load converted ${names.length} tensor(s) from ${what} (the engine computes in float32, int32 and bool only): ${
        names.slice(0, 5).join(", ")
      }${names.length > 5 ? ` and ${names.length - 5} more` : ""}`,
    );
  }
  return ordered(entries.map((e) => e.name), tensors);
}

/** `safetensors.torch.load_file(filename)`: the tensors of a file (see {@link load}). */
export function load_file(filename: string | URL, opts: { device?: string } = {}): TensorDict {
  if (opts.device !== undefined && opts.device !== "cpu") {
    throw new SafetensorError(`load_file: only device 'cpu' is supported here, not '${opts.device}'`);
  }
  return load(read(filename));
}

/** The `__metadata__` strings of safetensors bytes or a file (`safe_open(…).metadata()`), or null. */
export function metadata(src: string | URL | Uint8Array | ArrayBuffer): Record<string, string> | null {
  return parse(read(src)).metadata;
}

// The reference implementation sorts by dtype (its enum order, larger first), then by name.
const RANK: Record<string, number> = { BOOL: 0, I32: 13, F32: 15, I64: 18 };

function entriesOf(tensors: TensorDict): [string, Tensor][] {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [k, v] of list) {
    if (typeof k !== "string") throw new SafetensorError("tensor names must be strings");
    if (!(v instanceof Tensor)) throw new SafetensorError(`the value for '${k}' is not a Tensor`);
  }
  return list;
}

/**
 * `safetensors.torch.save(tensors, metadata)`: the safetensors bytes.
 * Like the reference implementation, tensors sharing memory and
 * non-contiguous tensors are refused.
 */
export function save(tensors: TensorDict, meta: Record<string, string> | null = null): Uint8Array {
  const list = entriesOf(tensors);
  const byStorage = new Map<unknown, string[]>();
  for (const [k, t] of list) {
    if (t._storage.numel === 0) continue;
    byStorage.set(t._storage, [...(byStorage.get(t._storage) ?? []), k]);
  }
  const shared = [...byStorage.values()].filter((names) => names.length > 1);
  if (shared.length) {
    throw new SafetensorError(
      `Some tensors share memory, this will lead to duplicate memory on disk and potential differences when loading them again: [${
        shared.map((g) => `{${g.map((n) => `'${n}'`).join(", ")}}`).join(", ")
      }].\nA potential way to correctly save your model is to use \`save_model\`.`,
    );
  }
  for (const [k, t] of list) {
    if (!t.is_contiguous()) {
      throw new SafetensorError(
        `You are trying to save a non contiguous tensor: \`${k}\` which is not allowed. It either means you are trying to save tensors which are reference of each other in which case it's recommended to save only the full tensors, and reslice at load time, or simply call \`.contiguous()\` on your tensor to pack it before saving.`,
      );
    }
  }
  const sorted = list.map(([k, t]) => ({ k, t, code: byDtype(t.dtype).st }));
  sorted.sort((a, b) => (RANK[b.code] - RANK[a.code]) || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const header: Record<string, unknown> = {};
  const parts: Uint8Array[] = [];
  let at = 0;
  const names: string[] = [];
  for (const { k, t, code } of sorted) {
    const bytes = encode(t._host(), t.dtype);
    names.push(k);
    header[k] = { dtype: code, shape: t._shape.slice(), data_offsets: [at, at + bytes.length] };
    parts.push(bytes);
    at += bytes.length;
  }
  // JSON.stringify of an object would move integer-like names first: build the text in order
  const fields: string[] = [];
  if (meta) {
    for (const v of Object.values(meta)) {
      if (typeof v !== "string") throw new SafetensorError("metadata values must be strings");
    }
    fields.push(`"__metadata__":${JSON.stringify(meta)}`);
  }
  for (const k of names) fields.push(`${JSON.stringify(k)}:${JSON.stringify(header[k])}`);
  const text = new TextEncoder().encode(`{${fields.join(",")}}`);
  const pad = (8 - (text.length % 8)) % 8;
  const out = new Uint8Array(8 + text.length + pad + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length + pad), true);
  out.set(text, 8);
  out.fill(0x20, 8 + text.length, 8 + text.length + pad);
  let o = 8 + text.length + pad;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `safetensors.torch.save_file(tensors, filename, metadata)`: written atomically. */
export function save_file(
  tensors: TensorDict,
  filename: string | URL,
  meta: Record<string, string> | null = null,
): void {
  writeAtomic(filename, save(tensors, meta));
}
