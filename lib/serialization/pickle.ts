/**
 * A safe pickle reader and a protocol-2 pickle writer.
 *
 * The reader is safe by construction: it interprets the pickle opcodes
 * (protocols 0 to 5) as a data-building stack machine and never calls into
 * anything named by the data. A global (`GLOBAL`, `STACK_GLOBAL`, `INST`)
 * is looked up in an allowlist supplied by the caller; any other name is
 * refused at once with an {@link UnpicklingError} naming it, before later
 * opcodes run. The allowlisted "callables" are TypeScript functions that
 * only build data (an OrderedDict, a tensor description, a `torch.Size`).
 *
 * The reader's output is an intermediate graph ({@link PyTuple},
 * {@link PyDict}, {@link PySet}, arrays for lists, primitives and whatever
 * the allowlist builds); {@link toJS} turns it into plain JavaScript values.
 * @module
 */
import { TorchError } from "../errors.ts";

/** Python's `pickle.UnpicklingError`: a pickle that is refused or corrupt. */
export class UnpicklingError extends TorchError {
  override name = "UnpicklingError";
  override pyName = "UnpicklingError";
}

/** Python's `pickle.PicklingError`: a value that cannot be written. */
export class PicklingError extends TorchError {
  override name = "PicklingError";
  override pyName = "PicklingError";
}

// ---- the intermediate graph ---------------------------------------------------------------

/** A Python tuple while unpickling. */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A Python dict or OrderedDict while unpickling, keeping insertion order. */
export class PyDict {
  readonly keys: unknown[] = [];
  readonly values: unknown[] = [];
  private index = new Map<string, number>();
  /** Attributes set by BUILD (PyTorch's `state_dict._metadata`). */
  attrs: Map<string, unknown> | null = null;
  constructor(readonly ordered: boolean) {}
  /** Sets an item (a key equal to an existing one replaces its value, as in Python). */
  set(k: unknown, v: unknown): void {
    const h = hashKey(k);
    if (h !== null) {
      const at = this.index.get(h);
      if (at !== undefined) {
        this.values[at] = v;
        return;
      }
      this.index.set(h, this.keys.length);
    }
    this.keys.push(k);
    this.values.push(v);
  }
}

/** A Python set or frozenset while unpickling. */
export class PySet {
  readonly items: unknown[] = [];
  constructor(readonly frozen: boolean) {}
}

function hashKey(k: unknown): string | null {
  switch (typeof k) {
    case "string":
      return "s" + k;
    case "number":
      return "n" + k;
    case "boolean":
      return "n" + (k ? 1 : 0);
    case "bigint":
      return "n" + k;
  }
  return k === null ? "N" : null;
}

/** Something an allowlisted global can be called with: it builds data, nothing else. */
export interface PyCallable {
  /** `module.name`, for messages. */
  readonly qualname: string;
  /** REDUCE / OBJ / INST: `f(*args)`. */
  call(args: unknown[]): unknown;
  /** NEWOBJ: `cls.__new__(cls, *args)` (only classes that allow it). */
  newobj?(args: unknown[]): unknown;
}

/** An object that BUILD may update (besides dicts), e.g. a tensor description. */
export interface PyBuildable {
  setstate(state: unknown): void;
}

function isCallable(x: unknown): x is PyCallable {
  return typeof x === "object" && x !== null && typeof (x as PyCallable).call === "function" &&
    typeof (x as PyCallable).qualname === "string";
}

/** How the reader resolves names and persistent ids. */
export interface UnpickleOptions {
  /**
   * Resolves an allowlisted global to a {@link PyCallable} or a data value;
   * returns `undefined` to refuse it (or throws its own error, for a caller
   * whose refusals are worded otherwise). This is the whole of what a pickle
   * may build: torch.load passes its checkpoint set, the CIFAR reader numpy's
   * array reconstruction.
   */
  findGlobal(module: string, name: string): unknown;
  /** Message explaining a refusal (appended to the refused name). */
  refusal?: string;
  /**
   * Reads a Python 2 `str` (STRING, BINSTRING, SHORT_BINSTRING) from its
   * bytes, a view into the input: Python's `encoding=` argument of
   * `pickle.load`. Default: decoded as UTF-8, as torch.load does; CIFAR's
   * Python 2 batches hold raw pixels in such strings, so their reader keeps
   * the bytes.
   */
  str8?(bytes: Uint8Array): unknown;
  /**
   * The message for data that ends early, in place of the default that says
   * where it ended (a caller whose users see "the file is truncated").
   */
  truncated?: string;
  /** Resolves a persistent id (`BINPERSID`); absent: persistent ids are refused. */
  persistentLoad?(pid: unknown): unknown;
  /** Where in `bytes` the pickle starts (default 0). */
  start?: number;
}

