/**
 * A safe reader for the Python pickles torchvision's `cifar-10-batches-py` folder holds: dicts,
 * lists, tuples, strings, numbers and numpy arrays. It is torch.load's pickle machine
 * (`lib/serialization/pickle.ts`) with another allow-list: the only globals it accepts are numpy's
 * array reconstruction (`_reconstruct`, `ndarray`, `dtype`) and `_codecs.encode`, and what they
 * "call" only fills in plain JavaScript values. Anything else is refused, so a malicious file
 * cannot run code.
 * @module
 */
import {
  type PyBuildable,
  type PyCallable,
  PyTuple,
  toJS,
  unpickle,
  UnpicklingError,
} from "../../serialization/pickle.ts";

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
export class NDArray implements PyBuildable {
  dtype = "";
  shape: number[] = [];
  fortran = false;
  data: Uint8Array = new Uint8Array(0);
  /** `ndarray.__setstate__((version, shape, dtype, is_fortran, raw))`, as data. */
  setstate(state: unknown): void {
    if (!(state instanceof PyTuple) || state.items.length < 5) {
      throw new UnpicklingError("unexpected ndarray state");
    }
    const [, shape, dtype, fortran, raw] = state.items;
    if (!(dtype instanceof Dtype)) throw new UnpicklingError("unexpected ndarray dtype");
    if (Array.isArray(raw)) throw new UnpicklingError("object arrays are not supported");
    if (!(shape instanceof PyTuple)) throw new UnpicklingError("unexpected ndarray state");
    this.shape = shape.items.map(Number);
    this.dtype = dtype.str;
    this.fortran = Boolean(fortran);
    this.data = asBytes(raw);
  }
}

class Dtype implements PyBuildable {
  constructor(readonly str: string) {}
  setstate(): void {} // byte order and flags: only '|' / '<' single-byte types are used
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new UnpicklingError("non-latin1 character in a byte string");
    out[i] = c;
  }
  return out;
}

function asBytes(x: unknown): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (x instanceof PyStr8) return x.bytes;
  if (typeof x === "string") return latin1Bytes(x);
  throw new UnpicklingError("expected bytes");
}

function keyOf(k: unknown): string {
  if (typeof k === "string") return k;
  if (k instanceof PyStr8) return k.toString();
  if (k instanceof Uint8Array) return latin1(k);
  return String(k);
}

/** An allowed global: `call` builds data; a class used only as an argument refuses to be called. */
function global(qualname: string, call?: (args: unknown[]) => unknown): PyCallable {
  return {
    qualname,
    call: call ?? (() => {
      throw new UnpicklingError(`refusing to call ${qualname}`);
    }),
  };
}

const reconstruct = (name: string) => global(name, () => new NDArray());

/** Everything a CIFAR pickle may name; nothing else resolves. */
const ALLOWED = new Map<string, PyCallable>([
  ["numpy.core.multiarray._reconstruct", reconstruct("numpy.core.multiarray._reconstruct")],
  ["numpy._core.multiarray._reconstruct", reconstruct("numpy._core.multiarray._reconstruct")],
  ["numpy.ndarray", global("numpy.ndarray")],
  ["numpy.dtype", global("numpy.dtype", (args) => new Dtype(keyOf(args[0])))],
  ["_codecs.encode", global("_codecs.encode", (args) => latin1Bytes(String(args[0])))],
]);

function findGlobal(module: string, name: string): PyCallable {
  const g = ALLOWED.get(`${module}.${name}`);
  if (!g) throw new UnpicklingError(`refusing to load: the pickle references ${module}.${name}`);
  return g;
}

/**
 * Reads one pickle (protocols 0–5) into plain values: dicts become objects with string keys,
 * lists and tuples arrays, Python 2 strings {@link PyStr8}, numpy arrays {@link NDArray}.
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
  const { value } = unpickle(buf, {
    findGlobal,
    // Python 2 strings keep their bytes: a batch's pixels are one such string
    str8: (b) => new PyStr8(b),
    truncated: "the file is truncated",
  });
  return toJS(value, () => undefined, keyOf);
}

/** A dict value by key, or an error naming what is missing. */
export function field(obj: unknown, key: string, file: string): unknown {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj) || !(key in obj)) {
    throw new Error(`${file}: no '${key}' entry; not a CIFAR batch`);
  }
  return (obj as Record<string, unknown>)[key];
}
