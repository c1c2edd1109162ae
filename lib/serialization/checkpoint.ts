/**
 * `torch.save` / `torch.load` in PyTorch's checkpoint formats.
 *
 * Reading: the zip format of PyTorch ≥ 1.6 (any archive folder name,
 * `byteorder` record honoured, stored or deflated records, zip64) and the
 * legacy pickle-stream format (`_use_new_zipfile_serialization=False`).
 * Writing: the zip format as PyTorch 2.x lays it out (`data.pkl`,
 * `.format_version`, `.storage_alignment`, `byteorder`, `data/0…`, `version`;
 * pickle protocol 2; records 64-byte aligned), which PyTorch 1.6 and later load.
 *
 * Loading is always "weights only": the pickle is read by a safe reader
 * (see `pickle.ts`) whose allowlist holds only what a checkpoint of tensors
 * needs — `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
 * `_rebuild_parameter`, `torch.*Storage`, `torch.Size`, `torch.device`,
 * dtypes, `_codecs.encode` (bytes), `set`. Any other global (`os.system`,
 * `builtins.eval`, a pickled model class) is refused with an error naming
 * it; nothing from the file is ever run.
 *
 * Values come back as: dict/OrderedDict → plain object when every key is a
 * string and JavaScript keeps their order (else a `Map`), with attributes
 * such as `_metadata` as non-enumerable properties; list → Array; tuple →
 * frozen Array; tensors → `Tensor` (views sharing a storage in the file share
 * it here); `nn.Parameter` → the registered Parameter type (see
 * {@link register_parameter_type}), else a Tensor with `requires_grad`.
 * @module
 */
import { RuntimeError, TorchTypeError } from "../errors.ts";
import { fromHost, Tensor } from "../tensor/tensor.ts";
import { Storage } from "../tensor/storage.ts";
import { to } from "../tensor/methods.ts";
import { dtype, DTYPES } from "../tensor/dtype.ts";
import { device } from "../tensor/device.ts";
import { Size } from "../tensor/size.ts";
import { isZip, ZipReader, ZipWriter } from "./zip.ts";
import {
  describe,
  GlobalRef,
  PersistentRef,
  pickle,
  PicklingError,
  type PyCallable,
  PyDict,
  PySet,
  PyTuple,
  Reduce,
  toJS,
  TupleOf,
  unpickle,
  UnpicklingError,
} from "./pickle.ts";
import { byDtype, byStorage, decode, type DiskType, encode } from "./dtypes.ts";

// ---- nn.Parameter hook ------------------------------------------------------------------------

/** How checkpoints recognise and build `nn.Parameter` (registered by `nn`). */
export interface ParameterType {
  /** Whether a tensor is a Parameter (saved via `torch._utils._rebuild_parameter`). */
  is(t: Tensor): boolean;
  /** Builds a Parameter sharing `data`'s storage. */
  make(data: Tensor, requires_grad: boolean): Tensor;
}

let parameterType: ParameterType | null = null;

/**
 * Registers the Parameter class, so that loading builds Parameters and saving
 * writes them as PyTorch does. Without it, loaded Parameters are Tensors with
 * `requires_grad`, and tensors whose class is named `Parameter` or
 * `ParameterClass` are saved as Parameters.
 */
export function register_parameter_type(p: ParameterType | null): void {
  parameterType = p;
}

/** The registered Parameter type, or null. */
export function current_parameter_type(): ParameterType | null {
  return parameterType;
}

function isParameter(t: Tensor): boolean {
  if (parameterType) return parameterType.is(t);
  const n = t.constructor.name;
  return n === "Parameter" || n === "ParameterClass";
}

// ---- loading ------------------------------------------------------------------------------------

/** Where storages go: PyTorch's `map_location` forms. */
export type MapLocation =
  | string
  | device
  | Record<string, string | device>
  | ((storage: StorageInfo, location: string) => unknown)
  | null
  | undefined;