/** Python 2 module names that protocol 0–2 pickles written by Python 3 use (Python's `_compat_pickle`). */
const PY2_MODULES: Record<string, string> = {
  __builtin__: "builtins",
  copy_reg: "copyreg",
  commands: "subprocess",
  exceptions: "builtins",
  cPickle: "pickle",
  UserDict: "collections",
  UserList: "collections",
  StringIO: "io",
  cStringIO: "io",
  urllib2: "urllib.request",
  httplib: "http.client",
  Queue: "queue",
  thread: "_thread",
};

const MARK = Symbol("mark");

const dec = new TextDecoder("utf-8", { fatal: true });
/**
 * ISO-8859-1 text of bytes: each byte one character of the same code. (`TextDecoder("latin1")`
 * is windows-1252 by the WHATWG encoding standard: it maps 0x80–0x9f to other characters.)
 */
const latin1 = {
  decode(bytes: Uint8Array): string {
    let s = "";
    for (let i = 0; i < bytes.length; i += 8192) {
      s += String.fromCharCode(...bytes.subarray(i, Math.min(i + 8192, bytes.length)));
    }
    return s;
  },
};

/** Opcode names, for messages. */
const NAMES: Record<number, string> = {
  0x28: "MARK",
  0x2e: "STOP",
  0x30: "POP",
  0x31: "POP_MARK",
  0x32: "DUP",
  0x46: "FLOAT",
  0x49: "INT",
  0x4a: "BININT",
  0x4b: "BININT1",
  0x4c: "LONG",
  0x4d: "BININT2",
  0x4e: "NONE",
  0x50: "PERSID",
  0x51: "BINPERSID",
  0x52: "REDUCE",
  0x53: "STRING",
  0x54: "BINSTRING",
  0x55: "SHORT_BINSTRING",
  0x56: "UNICODE",
  0x58: "BINUNICODE",
  0x61: "APPEND",
  0x62: "BUILD",
  0x63: "GLOBAL",
  0x64: "DICT",
  0x7d: "EMPTY_DICT",
  0x65: "APPENDS",
  0x67: "GET",
  0x68: "BINGET",
  0x69: "INST",
  0x6a: "LONG_BINGET",
  0x6c: "LIST",
  0x5d: "EMPTY_LIST",
  0x6f: "OBJ",
  0x70: "PUT",
  0x71: "BINPUT",
  0x72: "LONG_BINPUT",
  0x73: "SETITEM",
  0x74: "TUPLE",
  0x29: "EMPTY_TUPLE",
  0x75: "SETITEMS",
  0x47: "BINFLOAT",
  0x80: "PROTO",
  0x81: "NEWOBJ",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x85: "TUPLE1",
  0x86: "TUPLE2",
  0x87: "TUPLE3",
  0x88: "NEWTRUE",
  0x89: "NEWFALSE",
  0x8a: "LONG1",
  0x8b: "LONG4",
  0x42: "BINBYTES",
  0x43: "SHORT_BINBYTES",
  0x8c: "SHORT_BINUNICODE",
  0x8d: "BINUNICODE8",
  0x8e: "BINBYTES8",
  0x8f: "EMPTY_SET",
  0x90: "ADDITEMS",
  0x91: "FROZENSET",
  0x92: "NEWOBJ_EX",
  0x93: "STACK_GLOBAL",
  0x94: "MEMOIZE",
  0x95: "FRAME",
  0x96: "BYTEARRAY8",
  0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
};

/** The result of reading one pickle: its value and where it ended. */
export interface Unpickled {
  value: unknown;
  end: number;
}

