/**
 * A safe reader for the Python pickles torchvision's `cifar-10-batches-py` folder holds: dicts,
 * lists, tuples, strings, numbers and numpy arrays. It interprets the pickle opcodes as data only:
 * the only "globals" it accepts are numpy's array reconstruction (`_reconstruct`, `ndarray`,
 * `dtype`) and `_codecs.encode`, and it calls none of them — it builds plain JavaScript values.
 * Anything else is refused, so a malicious file cannot run code.
 * @module
 */

/** Bytes as a string of the same code points (Python's latin-1 decoding; not windows-1252). */
function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** A Python 2 `str` (bytes), as `pickle.load(..., encoding="latin1")` sees it. */
export class PyStr8 {
  constructor(readonly bytes: Uint8Array) {}
  toString(): string {
    return latin1(this.bytes);
  }
}

/** A numpy array: dtype string (`u1`, `<i4` …), shape, and raw bytes in C order. */
export class NDArray {
  dtype = "";
  shape: number[] = [];
  fortran = false;
  data: Uint8Array = new Uint8Array(0);
}

class Dtype {
  constructor(readonly str: string) {}
}

class Global {
  constructor(readonly name: string) {}
}

const ALLOWED = new Set([
  "numpy.core.multiarray._reconstruct",
  "numpy._core.multiarray._reconstruct",
  "numpy.ndarray",
  "numpy.dtype",
  "_codecs.encode",
]);

const MARK = Symbol("mark");

class PickleError extends Error {}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new PickleError("non-latin1 character in a byte string");
    out[i] = c;
  }
  return out;
}

function asBytes(x: unknown): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (x instanceof PyStr8) return x.bytes;
  if (typeof x === "string") return latin1Bytes(x);
  throw new PickleError("expected bytes");
}

function keyOf(k: unknown): string {
  if (typeof k === "string") return k;
  if (k instanceof PyStr8) return k.toString();
  if (k instanceof Uint8Array) return latin1(k);
  return String(k);
}

/**
 * Reads one pickle (protocols 0–5's binary opcodes) into plain values: dicts become objects with
 * string keys, lists and tuples arrays, numpy arrays {@link NDArray}.
 *
 * @example
 * ```ts
 * import { readPickle } from "./pickle.ts";
 * // pickle.dumps({"a": [1, 2]}, protocol=2)
 * const b = new Uint8Array([128,2,125,113,0,88,1,0,0,0,97,113,1,93,113,2,40,75,1,75,2,101,115,46]);
 * readPickle(b); // { a: [1, 2] }
 * ```
 */
export function readPickle(buf: Uint8Array): unknown {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const need = (n: number) => {
    if (pos + n > buf.length) throw new PickleError("the file is truncated");
  };
  const u8 = () => {
    need(1);
    return buf[pos++];
  };
  const bytes = (n: number) => {
    if (!Number.isSafeInteger(n) || n < 0) throw new PickleError("bad length");
    need(n);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u32 = () => {
    need(4);
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = Number(dv.getBigUint64(pos, true));
    pos += 8;
    return v;
  };
  const line = () => {
    const end = buf.indexOf(10, pos);
    if (end < 0) throw new PickleError("the file is truncated");
    const s = latin1(buf.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new PickleError("MARK missing");
    const items = stack.splice(i + 1);
    stack.pop();
    return items;
  };
  const pop = () => {
    if (stack.length === 0) throw new PickleError("stack underflow");
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw new PickleError("stack underflow");
    return stack[stack.length - 1];
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (typeof d !== "object" || d === null || Array.isArray(d)) {
      throw new PickleError("SETITEM on a non-dict");
    }
    for (let i = 0; i + 1 < kv.length; i += 2) (d as Record<string, unknown>)[keyOf(kv[i])] = kv[i + 1];
  };
  const reduce = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof Global) || !Array.isArray(args)) throw new PickleError("REDUCE on a non-callable");
    switch (fn.name) {
      case "numpy.core.multiarray._reconstruct":
      case "numpy._core.multiarray._reconstruct":
        return new NDArray();
      case "numpy.dtype":
        return new Dtype(keyOf(args[0]));
      case "_codecs.encode":
        return latin1Bytes(String(args[0]));
      default:
        throw new PickleError(`refusing to call ${fn.name}`);
    }
  };
  const build = (obj: unknown, state: unknown) => {
    if (obj instanceof NDArray) {
      if (!Array.isArray(state) || state.length < 5) throw new PickleError("unexpected ndarray state");
      const [, shape, dtype, fortran, raw] = state as [unknown, number[], Dtype, boolean, unknown];
      if (!(dtype instanceof Dtype)) throw new PickleError("unexpected ndarray dtype");
      if (Array.isArray(raw)) throw new PickleError("object arrays are not supported");
      obj.shape = shape.map(Number);
      obj.dtype = dtype.str;
      obj.fortran = Boolean(fortran);
      obj.data = asBytes(raw);
      return;
    }
    if (obj instanceof Dtype) return; // byte order and flags: only '|' / '<' single-byte types are used
    throw new PickleError("BUILD on an unsupported object");
  };

  while (true) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw new PickleError("malformed pickle (stack at STOP)");
        return stack[0];
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push({});
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: { // DICT
        const d = {};
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) throw new PickleError("APPEND on a non-list");
        l.push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) throw new PickleError("APPENDS on a non-list");
        for (const v of items) l.push(v);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT
        memo.set(parseInt(line(), 10), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: { // GET
        const k = op === 0x68 ? u8() : op === 0x6a ? u32() : parseInt(line(), 10);
        if (!memo.has(k)) throw new PickleError(`memo key ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x4a: // BININT
        need(4);
        stack.push(dv.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(dv.getUint16(pos, true));
        pos += 2;
        break;
      case 0x8a: { // LONG1
        const b = bytes(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(
          v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v,
        );
        break;
      }
      case 0x49: { // INT (protocol 0)
        const s = line();
        stack.push(s === "01" ? true : s === "00" ? false : parseInt(s, 10));
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x47: // BINFLOAT
        need(8);
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(new PyStr8(bytes(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(new PyStr8(bytes(u32())));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(bytes(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(bytes(u64())));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()));
        break;
      case 0x8e: // BINBYTES8
        stack.push(bytes(u64()));
        break;
      case 0x63: { // GLOBAL
        const name = `${line()}.${line()}`;
        if (!ALLOWED.has(name)) throw new PickleError(`refusing to load: the pickle references ${name}`);
        stack.push(new Global(name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = keyOf(pop());
        const module = keyOf(pop());
        const full = `${module}.${name}`;
        if (!ALLOWED.has(full)) throw new PickleError(`refusing to load: the pickle references ${full}`);
        stack.push(new Global(full));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(reduce(cls, args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        build(top(), state);
        break;
      }
      default:
        throw new PickleError(`unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}

/** A dict value by key, or an error naming what is missing. */
export function field(obj: unknown, key: string, file: string): unknown {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj) || !(key in obj)) {
    throw new Error(`${file}: no '${key}' entry; not a CIFAR batch`);
  }
  return (obj as Record<string, unknown>)[key];
}