/** What a `map_location` function receives as its `storage` argument. */
export interface StorageInfo {
  /** PyTorch's storage type (`torch.FloatStorage`). */
  readonly type: string;
  /** Elements in the storage. */
  readonly numel: number;
  /** The location tag saved in the file (`cpu`, `cuda:0`). */
  readonly location: string;
}

/** Options of {@link load}. */
export interface LoadOptions {
  /** Where to put storages (PyTorch's forms: a device, a string, a dict of tags, a function). */
  map_location?: MapLocation;
  /** Accepted for PyTorch compatibility: loading is always weights-only here (never runs code). */
  weights_only?: boolean;
  /** Accepted and ignored (the file is read into memory). */
  mmap?: boolean;
}

/** A storage named by a persistent id. */
class StorageRef {
  base: Tensor | null = null;
  converted: string | undefined;
  data: (() => Uint8Array) | null = null;
  constructor(
    readonly key: string,
    readonly type: DiskType,
    readonly numel: number,
    readonly target: device,
    readonly bigEndian: boolean,
  ) {}
}

/** `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, …)`, built after unpickling. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
    readonly requires_grad: boolean,
  ) {}
  /** BUILD on a tensor (Python attributes of a Tensor subclass): dropped. */
  setstate(_state: unknown): void {}
}

/** `_rebuild_parameter(data, requires_grad, hooks)`. */
class ParamRef {
  constructor(readonly data: TensorRef, readonly requires_grad: boolean) {}
  setstate(_state: unknown): void {}
}

/** A class that is only data here (`torch.FloatStorage`, `torch.Tensor`). */
class TypeToken {
  constructor(readonly qualname: string, readonly disk?: DiskType) {}
  toString(): string {
    return this.qualname;
  }
}

class Fn implements PyCallable {
  constructor(
    readonly qualname: string,
    private readonly body: (args: unknown[]) => unknown,
    readonly newobj?: (args: unknown[]) => unknown,
  ) {}
  call(args: unknown[]): unknown {
    return this.body(args);
  }
}

function corrupt(why: string): never {
  throw new UnpicklingError(`the checkpoint is corrupt: ${why}`);
}

function intArg(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) corrupt(`${what} is ${describe(v)}, not an int`);
  return v as number;
}

function intsArg(v: unknown, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) return corrupt(`${what} is ${describe(v)}, not a tuple of ints`);
  return items.map((x, i) => intArg(x, `${what}[${i}]`));
}

function rebuildTensor(args: unknown[], fn: string): TensorRef {
  if (args.length < 4) corrupt(`${fn} needs at least 4 arguments, got ${args.length}`);
  const st = args[0];
  if (!(st instanceof StorageRef)) return corrupt(`${fn}'s first argument is ${describe(st)}, not a storage`);
  const rg = args[4] ?? false;
  if (typeof rg !== "boolean") corrupt(`${fn}'s requires_grad is ${describe(rg)}`);
  return new TensorRef(
    st,
    intArg(args[1], "storage_offset"),
    intsArg(args[2], "size"),
    intsArg(args[3], "stride"),
    rg as boolean,
  );
}

function rebuildParameter(args: unknown[], fn: string): ParamRef {
  const data = args[0];
  if (!(data instanceof TensorRef)) return corrupt(`${fn}'s data is ${describe(data)}, not a tensor`);
  const rg = args[1] ?? true;
  if (typeof rg !== "boolean") corrupt(`${fn}'s requires_grad is ${describe(rg)}`);
  return new ParamRef(data, rg as boolean);
}

function orderedDict(args: unknown[]): PyDict {
  const d = new PyDict(true);
  const src = args[0];
  if (src === undefined || src === null) return d;
  if (src instanceof PyDict) src.keys.forEach((k, i) => d.set(k, src.values[i]));
  else if (Array.isArray(src) || src instanceof PyTuple) {
    for (const pair of Array.isArray(src) ? src : src.items) {
      const kv = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : null;
      if (!kv || kv.length !== 2) corrupt("OrderedDict items are not (key, value) pairs");
      d.set(kv![0], kv![1]);
    }
  } else corrupt(`OrderedDict built from ${describe(src)}`);
  return d;
}