/**
 * Reads one pickle from `bytes` (starting at `opts.start`), safely: see the
 * module documentation. Throws {@link UnpicklingError} on a refused global
 * or corrupt data.
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): Unpickled {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  let pos = opts.start ?? 0;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const corrupt = (why: string): never => {
    throw new UnpicklingError(`the pickle data is corrupt: ${why}`);
  };
  const truncated = (where: string): never => {
    throw new UnpicklingError(opts.truncated ?? `the pickle data was truncated (${where})`);
  };
  const need = (k: number): void => {
    if (k < 0 || pos + k > n) truncated("it ends in the middle of an opcode");
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(n)) truncated("a length runs past its end");
    return Number(v);
  };
  const take = (k: number): Uint8Array => {
    need(k);
    const b = bytes.subarray(pos, pos + k);
    pos += k;
    return b;
  };
  const line = (): string => {
    const at = bytes.indexOf(0x0a, pos);
    if (at < 0) truncated("a text argument has no end of line");
    const s = latin1.decode(bytes.subarray(pos, at));
    pos = at + 1;
    return s;
  };
  const utf8 = (b: Uint8Array): string => {
    try {
      return dec.decode(b);
    } catch {
      return corrupt("a string is not valid UTF-8");
    }
  };
  const str8 = opts.str8 ?? utf8;
  // (not `stack.push(f())`: f may swap `stack` when it pops a MARK)
  const push = (v: unknown): void => {
    stack.push(v);
  };
  const pop = (): unknown => {
    if (stack.length === 0) corrupt("the stack is empty where a value was expected");
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) corrupt("the stack is empty where a value was expected");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) corrupt("a MARK is missing");
    stack = prev!;
    return items;
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) corrupt(`memo entry ${i} is used before it is defined`);
    return memo.get(i);
  };
  const refuse = (qual: string, how: string): never => {
    throw new UnpicklingError(
      `refusing to load the global '${qual}' (${how}): ${
        opts.refusal ??
          "only tensors, storages, dicts/OrderedDict, lists, tuples and primitives can be loaded, and nothing from the file is ever run"
      }`,
    );
  };
  const findGlobal = (module: string, name: string, how: string): unknown => {
    const mod = PY2_MODULES[module] ?? module;
    const v = opts.findGlobal(mod, name);
    if (v === undefined) refuse(`${mod}.${name}`, how);
    return v;
  };
  const call = (f: unknown, args: unknown, how: string): unknown => {
    if (!isCallable(f)) {
      return corrupt(`${how} applied to ${describe(f)}, which is not an allowed callable`);
    }
    if (!(args instanceof PyTuple)) return corrupt(`${how} arguments are not a tuple`);
    return f.call(args.items);
  };
  const setItems = (d: unknown, items: unknown[], how: string): void => {
    if (items.length % 2) corrupt(`${how} has an odd number of items`);
    if (d instanceof PyDict) {
      for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
    } else corrupt(`${how} applied to ${describe(d)}, which is not a dict`);
  };
  const toInt = (big: bigint): number | bigint =>
    big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  const decodeLong = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return toInt(v);
  };
  const parseIntText = (s: string, what: string): number | bigint => {
    const t = s.replace(/L$/, "").trim();
    if (!/^[-+]?\d+$/.test(t)) return corrupt(`${what} argument '${s}' is not an integer`);
    return toInt(BigInt(t));
  };

  if (pos >= n) throw new UnpicklingError(opts.truncated ?? "Ran out of input (the pickle data is empty)");

  for (;;) {
    if (pos >= n) truncated("no STOP opcode");
    const op = bytes[pos++];
    switch (op) {
      case 0x80: { // PROTO
        const p = u8();
        if (p > 5) corrupt(`unsupported pickle protocol: ${p}`);
        break;
      }
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0 && marks.length) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      // ---- primitives
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88:
        push(true);
        break;
      case 0x89:
        push(false);
        break;
      case 0x49: { // INT (text; I00/I01 are bools)
        const s = line();
        if (s === "00") push(false);
        else if (s === "01") push(true);
        else push(parseIntText(s, "INT"));
        break;
      }
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x4c: // LONG (text)
        push(parseIntText(line(), "LONG"));
        break;
      case 0x8a: // LONG1
        push(decodeLong(take(u8())));
        break;
      case 0x8b: { // LONG4
        const k = i32();
        if (k < 0) corrupt("LONG4 has a negative length");
        push(decodeLong(take(k)));
        break;
      }
      case 0x46: { // FLOAT (text)
        const s = line().trim();
        const v = Number(s === "nan" ? NaN : s === "inf" ? Infinity : s === "-inf" ? -Infinity : s);
        if (Number.isNaN(v) && !/^[-+]?nan$/i.test(s)) corrupt(`FLOAT argument '${s}' is not a number`);
        push(v);
        break;
      }
      case 0x47: { // BINFLOAT (big-endian double)
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      // ---- strings and bytes
      case 0x58: // BINUNICODE
        push(utf8(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8(take(u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape)
        push(rawUnicodeEscape(line()));
        break;
      case 0x53: // STRING (Python 2 str, quoted)
        push(str8(pyStringLiteral(line(), corrupt)));
        break;
      case 0x54: { // BINSTRING
        const k = i32();
        if (k < 0) corrupt("BINSTRING has a negative length");
        push(str8(take(k)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        push(str8(take(u8())));
        break;
      case 0x42: // BINBYTES
        push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        push(take(u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        push(take(u64()).slice());
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        corrupt(`${NAMES[op]}: out-of-band buffers (pickle protocol 5) are not supported`);
        break;
      // ---- containers
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x61: { // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) corrupt(`APPEND applied to ${describe(l)}, which is not a list`);
        (l as unknown[]).push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) corrupt(`APPENDS applied to ${describe(l)}, which is not a list`);
        for (const v of items) (l as unknown[]).push(v);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b, c]));
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict(false));
        break;
      case 0x64: { // DICT
        const d = new PyDict(false);
        setItems(d, popMark(), "DICT");
        push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v], "SETITEM");
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items, "SETITEMS");
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new PySet(false));
        break;
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet) || s.frozen) {
          corrupt(`ADDITEMS applied to ${describe(s)}, which is not a set`);
        }
        (s as PySet).items.push(...items);
        break;
      }
      case 0x91: { // FROZENSET
        const s = new PySet(true);
        s.items.push(...popMark());
        push(s);
        break;
      }
      // ---- memo
      case 0x70: { // PUT (text)
        const s = line();
        if (!/^\d+$/.test(s)) corrupt(`PUT index '${s}' is not a number`);
        memo.set(Number(s), top());
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: { // GET (text)
        const s = line();
        if (!/^\d+$/.test(s)) corrupt(`GET index '${s}' is not a number`);
        push(memoGet(Number(s)));
        break;
      }
      case 0x68: // BINGET
        push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      // ---- globals and calls: only through the allowlist
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        push(findGlobal(module, name, "GLOBAL"));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") corrupt("STACK_GLOBAL needs two strings");
        push(findGlobal(module as string, name as string, "STACK_GLOBAL"));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const name = line();
        const f = findGlobal(module, name, "INST");
        push(call(f, new PyTuple(popMark()), "INST"));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (items.length === 0) corrupt("OBJ without a class");
        push(call(items[0], new PyTuple(items.slice(1)), "OBJ"));
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84: { // EXT1/2/4
        const code = op === 0x82 ? u8() : op === 0x83 ? u16() : i32();
        throw new UnpicklingError(
          `refusing ${
            NAMES[op]
          } (extension registry code ${code}): it names a global this reader cannot check; nothing from the file is ever run`,
        );
      }
      case 0x52: { // REDUCE
        const args = pop();
        const f = pop();
        push(call(f, args, "REDUCE"));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!isCallable(cls) || !cls.newobj) {
          corrupt(`NEWOBJ applied to ${describe(cls)}, which is not an allowed class`);
        }
        if (!(args instanceof PyTuple)) corrupt("NEWOBJ arguments are not a tuple");
        push((cls as PyCallable).newobj!((args as PyTuple).items));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!isCallable(cls) || !cls.newobj) {
          corrupt(`NEWOBJ_EX applied to ${describe(cls)}, which is not an allowed class`);
        }
        if (!(args instanceof PyTuple)) corrupt("NEWOBJ_EX arguments are not a tuple");
        if (!(kwargs instanceof PyDict) || kwargs.keys.length) {
          corrupt("NEWOBJ_EX with keyword arguments is not supported");
        }
        push((cls as PyCallable).newobj!((args as PyTuple).items));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const inst = top();
        build(inst, state, corrupt);
        break;
      }
      case 0x50: { // PERSID (text)
        const pid = line();
        if (!opts.persistentLoad) corrupt("a persistent id is used but none are expected here");
        push(opts.persistentLoad!(pid));
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) corrupt("a persistent id is used but none are expected here");
        push(opts.persistentLoad!(pid));
        break;
      }
      default: {
        const shown = op >= 0x20 && op < 0x7f
          ? `'${String.fromCharCode(op)}'`
          : `'\\x${op.toString(16).padStart(2, "0")}'`;
        throw new UnpicklingError(
          `invalid load key, ${shown} (at byte ${pos - 1}: not a pickle opcode; corrupt data?)`,
        );
      }
    }
  }
}

function build(inst: unknown, state: unknown, corrupt: (why: string) => never): void {
  if (inst instanceof PyDict) {
    // an object without __setstate__: state is a dict of attributes, or (dict, slotstate)
    const parts = state instanceof PyTuple && state.items.length === 2 ? state.items : [state];
    for (const part of parts) {
      if (part === null) continue;
      if (!(part instanceof PyDict)) return corrupt("BUILD state for a dict must be a dict of attributes");
      part.keys.forEach((k, i) => {
        if (typeof k !== "string") corrupt("BUILD attribute names must be strings");
        (inst.attrs ??= new Map()).set(k as string, part.values[i]);
      });
    }
    return;
  }
  if (typeof inst === "object" && inst !== null && typeof (inst as PyBuildable).setstate === "function") {
    (inst as PyBuildable).setstate(state);
    return;
  }
  corrupt(`BUILD applied to ${describe(inst)}, which takes no state`);
}

/** Short description of an intermediate value, for messages. */
export function describe(v: unknown): string {
  if (v === null) return "None";
  if (v === MARK) return "a MARK";
  if (Array.isArray(v)) return "a list";
  if (v instanceof PyTuple) return "a tuple";
  if (v instanceof PyDict) return v.ordered ? "an OrderedDict" : "a dict";
  if (v instanceof PySet) return "a set";
  if (v instanceof Uint8Array) return "bytes";
  if (isCallable(v)) return `'${v.qualname}'`;
  if (typeof v === "object") return `a ${(v as object).constructor?.name ?? "object"}`;
  return `a ${typeof v === "number" ? (Number.isInteger(v) ? "int" : "float") : typeof v}`;
}

