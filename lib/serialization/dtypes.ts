/**
 * Element types on disk (PyTorch storages, safetensors dtypes) and their
 * conversion to and from the engine's arrays. The engine holds float32,
 * int32 (int64 and int32 tensors) and bool; other floating types load as
 * float32 and narrow integer types as int64, each with a warning; int64
 * values outside ±2³¹ cannot be held and are an error.
 * @module
 */
import { bool, type dtype, float32, int32, int64 } from "../tensor/dtype.ts";
import type { HostArray } from "../engine/memory.ts";

/** One element type as stored on disk. */
export interface DiskType {
  /** PyTorch's dtype name (`float32`). */
  name: string;
  /** Bytes per element. */
  itemsize: number;
  /** PyTorch's legacy storage class (`FloatStorage`). */
  storage: string;
  /** safetensors' code (`F32`), or "" when safetensors has none. */
  st: string;
  /** The facade dtype it loads as (null: cannot be loaded). */
  loadsAs: dtype | null;
}

/** Every element type a checkpoint may hold. */
export const DISK_TYPES: DiskType[] = [
  { name: "float32", itemsize: 4, storage: "FloatStorage", st: "F32", loadsAs: float32 },
  { name: "float64", itemsize: 8, storage: "DoubleStorage", st: "F64", loadsAs: float32 },
  { name: "float16", itemsize: 2, storage: "HalfStorage", st: "F16", loadsAs: float32 },
  { name: "bfloat16", itemsize: 2, storage: "BFloat16Storage", st: "BF16", loadsAs: float32 },
  { name: "int64", itemsize: 8, storage: "LongStorage", st: "I64", loadsAs: int64 },
  { name: "int32", itemsize: 4, storage: "IntStorage", st: "I32", loadsAs: int32 },
  { name: "int16", itemsize: 2, storage: "ShortStorage", st: "I16", loadsAs: int64 },
  { name: "int8", itemsize: 1, storage: "CharStorage", st: "I8", loadsAs: int64 },
  { name: "uint8", itemsize: 1, storage: "ByteStorage", st: "U8", loadsAs: int64 },
  { name: "bool", itemsize: 1, storage: "BoolStorage", st: "BOOL", loadsAs: bool },
  { name: "complex64", itemsize: 8, storage: "ComplexFloatStorage", st: "C64", loadsAs: null },
  { name: "complex128", itemsize: 16, storage: "ComplexDoubleStorage", st: "", loadsAs: null },
  { name: "uint16", itemsize: 2, storage: "", st: "U16", loadsAs: int64 },
  { name: "uint32", itemsize: 4, storage: "", st: "U32", loadsAs: int64 },
  { name: "uint64", itemsize: 8, storage: "", st: "U64", loadsAs: int64 },
];

/** The disk type of a PyTorch storage class name (`FloatStorage`), or undefined. */
export function byStorage(name: string): DiskType | undefined {
  return DISK_TYPES.find((d) => d.storage === name);
}

/** The disk type of a safetensors dtype code (`F32`), or undefined. */
export function bySafetensors(code: string): DiskType | undefined {
  return DISK_TYPES.find((d) => d.st === code);
}