function makeSet(args: unknown[], frozen: boolean): PySet {
  const s = new PySet(frozen);
  const src = args[0];
  if (src === undefined) return s;
  if (Array.isArray(src)) s.items.push(...src);
  else if (src instanceof PyTuple) s.items.push(...src.items);
  else corrupt(`set built from ${describe(src)}`);
  return s;
}

function encodeText(args: unknown[]): Uint8Array {
  const [s, enc = "utf-8"] = args;
  if (typeof s !== "string" || typeof enc !== "string") {
    return corrupt("_codecs.encode needs a string and an encoding");
  }
  const e = enc.toLowerCase().replace(/_/g, "-");
  if (e === "latin1" || e === "latin-1" || e === "iso-8859-1") {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) corrupt("_codecs.encode: a character does not fit latin-1");
      out[i] = c;
    }
    return out;
  }
  if (e === "utf-8" || e === "utf8") return new TextEncoder().encode(s);
  return corrupt(`_codecs.encode with the encoding '${enc}' is not supported`);
}

const TENSOR_TYPE = new TypeToken("torch.Tensor");
const PARAMETER_TYPE = new TypeToken("torch.nn.parameter.Parameter");

const REBUILD_V2 = new Fn("torch._utils._rebuild_tensor_v2", (a) => rebuildTensor(a, "_rebuild_tensor_v2"));
const REBUILD = new Fn("torch._utils._rebuild_tensor", (a) => rebuildTensor(a, "_rebuild_tensor"));

/** The allowlist: every global a checkpoint may name, and what it builds. */
const ALLOWED: Map<string, unknown> = new Map<string, unknown>([
  ["collections.OrderedDict", new Fn("collections.OrderedDict", orderedDict, orderedDict)],
  ["torch._utils._rebuild_tensor_v2", REBUILD_V2],
  ["torch._utils._rebuild_tensor", REBUILD],
  [
    "torch._utils._rebuild_parameter",
    new Fn("torch._utils._rebuild_parameter", (a) => rebuildParameter(a, "_rebuild_parameter")),
  ],
  [
    "torch._utils._rebuild_parameter_with_state",
    new Fn(
      "torch._utils._rebuild_parameter_with_state",
      (a) => rebuildParameter(a, "_rebuild_parameter_with_state"),
    ),
  ],
  [
    "torch._tensor._rebuild_from_type_v2",
    new Fn("torch._tensor._rebuild_from_type_v2", (a) => {
      const [func, type, args] = a;
      if (func !== REBUILD_V2 && func !== REBUILD) corrupt(`_rebuild_from_type_v2 of ${describe(func)}`);
      if (!(args instanceof PyTuple)) return corrupt("_rebuild_from_type_v2 arguments are not a tuple");
      const t = (func as Fn).call(args.items) as TensorRef;
      if (type === TENSOR_TYPE) return t;
      if (type === PARAMETER_TYPE) return new ParamRef(t, true);
      return corrupt(`_rebuild_from_type_v2 to ${describe(type)}`);
    }),
  ],
  ["torch.Tensor", TENSOR_TYPE],
  ["torch.nn.parameter.Parameter", PARAMETER_TYPE],
  ["torch.Size", new Fn("torch.Size", (a) => Size.from_(a.length ? intsArg(a[0], "torch.Size") : []))],
  [
    "torch.device",
    new Fn("torch.device", (a) => {
      const [type, index] = a;
      if (typeof type !== "string") return corrupt("torch.device needs a string");
      const spec = typeof index === "number" ? `${type}:${index}` : type;
      try {
        return new device(spec);
      } catch {
        return spec; // a device this engine does not have (cuda:0): kept as its name
      }
    }),
  ],
  ["torch.serialization._get_layout", new Fn("torch.serialization._get_layout", (a) => String(a[0]))],
  ["_codecs.encode", new Fn("_codecs.encode", encodeText)],
  ["builtins.bytes", new Fn("builtins.bytes", (a) => (a.length ? encodeText(a) : new Uint8Array(0)))],
  [
    "builtins.bytearray",
    new Fn(
      "builtins.bytearray",
      (a) => a[0] instanceof Uint8Array ? a[0].slice() : a.length ? encodeText(a) : new Uint8Array(0),
    ),
  ],
  ["builtins.set", new Fn("builtins.set", (a) => makeSet(a, false), (a) => makeSet(a, false))],
  ["builtins.frozenset", new Fn("builtins.frozenset", (a) => makeSet(a, true), (a) => makeSet(a, true))],
  ["torch.UntypedStorage", new TypeToken("torch.UntypedStorage", byStorage("ByteStorage"))],
]);
for (const [name, dt] of Object.entries(DTYPES)) ALLOWED.set(`torch.${name}`, dt);
for (
  const s of [
    "Float",
    "Double",
    "Half",
    "BFloat16",
    "Long",
    "Int",
    "Short",
    "Char",
    "Byte",
    "Bool",
    "ComplexFloat",
    "ComplexDouble",
  ]
) {
  const disk = byStorage(`${s}Storage`)!;
  ALLOWED.set(`torch.${s}Storage`, new TypeToken(`torch.${s}Storage`, disk));
  ALLOWED.set(`torch.cuda.${s}Storage`, new TypeToken(`torch.cuda.${s}Storage`, disk));
}