function rawUnicodeEscape(s: string): string {
  return s.replace(
    /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
    (_m, a, b) => String.fromCodePoint(parseInt(a ?? b, 16)),
  );
}

/** The bytes of a quoted Python 2 `str` literal (the STRING opcode's argument). */
function pyStringLiteral(s: string, corrupt: (w: string) => never): Uint8Array {
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) {
    return corrupt("the STRING opcode argument must be quoted");
  }
  const body = s.slice(1, -1);
  const out: number[] = [];
  const ESC: Record<string, number> = {
    n: 10,
    r: 13,
    t: 9,
    "\\": 92,
    "'": 39,
    '"': 34,
    a: 7,
    b: 8,
    f: 12,
    v: 11,
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      out.push(body.charCodeAt(i) & 0xff);
      continue;
    }
    const d = body[++i];
    if (d === "x") {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (d >= "0" && d <= "7") {
      let j = i;
      while (j < i + 3 && body[j] >= "0" && body[j] <= "7") j++;
      out.push(parseInt(body.slice(i, j), 8) & 0xff);
      i = j - 1;
    } else if (d in ESC) out.push(ESC[d]);
    else out.push(92, body.charCodeAt(i) & 0xff);
  }
  return new Uint8Array(out);
}

// ---- turning the graph into JavaScript -----------------------------------------------------