/** The disk type a facade dtype is written as. */
export function byDtype(dt: dtype): DiskType {
  const d = DISK_TYPES.find((x) => x.name === dt.name);
  if (!d) throw new Error(`no disk type for ${dt}`);
  return d;
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decoded storage data: engine values, plus what was changed or why it failed. */
export interface Decoded {
  dt: dtype;
  data: HostArray;
  /** e.g. "float64 to float32", when the values were converted. */
  converted?: string;
  /** Why the data cannot be held (int64 out of range). */
  error?: string;
}

/** Little-endian element bytes, aligned, as a fresh copy (byte-swapped from big-endian if asked). */
function elements(bytes: Uint8Array, itemsize: number, bigEndian: boolean): ArrayBuffer {
  const copy = bytes.slice();
  if (bigEndian !== !LITTLE && itemsize > 1) {
    for (let i = 0; i < copy.length; i += itemsize) copy.subarray(i, i + itemsize).reverse();
  }
  return copy.buffer;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Turns `numel` elements of `type` into engine values.
 * @param bytes exactly `numel * type.itemsize` bytes
 * @param bigEndian whether the file stores big-endian values
 */
export function decode(bytes: Uint8Array, type: DiskType, numel: number, bigEndian = false): Decoded {
  const buf = elements(bytes, type.itemsize, bigEndian);
  switch (type.name) {
    case "float32":
      return { dt: float32, data: new Float32Array(buf, 0, numel) };
    case "float64":
      return {
        dt: float32,
        data: Float32Array.from(new Float64Array(buf, 0, numel)),
        converted: "float64 to float32",
      };
    case "float16": {
      const h = new Uint16Array(buf, 0, numel);
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = halfToFloat(h[i]);
      return { dt: float32, data: out, converted: "float16 to float32" };
    }
    case "bfloat16": {
      const h = new Uint16Array(buf, 0, numel);
      const bits = new Uint32Array(numel);
      for (let i = 0; i < numel; i++) bits[i] = h[i] << 16;
      return { dt: float32, data: new Float32Array(bits.buffer), converted: "bfloat16 to float32" };
    }
    case "int64":
    case "uint64": {
      const w = new Int32Array(buf, 0, numel * 2);
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) {
        const lo = w[2 * i];
        const hi = w[2 * i + 1];
        const ok = type.name === "int64" ? hi === lo >> 31 : hi === 0 && lo >= 0;
        if (!ok) {
          const v = new DataView(buf).getBigInt64(8 * i, true);
          const shown = type.name === "uint64" ? BigInt.asUintN(64, v) : v;
          return {
            dt: int64,
            data: out,
            error:
              `its ${type.name} value ${shown} lies outside [-2147483648, 2147483647]: the engine keeps int64 in 32 bits`,
          };
        }
        out[i] = lo;
      }
      return { dt: int64, data: out, converted: type.name === "uint64" ? "uint64 to int64" : undefined };
    }
    case "int32":
      return { dt: int32, data: new Int32Array(buf, 0, numel) };
    case "uint32": {
      const u = new Uint32Array(buf, 0, numel);
      for (let i = 0; i < numel; i++) {
        if (u[i] > 0x7fffffff) {
          return {
            dt: int64,
            data: new Int32Array(0),
            error: `its uint32 value ${
              u[i]
            } lies outside [-2147483648, 2147483647]: the engine keeps int64 in 32 bits`,
          };
        }
      }
      return { dt: int64, data: new Int32Array(buf, 0, numel), converted: "uint32 to int64" };
    }
    case "int16":
      return { dt: int64, data: Int32Array.from(new Int16Array(buf, 0, numel)), converted: "int16 to int64" };
    case "uint16":
      return {
        dt: int64,
        data: Int32Array.from(new Uint16Array(buf, 0, numel)),
        converted: "uint16 to int64",
      };
    case "int8":
      return { dt: int64, data: Int32Array.from(new Int8Array(buf, 0, numel)), converted: "int8 to int64" };
    case "uint8":
      return { dt: int64, data: Int32Array.from(new Uint8Array(buf, 0, numel)), converted: "uint8 to int64" };
    case "bool": {
      const u = new Uint8Array(buf, 0, numel);
      for (let i = 0; i < numel; i++) u[i] = u[i] ? 1 : 0;
      return { dt: bool, data: u };
    }
  }
  return {
    dt: float32,
    data: new Float32Array(0),
    error: `its dtype ${type.name} is not supported: the engine computes in float32, int32 and bool only`,
  };
}

/** Engine values of a facade dtype as the little-endian bytes PyTorch stores (on a little-endian host). */
export function encode(data: HostArray, dt: dtype): Uint8Array {
  let out: Uint8Array;
  if (dt === int64) {
    const w = new Int32Array(data.length * 2);
    for (let i = 0; i < data.length; i++) {
      w[2 * i] = data[i];
      w[2 * i + 1] = data[i] < 0 ? -1 : 0;
    }
    out = new Uint8Array(w.buffer);
  } else if (dt === bool) out = Uint8Array.from(data as Uint8Array, (v) => (v ? 1 : 0));
  else out = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  // Deno runs on little-endian machines only (x86-64, AArch64), so typed arrays are little-endian already
  return out;
}