function findGlobal(module: string, name: string): unknown {
  const qual = `${module}.${name}`;
  const v = ALLOWED.get(qual);
  if (v !== undefined) return v;
  let hint = "";
  if (
    module === "__main__" || module.startsWith("torch.nn.modules") || module.startsWith("torchvision.models")
  ) {
    hint =
      " It looks like a whole pickled model object: load a state_dict instead (in PyTorch: torch.save(model.state_dict(), path)).";
  } else if (module.startsWith("numpy")) {
    hint =
      " NumPy arrays and scalars in checkpoints are not supported: save tensors or Python numbers instead.";
  }
  throw new UnpicklingError(
    `torch.load refused this checkpoint: it refers to the global '${qual}', which is not on the allowlist. Only tensors, storages, dicts/OrderedDict, lists, tuples and primitives can be loaded, and nothing from the file was run.${hint}`,
  );
}

function resolveLocation(map: MapLocation, info: StorageInfo): device {
  const loc = info.location;
  let target: unknown = undefined;
  if (typeof map === "function") {
    const r = map(info, loc);
    target = r === info ? "cpu" : r;
  } else if (map instanceof device || typeof map === "string") target = map;
  else if (map && typeof map === "object") target = (map as Record<string, string | device>)[loc];
  if (target === undefined || target === null) target = loc;
  const spec = String(target);
  if (/^cuda(:\d+)?$/.test(spec)) {
    throw new RuntimeError(
      "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your storages to the CPU.",
    );
  }
  if (target instanceof device) return target;
  try {
    return new device(spec);
  } catch {
    throw new RuntimeError(
      `don't know how to restore data location of ${info.type} (tagged with ${spec}): pass map_location='cpu' to load it on the CPU`,
    );
  }
}

interface Session {
  map: MapLocation;
  bigEndian: boolean;
  storages: Map<string, StorageRef>;
  /** Reads a storage's bytes (zip record or legacy stream). */
  read(key: string, ref: StorageRef): Uint8Array;
}