/** Marks a loaded dict as Python's `dict` or `collections.OrderedDict` (non-enumerable). */
export const PY_TYPE: unique symbol = Symbol.for("denotorch.pytype");

/** Hook for values the caller's allowlist built (tensors...); return `undefined` to keep the value as is. */
export type LeafHook = (v: unknown, path: string) => unknown;

/**
 * Turns the reader's graph into JavaScript values:
 * list → Array; tuple → frozen Array; dict/OrderedDict → a plain object when
 * every key is a string and JavaScript keeps their order, else a `Map`
 * (either way tagged with {@link PY_TYPE}, with BUILD attributes such as
 * `_metadata` as non-enumerable properties); set → `Set`; bytes →
 * `Uint8Array`; ints beyond 2^53 → `bigint`. Shared and cyclic references
 * stay shared. `key`, when given, maps each dict key first (CIFAR's Python 2
 * batches key their dicts with byte strings, which it turns into text).
 */
export function toJS(root: unknown, leaf: LeafHook, key?: (k: unknown) => unknown): unknown {
  const done = new Map<unknown, unknown>();
  const MAX_DEPTH = 1000; // Python's own recursion limit: nothing deeper is written by PyTorch
  const go = (v: unknown, path: string, depth: number): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (done.has(v)) return done.get(v);
    if (depth > MAX_DEPTH) throw new UnpicklingError(`the checkpoint nests deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype) {
      const out: unknown[] = [];
      done.set(v, out);
      v.forEach((x, i) => out.push(go(x, `${path}[${i}]`, depth + 1)));
      return out;
    }
    if (v instanceof PyTuple) {
      const out: unknown[] = [];
      done.set(v, out);
      v.items.forEach((x, i) => out.push(go(x, `${path}[${i}]`, depth + 1)));
      return Object.freeze(out);
    }
    if (v instanceof PySet) {
      const out = new Set<unknown>();
      done.set(v, out);
      for (const x of v.items) out.add(go(x, `${path}{…}`, depth + 1));
      return out;
    }
    if (v instanceof PyDict) {
      const keys = key ? v.keys.map(key) : v.keys;
      const allStr = keys.every((k) => typeof k === "string");
      let out: Record<string, unknown> | Map<unknown, unknown>;
      if (allStr) {
        const o: Record<string, unknown> = {};
        for (const k of keys as string[]) {
          Object.defineProperty(o, k, {
            value: undefined,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        const order = Object.keys(o);
        out = order.every((k, i) => k === keys[i]) ? o : new Map();
      } else out = new Map();
      done.set(v, out);
      Object.defineProperty(out, PY_TYPE, { value: v.ordered ? "OrderedDict" : "dict", enumerable: false });
      keys.forEach((k, i) => {
        const jsKey = typeof k === "string" ? k : go(k, `${path}<key>`, depth + 1);
        const kp = typeof k === "string" ? `${path}['${k}']` : `${path}[${String(k)}]`;
        const val = go(v.values[i], kp, depth + 1);
        if (out instanceof Map) out.set(jsKey, val);
        else out[k as string] = val;
      });
      if (v.attrs) {
        for (const [name, a] of v.attrs) {
          Object.defineProperty(out, name, {
            value: go(a, `${path}.${name}`, depth + 1),
            enumerable: false,
            writable: true,
            configurable: true,
          });
        }
      }
      return out;
    }
    const r = leaf(v, path);
    const out = r === undefined ? v : r;
    done.set(v, out);
    return out;
  };
  return go(root, "", 0);
}

// ---- the writer ------------------------------------------------------------------------------

/** A global as the writer emits it (`GLOBAL module\nname\n`). */
export class GlobalRef {
  constructor(readonly module: string, readonly name: string) {}
}

/** `func(*args)` (REDUCE), then optional dict items (SETITEMS) and state (BUILD). */
export class Reduce {
  constructor(
    readonly func: GlobalRef,
    readonly args: readonly unknown[],
    readonly items?: readonly (readonly [unknown, unknown])[],
    readonly state?: unknown,
  ) {}
}

/** A persistent id (BINPERSID) whose value is pickled in line. */
export class PersistentRef {
  constructor(readonly pid: unknown) {}
}

/** A tuple for the writer (frozen JS arrays are tuples too). */
export class TupleOf {
  constructor(readonly items: readonly unknown[]) {}
}

/** Converts a JS value the writer does not know natively into a Reduce/PersistentRef/…; `undefined` = unknown. */
export type ReplaceHook = (v: object, path: string) => unknown;

/** Options of {@link pickle}. */
export interface PickleOptions {
  /** Called on objects that are not plain containers (tensors, dtypes…). */
  replace?: ReplaceHook;
}

class Out {
  buf = new Uint8Array(1024);
  n = 0;
  reserve(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.n++] = b;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  u32(v: number): void {
    this.reserve(4);
    new DataView(this.buf.buffer).setUint32(this.n, v, true);
    this.n += 4;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

const enc = new TextEncoder();
const BATCH = 1000;

function isPlainObject(v: object): v is Record<string, unknown> {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Python attributes of a dict-like: its own non-enumerable string properties (e.g. `_metadata`). */
function attributesOf(v: object): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const k of Object.getOwnPropertyNames(v)) {
    const d = Object.getOwnPropertyDescriptor(v, k)!;
    if (!d.enumerable && "value" in d && !(Array.isArray(v) && k === "length")) out.push([k, d.value]);
  }
  return out;
}

/**
 * Writes `value` as a protocol-2 pickle, as Python's pickler does for the
 * same data: null → None, booleans, numbers (integers → int, others →
 * float), bigint → int, strings, `Uint8Array` → bytes, arrays → list,
 * frozen arrays → tuple, plain objects and Maps → OrderedDict (a dict
 * tagged `PY_TYPE: "dict"` → dict), `Set` → set, plus whatever
 * `opts.replace` turns into a {@link Reduce} or {@link PersistentRef}.
 * Shared objects are written once and referenced (the memo), so cycles and
 * sharing survive.
 */
export function pickle(value: unknown, opts: PickleOptions = {}): Uint8Array {
  const out = new Out();
  const memo = new Map<unknown, number>();
  const globals = new Map<string, number>();
  const inProgress = new Set<unknown>();
  out.byte(0x80);
  out.byte(2);

  const put = (key: unknown): void => {
    const i = memo.size + globals.size;
    if (key instanceof GlobalRef) globals.set(`${key.module}\n${key.name}`, i);
    else memo.set(key, i);
    if (i < 256) {
      out.byte(0x71);
      out.byte(i);
    } else {
      out.byte(0x72);
      out.u32(i);
    }
  };
  const get = (i: number): void => {
    if (i < 256) {
      out.byte(0x68);
      out.byte(i);
    } else {
      out.byte(0x6a);
      out.u32(i);
    }
  };
  const str = (s: string): void => {
    const b = enc.encode(s);
    out.byte(0x58);
    out.u32(b.length);
    out.bytes(b);
  };
  const int = (v: number | bigint): void => {
    if (typeof v === "number" && v >= 0 && v < 256) {
      out.byte(0x4b);
      out.byte(v);
    } else if (typeof v === "number" && v >= 0 && v < 65536) {
      out.byte(0x4d);
      out.byte(v & 0xff);
      out.byte(v >> 8);
    } else if (typeof v === "number" && v >= -2147483648 && v <= 2147483647) {
      out.byte(0x4a);
      out.reserve(4);
      new DataView(out.buf.buffer).setInt32(out.n, v, true);
      out.n += 4;
    } else {
      // LONG1: little-endian two's complement, as short as possible
      let big = BigInt(v);
      const bytes: number[] = [];
      for (;;) {
        const b = Number(big & 0xffn);
        bytes.push(b);
        big >>= 8n;
        if ((big === 0n && !(b & 0x80)) || (big === -1n && b & 0x80)) break;
      }
      if (bytes.length > 255) throw new PicklingError("an int is too large to pickle");
      out.byte(0x8a);
      out.byte(bytes.length);
      out.bytes(new Uint8Array(bytes));
    }
  };
  const float = (v: number): void => {
    out.byte(0x47);
    out.reserve(8);
    new DataView(out.buf.buffer).setFloat64(out.n, v, false);
    out.n += 8;
  };
  const global = (g: GlobalRef): void => {
    const key = `${g.module}\n${g.name}`;
    const at = globals.get(key);
    if (at !== undefined) return get(at);
    out.byte(0x63);
    out.bytes(enc.encode(`${g.module}\n${g.name}\n`));
    put(g);
  };
  const tuple = (items: readonly unknown[], path: string): void => {
    if (items.length === 0) {
      out.byte(0x29);
      return;
    }
    if (items.length <= 3) {
      items.forEach((x, i) => save(x, `${path}[${i}]`));
      out.byte(0x84 + items.length);
    } else {
      out.byte(0x28);
      items.forEach((x, i) => save(x, `${path}[${i}]`));
      out.byte(0x74);
    }
  };
  const setItems = (entries: readonly (readonly [unknown, unknown])[], path: string): void => {
    for (let s = 0; s < entries.length; s += BATCH) {
      const chunk = entries.slice(s, s + BATCH);
      if (chunk.length === 1) {
        save(chunk[0][0], `${path}<key>`);
        save(chunk[0][1], keyPath(path, chunk[0][0]));
        out.byte(0x73);
      } else {
        out.byte(0x28);
        for (const [k, v] of chunk) {
          save(k, `${path}<key>`);
          save(v, keyPath(path, k));
        }
        out.byte(0x75);
      }
    }
  };
  const reduce = (r: Reduce, memoKey: unknown, path: string): void => {
    global(r.func);
    tuple(r.args, path);
    out.byte(0x52);
    if (memoKey !== undefined) put(memoKey);
    if (r.items && r.items.length) setItems(r.items, path);
    if (r.state !== undefined) {
      save(r.state, path);
      out.byte(0x62);
    }
  };
  const dictLike = (v: object, entries: [unknown, unknown][], path: string): void => {
    const kind = (v as { [PY_TYPE]?: string })[PY_TYPE];
    const attrs = attributesOf(v);
    if (kind === "dict" && attrs.length === 0) {
      out.byte(0x7d);
      put(v);
      setItems(entries, path);
      return;
    }
    const state = attrs.length ? Object.fromEntries(attrs) : undefined;
    if (state) Object.defineProperty(state, PY_TYPE, { value: "dict", enumerable: false });
    reduce(new Reduce(new GlobalRef("collections", "OrderedDict"), [], entries, state), v, path);
  };

  let depth = 0;
  const save = (v: unknown, path: string): void => {
    if (typeof v === "object" && v !== null) {
      if (++depth > 1000) {
        throw new PicklingError(`cannot save data nested deeper than 1000 levels (at ${path.slice(0, 60)}…)`);
      }
      try {
        saveValue(v, path);
      } finally {
        depth--;
      }
      return;
    }
    saveValue(v, path);
  };
  const saveValue = (v: unknown, path: string): void => {
    if (v === null || v === undefined) return out.byte(0x4e);
    if (v === true) return out.byte(0x88);
    if (v === false) return out.byte(0x89);
    if (typeof v === "number") {
      return Number.isInteger(v) && !Object.is(v, -0) ? int(v) : float(v);
    }
    if (typeof v === "bigint") return int(v);
    if (typeof v === "string") return str(v);
    if (typeof v !== "object") {
      throw new PicklingError(`cannot save ${typeof v} at ${path || "the top level"}`);
    }
    const m = memo.get(v);
    if (m !== undefined) return get(m);
    if (v instanceof GlobalRef) return global(v);
    if (v instanceof PersistentRef) {
      save(v.pid, path);
      out.byte(0x51);
      return;
    }
    if (v instanceof Reduce) return reduce(v, undefined, path);
    if (v instanceof TupleOf) return tuple(v.items, path);
    if (opts.replace && !isPlainObject(v) && Object.getPrototypeOf(v) !== Array.prototype) {
      const r = opts.replace(v, path);
      if (r !== undefined) {
        if (r instanceof Reduce) return reduce(r, v, path);
        if (r instanceof GlobalRef) return global(r);
        return save(r, path);
      }
    }
    if (v instanceof Uint8Array) {
      // protocol 2 writes bytes as _codecs.encode(latin-1 text, 'latin1')
      const g = new GlobalRef("_codecs", "encode");
      reduce(new Reduce(g, [latin1.decode(v), "latin1"]), v, path);
      return;
    }
    if (Array.isArray(v) && Object.isFrozen(v)) {
      if (inProgress.has(v)) throw new PicklingError(`a tuple contains itself at ${path || "the top level"}`);
      inProgress.add(v);
      tuple(v, path);
      inProgress.delete(v);
      put(v);
      return;
    }
    if (Array.isArray(v)) {
      out.byte(0x5d);
      put(v);
      for (let s = 0; s < v.length; s += BATCH) {
        const chunk = v.slice(s, s + BATCH);
        if (chunk.length === 1) {
          save(chunk[0], `${path}[${s}]`);
          out.byte(0x61);
        } else {
          out.byte(0x28);
          chunk.forEach((x, i) => save(x, `${path}[${s + i}]`));
          out.byte(0x65);
        }
      }
      return;
    }
    if (v instanceof Map) return dictLike(v, [...v.entries()], path);
    if (v instanceof Set) {
      reduce(new Reduce(new GlobalRef("__builtin__", "set"), [[...v]]), v, path);
      return;
    }
    if (isPlainObject(v)) return dictLike(v, Object.entries(v), path);
    const kind = (v as object).constructor?.name ?? "object";
    throw new PicklingError(
      `cannot save a ${kind} at ${
        path || "the top level"
      }: only tensors, dicts/Maps, arrays, numbers, strings, booleans, null and bytes can be saved`,
    );
  };

  save(value, "");
  out.byte(0x2e);
  return out.result();
}

function keyPath(path: string, k: unknown): string {
  return typeof k === "string" ? `${path}['${k}']` : `${path}[${String(k)}]`;
}
