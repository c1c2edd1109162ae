/**
 * torch dtypes and PyTorch's type promotion.
 * @module
 */
import { TorchTypeError } from "../errors.ts";

/** The storage type the engine uses for a dtype. */
export type EngineDType = "float32" | "int32" | "bool";

/** A torch dtype (`torch.float32`, `torch.int64` ...). */
export class dtype {
  /**
   * @param name PyTorch's name (`float32`)
   * @param is_floating_point whether it is a floating type
   * @param itemsize bytes per element, as PyTorch reports it
   * @param engine what the engine stores it as, or null when it cannot hold it
   * @param category 0 bool, 1 integer, 2 floating (promotion order)
   */
  constructor(
    readonly name: string,
    readonly is_floating_point: boolean,
    readonly itemsize: number,
    readonly engine: EngineDType | null,
    readonly category: 0 | 1 | 2,
  ) {}
  /** Whether this dtype is signed (bool is not). */
  get is_signed(): boolean {
    return this.category !== 0;
  }
  /** Whether this is a complex type (never, here). */
  get is_complex(): boolean {
    return false;
  }
  /** `torch.float32` */
  toString(): string {
    return `torch.${this.name}`;
  }
  /** Deno's console shows the PyTorch text. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

export const float32: dtype = new dtype("float32", true, 4, "float32", 2);
export const int64: dtype = new dtype("int64", false, 8, "int32", 1);
export const int32: dtype = new dtype("int32", false, 4, "int32", 1);
export const bool: dtype = new dtype("bool", false, 1, "bool", 0);
export const float64: dtype = new dtype("float64", true, 8, null, 2);
export const float16: dtype = new dtype("float16", true, 2, null, 2);
export const bfloat16: dtype = new dtype("bfloat16", true, 2, null, 2);
export const uint8: dtype = new dtype("uint8", false, 1, null, 1);
export const int8: dtype = new dtype("int8", false, 1, null, 1);
export const int16: dtype = new dtype("int16", false, 2, null, 1);

/** Every dtype name torch exports, aliases included. */
export const DTYPES = {
  float32,
  float: float32,
  int64,
  long: int64,
  int32,
  int: int32,
  bool,
  float64,
  double: float64,
  float16,
  half: float16,
  bfloat16,
  uint8,
  int8,
  int16,
  short: int16,
} as const satisfies Record<string, dtype>;

const WHY: Record<string, string> = {
  float64: "the engine (TensorFlow.js) computes in float32 only; use torch.float32",
  float16: "the engine (TensorFlow.js) has no half-precision kernels; use torch.float32",
  bfloat16: "the engine (TensorFlow.js) has no bfloat16 kernels; use torch.float32",
  uint8: "the engine (TensorFlow.js) has no 8-bit integer tensors; use torch.int64 or torch.int32",
  int8: "the engine (TensorFlow.js) has no 8-bit integer tensors; use torch.int64 or torch.int32",
  int16: "the engine (TensorFlow.js) has no 16-bit integer tensors; use torch.int64 or torch.int32",
};

/** Checks that the engine can hold `dt`, with a clear error saying why not. */
export function checkSupported(dt: dtype): dtype {
  if (dt.engine === null) {
    throw new TorchTypeError(
      `Cannot use dtype ${dt} as ${WHY[dt.name] ?? "the engine cannot hold it"}`,
    );
  }
  return dt;
}

/** Turns a dtype or its name (`"float32"`, `"torch.long"`) into a dtype. */
export function toDtype(d: dtype | string): dtype {
  if (d instanceof dtype) return checkSupported(d);
  const key = String(d).replace(/^torch\./, "");
  const found = (DTYPES as Record<string, dtype>)[key];
  if (!found) throw new TorchTypeError(`Cannot use dtype '${d}' as it is not a torch dtype`);
  return checkSupported(found);
}

/** PyTorch's `torch.promote_types` over the supported dtypes. */
export function promoteTypes(a: dtype, b: dtype): dtype {
  if (a === b) return a;
  if (a.category !== b.category) return a.category > b.category ? a : b;
  // same category, different types: only int32/int64 here
  return a.itemsize >= b.itemsize ? a : b;
}

/** Default dtype of a Python-style scalar: bool, int64, or float32. */
export function scalarDtype(v: number | boolean): dtype {
  if (typeof v === "boolean") return bool;
  return Number.isInteger(v) ? int64 : float32;
}

/**
 * PyTorch's result_type over tensors with dims, 0-d tensors and plain
 * scalars: a higher category among lower-priority operands wins, otherwise
 * the higher-priority operands decide.
 */
export function resultType(
  dim: dtype | null,
  zero: dtype | null,
  wrapped: dtype | null,
): dtype {
  return combine(dim, combine(zero, wrapped)) as dtype;
}

function combine(higher: dtype | null, lower: dtype | null): dtype | null {
  if (higher === null) return lower;
  if (lower === null) return higher;
  if (higher.is_floating_point) return higher;
  if (higher === bool || lower.is_floating_point) return promoteTypes(higher, lower);
  return higher;
}