function persistentLoad(s: Session, pid: unknown, legacy: boolean): StorageRef {
  const t = pid instanceof PyTuple ? pid.items : null;
  if (!t || t[0] !== "storage") {
    return corrupt(
      `unknown persistent id ${t ? `('${String(t[0])}', …)` : describe(pid)} (only storages are supported)`,
    );
  }
  const [, type, key, location, numel, view] = t;
  if (!(type instanceof TypeToken) || !type.disk) return corrupt(`a storage of type ${describe(type)}`);
  if (typeof key !== "string") return corrupt("a storage key is not a string");
  if (typeof location !== "string") return corrupt("a storage location is not a string");
  const n = intArg(numel, "a storage's numel");
  if (legacy && view !== null && view !== undefined) {
    throw new RuntimeError("torch.load: storage views in legacy (pre-1.0) checkpoints are not supported");
  }
  const known = s.storages.get(key);
  if (known) {
    if (known.type !== type.disk) {
      corrupt(`storage ${key} is used as both ${known.type.name} and ${type.disk.name}`);
    }
    return known;
  }
  const info: StorageInfo = { type: type.qualname, numel: n, location };
  const ref = new StorageRef(key, type.disk, n, resolveLocation(s.map, info), s.bigEndian);
  ref.data = () => s.read(key, ref);
  s.storages.set(key, ref);
  return ref;
}

function where(path: string): string {
  return path || "the top level";
}

/** Builds JavaScript values and tensors from the unpickled graph. */
function materialize(root: unknown): unknown {
  const tensors = new Map<TensorRef, Tensor>();
  const notes = new Map<string, string[]>();
  const baseOf = (ref: StorageRef, path: string): Tensor => {
    if (ref.base) return ref.base;
    const bytes = ref.data!();
    const want = ref.numel * ref.type.itemsize;
    if (bytes.length !== want) {
      corrupt(
        `storage '${ref.key}' holds ${bytes.length} bytes, but ${ref.numel} ${ref.type.name} elements need ${want}`,
      );
    }
    const d = decode(bytes, ref.type, ref.numel, ref.bigEndian);
    if (d.error) throw new RuntimeError(`torch.load: cannot load the tensor at ${where(path)}: ${d.error}`);
    ref.converted = d.converted;
    ref.base = fromHost(d.data, [ref.numel], d.dt);
    return ref.base;
  };
  const tensorOf = (tr: TensorRef, path: string): Tensor => {
    const have = tensors.get(tr);
    if (have) return have;
    const base = baseOf(tr.storage, path);
    const { size, stride, offset } = tr;
    if (size.length !== stride.length) {
      corrupt(`the tensor at ${where(path)} has ${size.length} sizes but ${stride.length} strides`);
    }
    let numel = 1;
    let last = offset;
    for (let i = 0; i < size.length; i++) {
      if (size[i] < 0 || stride[i] < 0) corrupt(`the tensor at ${where(path)} has a negative size or stride`);
      numel *= size[i];
      last += (size[i] - 1) * stride[i];
    }
    const avail = tr.storage.numel;
    if (offset < 0 || (numel > 0 && last >= avail)) {
      throw new RuntimeError(
        `setStorage: sizes [${size.join(", ")}], strides [${
          stride.join(", ")
        }], storage offset ${offset}, and itemsize ${tr.storage.type.itemsize} requiring a storage size of ${
          (last + 1) * tr.storage.type.itemsize
        } are out of bounds for storage of size ${avail * tr.storage.type.itemsize} (the tensor at ${
          where(path)
        }; corrupt checkpoint?)`,
      );
    }
    let t = new Tensor(base._storage, size.slice(), stride.slice(), offset);
    if (tr.storage.converted) {
      const list = notes.get(tr.storage.converted) ?? [];
      list.push(where(path));
      notes.set(tr.storage.converted, list);
    }
    if (tr.requires_grad) t.requires_grad_(true);
    const target = tr.storage.target;
    if (target.type !== "cpu") t = to(t, target);
    tensors.set(tr, t);
    return t;
  };
  const out = toJS(root, (v, path) => {
    if (v instanceof TensorRef) return tensorOf(v, path);
    if (v instanceof ParamRef) {
      const data = tensorOf(v.data, path);
      if (parameterType) return parameterType.make(data, v.requires_grad);
      const t = new Tensor(data._storage, data._shape.slice(), data._strides.slice(), data._offset);
      if (v.requires_grad) t.requires_grad_(true);
      return t;
    }
    if (v instanceof StorageRef) {
      // a bare storage: a 1-D tensor over all of it
      return tensorOf(new TensorRef(v, 0, [v.numel], [1], false), path);
    }
    if (v instanceof TypeToken || v instanceof Fn) return v.toString();
    return undefined;
  });
  for (const [what, paths] of notes) {
    const shown = paths.length > 5
      ? `${paths.slice(0, 5).join(", ")} and ${paths.length - 5} more`
      : paths.join(", ");
    console.warn(
      `UserWarning: torch.load converted ${paths.length} tensor(s) from ${what} (the engine computes in float32, int32 and bool only): ${shown}`,
    );
  }
  return out;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function loadZip(bytes: Uint8Array, map: MapLocation): unknown {
  const zip = new ZipReader(bytes);
  if (zip.names.length === 0) {
    throw new RuntimeError(
      "PytorchStreamReader failed reading zip archive: archive does not contain any files",
    );
  }
  const first = zip.names[0];
  const slash = first.indexOf("/");
  const prefix = slash >= 0 ? first.slice(0, slash + 1) : "";
  if (zip.has(prefix + "constants.pkl") || zip.names.some((n) => n.startsWith(prefix + "code/"))) {
    throw new RuntimeError(
      "torch.load: this is a TorchScript archive (written by torch.jit.save), which needs torch.jit.load: not supported here. In PyTorch, save the model's state_dict with torch.save instead.",
    );
  }
  if (!zip.has(prefix + "data.pkl")) {
    throw new RuntimeError(
      `PytorchStreamReader failed locating file data.pkl: file not found (the zip archive has no ${prefix}data.pkl, so it is not a torch.save checkpoint)`,
    );
  }
  let bigEndian = false;
  if (zip.has(prefix + "byteorder")) {
    const bo = new TextDecoder().decode(zip.read(prefix + "byteorder"));
    if (bo !== "little" && bo !== "big") throw new RuntimeError(`Unknown endianness type: ${bo}`);
    bigEndian = bo === "big";
  }
  const session: Session = {
    map,
    bigEndian,
    storages: new Map(),
    read: (key) => zip.read(`${prefix}data/${key}`),
  };
  const { value } = unpickle(zip.read(prefix + "data.pkl"), {
    findGlobal,
    persistentLoad: (pid) => persistentLoad(session, pid, false),
  });
  return materialize(value);
}

function loadLegacy(bytes: Uint8Array, map: MapLocation): unknown {
  const plain = { findGlobal };
  const magic = unpickle(bytes, plain);
  if (magic.value !== LEGACY_MAGIC) {
    throw new RuntimeError(
      "Invalid magic number; corrupt file? (this pickle is not a torch.save checkpoint)",
    );
  }
  const proto = unpickle(bytes, { ...plain, start: magic.end });
  if (proto.value !== 1001) throw new RuntimeError(`Invalid protocol version: ${String(proto.value)}`);
  const sys = unpickle(bytes, { ...plain, start: proto.end });
  let bigEndian = false;
  if (sys.value instanceof PyDict) {
    const i = sys.value.keys.indexOf("little_endian");
    if (i >= 0) bigEndian = sys.value.values[i] === false;
  }
  const chunks = new Map<string, Uint8Array>();
  const session: Session = {
    map,
    bigEndian,
    storages: new Map(),
    read: (key) => {
      const c = chunks.get(key);
      if (!c) return corrupt(`storage '${key}' has no data`);
      return c;
    },
  };
  const main = unpickle(bytes, {
    findGlobal,
    persistentLoad: (pid) => persistentLoad(session, pid, true),
    start: sys.end,
  });
  const keys = unpickle(bytes, { ...plain, start: main.end });
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === "string")) {
    corrupt("the list of storage keys is missing");
  }
  let pos = keys.end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys.value as string[]) {
    const ref = session.storages.get(key);
    if (!ref) corrupt(`storage '${key}' is listed but never used`);
    if (pos + 8 > bytes.length) {
      throw new RuntimeError("torch.load: the checkpoint is truncated (storage data is missing)");
    }
    const numel = Number(view.getBigInt64(pos, !bigEndian));
    pos += 8;
    const size = numel * ref!.type.itemsize;
    if (numel !== ref!.numel || pos + size > bytes.length) {
      throw new RuntimeError(
        `torch.load: the checkpoint is truncated or corrupt (storage '${key}' should hold ${
          ref!.numel
        } elements)`,
      );
    }
    chunks.set(key, bytes.subarray(pos, pos + size));
    pos += size;
  }
  return materialize(main.value);
}

function readInput(f: string | URL | Uint8Array | ArrayBuffer): Uint8Array {
  if (f instanceof Uint8Array) return f;
  if (f instanceof ArrayBuffer) return new Uint8Array(f);
  if (typeof f === "string" || f instanceof URL) return Deno.readFileSync(f);
  throw new TorchTypeError(`torch.load expects a path, a URL or bytes, but got ${describe(f)}`);
}

/**
 * `torch.load(f, { map_location, weights_only })`: reads a checkpoint that
 * PyTorch (or {@link save}) wrote. See the module documentation for what
 * comes back. float64/float16/bfloat16 tensors load as float32, and 8/16-bit
 * integers as int64, with a warning; int64 values outside ±2³¹ are an error.
 * @param f a path, a `file:` URL, or the file's bytes
 */
export function load(f: string | URL | Uint8Array | ArrayBuffer, opts: LoadOptions = {}): unknown {
  const bytes = readInput(f);
  if (bytes.length === 0) {
    throw new RuntimeError("torch.load: the file is empty (0 bytes), so it is not a checkpoint");
  }
  if (isZip(bytes)) return loadZip(bytes, opts.map_location);
  if (bytes[0] === 0x80) return loadLegacy(bytes, opts.map_location);
  if (bytes.length > 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === "ustar") {
    throw new RuntimeError(
      "torch.load: this is a tar checkpoint from PyTorch before 0.4, which is not supported",
    );
  }
  if (bytes.length >= 9 && bytes[8] === 0x7b /* '{' */) {
    throw new RuntimeError(
      "torch.load: this looks like a safetensors file, not a torch.save checkpoint: read it with safetensors.torch.load_file",
    );
  }
  const c = bytes[0];
  const shown = c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`;
  throw new UnpicklingError(
    `invalid load key, '${shown}'. (the file is not a PyTorch checkpoint: it starts with neither a zip header nor a pickle)`,
  );
}

// ---- saving ------------------------------------------------------------------------------------

const STORAGE_GLOBAL = (dt: dtype): GlobalRef => new GlobalRef("torch", byDtype(dt).storage);

/**
 * The bytes `torch.save(obj, f)` writes (PyTorch's zip format).
 * @param archiveName the folder inside the zip (PyTorch uses the file's stem, or `archive`)
 */
export function save_bytes(obj: unknown, archiveName = "archive"): Uint8Array {
  const keys = new Map<Storage, string>();
  const order: Storage[] = [];
  const storageId = (st: Storage): PersistentRef => {
    let key = keys.get(st);
    if (key === undefined) {
      key = String(keys.size);
      keys.set(st, key);
      order.push(st);
    }
    return new PersistentRef(new TupleOf(["storage", STORAGE_GLOBAL(st.dtype), key, "cpu", st.numel]));
  };
  const emptyHooks = () => new Reduce(new GlobalRef("collections", "OrderedDict"), []);
  const tensorReduce = (t: Tensor, requires_grad: boolean): Reduce =>
    new Reduce(new GlobalRef("torch._utils", "_rebuild_tensor_v2"), [
      storageId(t._storage),
      t._offset,
      new TupleOf(t._shape.slice()),
      new TupleOf(t._strides.slice()),
      requires_grad,
      emptyHooks(),
    ]);
  const data = pickle(obj, {
    replace: (v, path) => {
      if (v instanceof Tensor) {
        if (isParameter(v)) {
          return new Reduce(new GlobalRef("torch._utils", "_rebuild_parameter"), [
            tensorReduce(v, false),
            v.requires_grad,
            emptyHooks(),
          ]);
        }
        return tensorReduce(v, v.requires_grad);
      }
      if (v instanceof Storage) return storageId(v);
      if (v instanceof Size) return new Reduce(new GlobalRef("torch", "Size"), [new TupleOf([...v])]);
      if (v instanceof dtype) return new GlobalRef("torch", v.name);
      if (v instanceof device) {
        return new Reduce(new GlobalRef("torch", "device"), v.index === null ? [v.type] : [v.type, v.index]);
      }
      if (typeof (v as { state_dict?: unknown }).state_dict === "function") {
        throw new PicklingError(
          `cannot save the ${(v as object).constructor.name} object at ${
            where(path)
          }: whole models cannot be pickled here; save model.state_dict() instead`,
        );
      }
      return undefined;
    },
  });
  const zip = new ZipWriter(64);
  const p = archiveName + "/";
  zip.add(p + "data.pkl", data);
  zip.add(p + ".format_version", "1");
  zip.add(p + ".storage_alignment", "64");
  zip.add(p + "byteorder", "little");
  for (const st of order) {
    const whole = new Tensor(st, [st.numel], [1], 0);
    zip.add(`${p}data/${keys.get(st)}`, encode(whole._host(), st.dtype));
  }
  zip.add(p + "version", "3\n");
  return zip.finish();
}

/** Something bytes can be written to synchronously (a `Deno.FsFile`, …). */
export interface SyncWriter {
  writeSync(p: Uint8Array): number;
}

/** Options of {@link save}. */
export interface SaveOptions {
  /** `false` asks for the legacy format, which is not written here (an error). */
  _use_new_zipfile_serialization?: boolean;
  /** Accepted for compatibility (the pickle is always protocol 2, as PyTorch's default). */
  pickle_protocol?: number;
}

/** Writes bytes to a path atomically: a temporary file in the same folder, then a rename. */
export function writeAtomic(path: string | URL, bytes: Uint8Array): void {
  const target = path instanceof URL ? path : String(path);
  const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const tmp = (path instanceof URL ? decodeURIComponent(path.pathname) : String(path)) +
    `.${Deno.pid}.${rand}.tmp`;
  try {
    Deno.writeFileSync(tmp, bytes);
    Deno.renameSync(tmp, target);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* nothing was written */ }
    throw e;
  }
}

function stem(path: string | URL): string {
  const s = path instanceof URL ? decodeURIComponent(path.pathname) : String(path);
  const base = s.replace(/[\\/]+$/, "").split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  const name = dot > 0 ? base.slice(0, dot) : base;
  return /^[\x20-\x7e]+$/.test(name) ? name : "archive";
}

/**
 * `torch.save(obj, f)`: writes `obj` in PyTorch's zip checkpoint format.
 * Tensors keep their storage offset and strides, and tensors sharing a
 * storage share it in the file. Writing to a path goes through a temporary
 * file and a rename, so a failed save leaves nothing half-written.
 * @param f a path, a `file:` URL, or a synchronous writer
 */
export function save(obj: unknown, f: string | URL | SyncWriter, opts: SaveOptions = {}): void {
  if (opts._use_new_zipfile_serialization === false) {
    throw new RuntimeError(
      "torch.save: the legacy (non-zip) format is not written here; it can still be loaded",
    );
  }
  if (typeof f === "string" || f instanceof URL) {
    writeAtomic(f, save_bytes(obj, stem(f)));
    return;
  }
  if (f && typeof (f as SyncWriter).writeSync === "function") {
    const bytes = save_bytes(obj);
    let off = 0;
    while (off < bytes.length) off += (f as SyncWriter).writeSync(bytes.subarray(off));
    return;
  }
  throw new TorchTypeError(`torch.save expects a path, a URL or a writer, but got ${describe(f)}`);
}

/**
 * `pickle.loads` with the checkpoint allowlist: reads one plain pickle (no
 * tensors) into JavaScript values, refusing every other global.
 */
export function pickle_loads(bytes: Uint8Array): unknown {
  return materialize(unpickle(bytes, { findGlobal }).value);
}
