/**
 * Pointwise ops: one table entry per op (engine kernel, dtype rule), each
 * available as `torch.<name>(t, …)`, `t.<name>(…)` and in place as
 * `t.<name>_(…)` where PyTorch has it.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { RuntimeError, TorchTypeError } from "../errors.ts";
import { bool, type dtype, float32, int64 } from "./dtype.ts";
import {
  canCast,
  checkNoWrap,
  deviceOf,
  type Kw,
  operand,
  pyType,
  readAs,
  resultTypeOf,
  run,
  scalarTypeName,
  splitKw,
  wrap,
} from "./dispatch.ts";
import { broadcastShapes } from "./geometry.ts";
import { temp } from "./storage.ts";
import { Tensor, type TensorLike } from "./tensor.ts";

type Kernel2 = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
type Kernel1 = (a: tf.Tensor) => tf.Tensor;

/** How an op's result dtype follows from its operands. */
type Kind =
  | "arith" // result type of the operands
  | "compare" // computed in the result type, gives bool
  | "float" // computed in float32 (true division, atan2)
  | "logical"; // computed as bool, gives bool

interface BinarySpec {
  kernel: Kernel2;
  kind: Kind;
  /** PyTorch's name in messages, when it differs. */
  bool?: "or" | "and" | "xor" | "error";
}

/** Binary pointwise ops. */
export const BINARY: Record<string, BinarySpec> = {
  add: { kernel: tf.add, kind: "arith", bool: "or" },
  sub: { kernel: tf.sub, kind: "arith", bool: "error" },
  mul: { kernel: tf.mul, kind: "arith", bool: "and" },
  div: { kernel: tf.div, kind: "float" },
  true_divide: { kernel: tf.div, kind: "float" },
  pow: { kernel: tf.pow, kind: "arith" },
  maximum: { kernel: tf.maximum, kind: "arith", bool: "or" },
  minimum: { kernel: tf.minimum, kind: "arith", bool: "and" },
  remainder: { kernel: pyMod, kind: "arith" },
  fmod: { kernel: cMod, kind: "arith" },
  atan2: { kernel: tf.atan2, kind: "float" },
  eq: { kernel: tf.equal, kind: "compare" },
  ne: { kernel: tf.notEqual, kind: "compare" },
  lt: { kernel: tf.less, kind: "compare" },
  le: { kernel: tf.lessEqual, kind: "compare" },
  gt: { kernel: tf.greater, kind: "compare" },
  ge: { kernel: tf.greaterEqual, kind: "compare" },
  logical_and: { kernel: tf.logicalAnd, kind: "logical" },
  logical_or: { kernel: tf.logicalOr, kind: "logical" },
  logical_xor: { kernel: tf.logicalXor, kind: "logical" },
};

/** PyTorch aliases of binary ops. */
const BINARY_ALIASES: Record<string, string> = {
  subtract: "sub",
  multiply: "mul",
  divide: "div",
  greater: "gt",
  greater_equal: "ge",
  less: "lt",
  less_equal: "le",
  not_equal: "ne",
};

function pyMod(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  // Python's % takes the divisor's sign: a - floor(a / b) * b
  if (a.dtype === "int32") return tf.mod(a, b);
  const q = temp(tf.floor(temp(tf.div(a, b))));
  return tf.sub(a, temp(tf.mul(q, b)));
}

function cMod(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  // C's fmod takes the dividend's sign: a - trunc(a / b) * b
  const q = temp(tf.div(a, b));
  const t = a.dtype === "int32"
    ? temp(tf.cast(temp(tf.div(temp(tf.cast(a, "float32")), temp(tf.cast(b, "float32")))), "int32"))
    : temp(tf.mul(temp(tf.sign(q)), temp(tf.floor(temp(tf.abs(q))))));
  return tf.sub(a, temp(tf.mul(t, b)));
}

/** Ops whose Python binding has separate Tensor and Number overloads (so a bad operand reads differently). */
const SCALAR_OVERLOADS = new Set([
  "true_divide",
  "pow",
  "remainder",
  "fmod",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
]);
/** Ops that take a Tensor only: PyTorch rejects a plain number. */
const TENSOR_ONLY = new Set(["maximum", "minimum", "atan2", "logical_and", "logical_or", "logical_xor"]);

function checkOperand(name: string, x: unknown): void {
  const number = typeof x === "number" || typeof x === "boolean";
  if (x instanceof Tensor || (number && !TENSOR_ONLY.has(name))) return;
  if (SCALAR_OVERLOADS.has(name)) {
    // PyTorch's first line; it goes on to list the overloads
    throw new TorchTypeError(
      `${name}() received an invalid combination of arguments - got (${pyType(x)}), but expected one of:`,
    );
  }
  throw new TorchTypeError(
    `${name}(): argument 'other' (position 1) must be Tensor, not ${pyType(x)}`,
  );
}

/** PyTorch's alpha_check for add/sub. */
function checkAlpha(out: dtype, alpha: unknown): void {
  if (typeof alpha === "boolean" && out !== bool) {
    throw new RuntimeError("Boolean alpha only supported for Boolean results.");
  }
  if (!out.is_floating_point && typeof alpha === "number" && !Number.isInteger(alpha)) {
    throw new RuntimeError("For integral input tensors, argument alpha must not be a floating point number.");
  }
}

/** Integer division by zero: PyTorch raises (floating point gives inf/nan instead). */
function checkIntDivisor(y: tf.Tensor): void {
  if (temp(tf.any(temp(tf.equal(y, temp(tf.scalar(0, y.dtype)))))).dataSync()[0]) {
    throw new RuntimeError("ZeroDivisionError");
  }
}

/** Result dtype of a binary op, and the dtype it computes in. */
function dtypes(spec: BinarySpec, a: TensorLike, b: TensorLike): [dtype, dtype] {
  if (spec.kind === "logical") return [bool, bool];
  const rt = resultTypeOf(a, b);
  if (spec.kind === "compare") return [bool, rt];
  if (spec.kind === "float") return rt.is_floating_point ? [rt, rt] : [float32, float32];
  return [rt, rt];
}

function shapeOf(x: TensorLike): number[] {
  return x instanceof Tensor ? x._shape : [];
}

/** Runs a binary op (out of place). */
export function binary(name: string, a: TensorLike, b: TensorLike, kw: Kw = {}): Tensor {
  const spec = BINARY[name];
  checkOperand(name, b);
  if (!(a instanceof Tensor)) {
    // torch.add(2, t): the scalar is the first operand
    checkOperand(name, a);
  }
  return run(name, () => {
    const dev = deviceOf(a, b);
    broadcastShapes(shapeOf(a), shapeOf(b));
    const [out, compute] = dtypes(spec, a, b);
    if (kw.alpha !== undefined) checkAlpha(out, kw.alpha);
    if (name === "div" && kw.rounding_mode != null) return roundedDiv(a, b, kw, dev);
    if (compute === bool && spec.bool) return boolArith(name, spec, a, b, dev);
    if (name === "pow") checkIntPow(a, b, compute);
    let y = operand(b, compute);
    if ((name === "remainder" || name === "fmod") && !compute.is_floating_point) checkIntDivisor(y);
    if (kw.alpha !== undefined && kw.alpha !== 1) {
      y = temp(tf.mul(y, operand(kw.alpha as number, compute)));
    }
    const x = operand(a, compute);
    const r = temp(spec.kernel(x, y));
    if (out === int64 && WRAPS.has(name)) {
      let yf = operand(b, float32);
      if (kw.alpha !== undefined) yf = temp(tf.mul(yf, operand(kw.alpha as number, float32)));
      checkNoWrap(name, r, temp(spec.kernel(operand(a, float32), yf)));
    }
    return wrap(r, out, dev);
  });
}

/** Integer ops whose int64 results can leave the engine's 32 bits. */
const WRAPS = new Set(["add", "sub", "mul", "pow", "square", "neg", "abs"]);

function checkIntPow(a: TensorLike, b: TensorLike, compute: dtype): void {
  if (compute.is_floating_point) return;
  const neg = b instanceof Tensor ? false : (b as number) < 0;
  if (neg && a instanceof Tensor) {
    throw new RuntimeError("Integers to negative integer powers are not allowed.");
  }
}

function boolArith(
  _name: string,
  spec: BinarySpec,
  a: TensorLike,
  b: TensorLike,
  dev: ReturnType<typeof deviceOf>,
): Tensor {
  if (spec.bool === "error") {
    throw new RuntimeError(
      "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
    );
  }
  const k = spec.bool === "or" ? tf.logicalOr : tf.logicalAnd;
  return wrap(k(operand(a, bool), operand(b, bool)), bool, dev);
}

function roundedDiv(a: TensorLike, b: TensorLike, kw: Kw, dev: ReturnType<typeof deviceOf>): Tensor {
  const mode = kw.rounding_mode;
  if (mode !== "floor" && mode !== "trunc") {
    throw new RuntimeError(
      `div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '${mode}'`,
    );
  }
  const rt = resultTypeOf(a, b);
  if (!rt.is_floating_point) {
    const x = operand(a, rt);
    const y = operand(b, rt);
    checkIntDivisor(y);
    if (mode === "floor") return wrap(tf.floorDiv(x, y), rt, dev);
    const q = temp(tf.div(temp(tf.cast(x, "float32")), temp(tf.cast(y, "float32"))));
    return wrap(tf.cast(q, "int32"), rt, dev);
  }
  const q = temp(tf.div(operand(a, rt), operand(b, rt)));
  if (mode === "floor") return wrap(tf.floor(q), rt, dev);
  return wrap(tf.mul(temp(tf.sign(q)), temp(tf.floor(temp(tf.abs(q))))), rt, dev);
}

/** Runs a binary op in place on `self`, with PyTorch's cast check. */
export function binaryInPlace(name: string, self: Tensor, b: TensorLike, kw: Kw = {}): Tensor {
  checkOperand(name, b);
  checkInPlace(self);
  const bs = shapeOf(b);
  const shape = broadcastShapes(self._shape, bs);
  if (shape.length !== self._shape.length || shape.some((d, i) => d !== self._shape[i])) {
    throw new RuntimeError(
      `output with shape [${self._shape.join(", ")}] doesn't match the broadcast shape [${shape.join(", ")}]`,
    );
  }
  const spec = BINARY[name];
  // div with a rounding mode keeps the operands' result type (no true division)
  const out = name === "div" && kw.rounding_mode != null ? resultTypeOf(self, b) : dtypes(spec, self, b)[0];
  if (!canCast(out, self.dtype)) {
    throw new RuntimeError(
      `result type ${scalarTypeName(out)} can't be cast to the desired output type ${
        scalarTypeName(self.dtype)
      }`,
    );
  }
  const r = binary(name, self, b, kw);
  return run(name + "_", () => {
    self._write(readAs(r, self.dtype), false);
    return self;
  });
}

/** PyTorch's in-place checks (leaf that requires grad). */
export function checkInPlace(self: Tensor): void {
  if (self.requires_grad && self.is_leaf && gradEnabled()) {
    throw new RuntimeError(
      "a leaf Variable that requires grad is being used in an in-place operation.",
    );
  }
}

/** Grad mode, set by autograd (`torch.no_grad`). */
export const gradMode = { enabled: true };
function gradEnabled(): boolean {
  return gradMode.enabled;
}

// ---- unary ops ----------------------------------------------------------------------------

interface UnarySpec {
  kernel: Kernel1;
  /** "float": integer inputs compute in float32; "same": keep the dtype; "int-same": integers pass through unchanged. */
  kind: "float" | "same" | "int-identity" | "bool";
}

/** Unary pointwise ops. */
export const UNARY: Record<string, UnarySpec> = {
  exp: { kernel: tf.exp, kind: "float" },
  log: { kernel: tf.log, kind: "float" },
  log2: { kernel: (x) => tf.div(temp(tf.log(x)), Math.LN2), kind: "float" },
  log10: { kernel: (x) => tf.div(temp(tf.log(x)), Math.LN10), kind: "float" },
  log1p: { kernel: tf.log1p, kind: "float" },
  expm1: { kernel: tf.expm1, kind: "float" },
  sqrt: { kernel: tf.sqrt, kind: "float" },
  rsqrt: { kernel: tf.rsqrt, kind: "float" },
  sin: { kernel: tf.sin, kind: "float" },
  cos: { kernel: tf.cos, kind: "float" },
  tan: { kernel: tf.tan, kind: "float" },
  asin: { kernel: tf.asin, kind: "float" },
  acos: { kernel: tf.acos, kind: "float" },
  atan: { kernel: tf.atan, kind: "float" },
  sinh: { kernel: tf.sinh, kind: "float" },
  cosh: { kernel: tf.cosh, kind: "float" },
  tanh: { kernel: tf.tanh, kind: "float" },
  sigmoid: { kernel: tf.sigmoid, kind: "float" },
  erf: { kernel: tf.erf, kind: "float" },
  reciprocal: { kernel: tf.reciprocal, kind: "float" },
  abs: { kernel: tf.abs, kind: "same" },
  neg: { kernel: tf.neg, kind: "same" },
  square: { kernel: tf.square, kind: "same" },
  sign: { kernel: tf.sign, kind: "same" },
  relu: { kernel: tf.relu, kind: "same" },
  floor: { kernel: tf.floor, kind: "int-identity" },
  ceil: { kernel: tf.ceil, kind: "int-identity" },
  trunc: { kernel: (x) => tf.mul(temp(tf.sign(x)), temp(tf.floor(temp(tf.abs(x))))), kind: "int-identity" },
  frac: {
    kernel: (x) => tf.sub(x, temp(tf.mul(temp(tf.sign(x)), temp(tf.floor(temp(tf.abs(x))))))),
    kind: "float",
  },
  round: { kernel: tf.round, kind: "int-identity" },
  logical_not: { kernel: tf.logicalNot, kind: "bool" },
  isnan: { kernel: tf.isNaN, kind: "bool" },
  isinf: { kernel: tf.isInf, kind: "bool" },
  isfinite: { kernel: tf.isFinite, kind: "bool" },
};

const UNARY_ALIASES: Record<string, string> = {
  negative: "neg",
  absolute: "abs",
  fix: "trunc",
  arctan: "atan",
  arcsin: "asin",
  arccos: "acos",
};

/** Runs a unary op out of place. */
export function unary(name: string, x: Tensor, kw: Kw = {}): Tensor {
  if (!(x instanceof Tensor)) {
    throw new TorchTypeError(`${name}(): argument 'input' (position 1) must be Tensor, not ${pyType(x)}`);
  }
  const spec = UNARY[name];
  return run(name, () => {
    const dev = x.device;
    if (spec.kind === "bool") {
      if (name === "logical_not") return wrap(spec.kernel(readAs(x, bool)), bool, dev);
      if (!x.dtype.is_floating_point) {
        const v = name === "isfinite";
        return wrap(tf.fill(x._shape, v ? 1 : 0, "bool"), bool, dev);
      }
      return wrap(spec.kernel(x._read()), bool, dev);
    }
    if (name === "neg" && x.dtype === bool) {
      throw new RuntimeError(
        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
      );
    }
    if (name === "round" && kw.decimals) return roundDecimals(x, kw.decimals as number);
    if (spec.kind === "float") {
      const dt = x.dtype.is_floating_point ? x.dtype : float32;
      return wrap(spec.kernel(readAs(x, dt)), dt, dev);
    }
    if (spec.kind === "int-identity" && !x.dtype.is_floating_point) {
      return wrap(tf.clone(x._read()), x.dtype, dev);
    }
    const dt = x.dtype === bool ? int64 : x.dtype;
    if (x.dtype === bool && (name === "abs" || name === "relu" || name === "sign" || name === "square")) {
      return wrap(tf.clone(x._read()), bool, dev);
    }
    const r = temp(spec.kernel(readAs(x, dt)));
    if (dt === int64 && WRAPS.has(name)) checkNoWrap(name, r, temp(spec.kernel(readAs(x, float32))));
    return wrap(r, dt, dev);
  });
}

function roundDecimals(x: Tensor, decimals: number): Tensor {
  const f = Math.pow(10, decimals);
  const v = temp(tf.mul(x._read(), f));
  return wrap(tf.div(temp(tf.round(v)), f), x.dtype, x.device);
}

/** Runs a unary op in place. */
export function unaryInPlace(name: string, self: Tensor, kw: Kw = {}): Tensor {
  checkInPlace(self);
  const r = unary(name, self, kw);
  if (!canCast(r.dtype, self.dtype)) {
    throw new RuntimeError(
      `result type ${scalarTypeName(r.dtype)} can't be cast to the desired output type ${
        scalarTypeName(self.dtype)
      }`,
    );
  }
  return run(name + "_", () => {
    self._write(readAs(r, self.dtype), false);
    return self;
  });
}

// ---- clamp, where, lerp ----------------------------------------------------------------------

/** `torch.clamp(x, min, max)`; either bound may be null; bounds may be tensors. */
export function clamp(x: Tensor, ...rest: unknown[]): Tensor {
  const [args, kw] = splitKw(rest);
  const lo = (kw.min ?? args[0] ?? null) as TensorLike | null;
  const hi = (kw.max ?? args[1] ?? null) as TensorLike | null;
  if (lo === null && hi === null) {
    throw new RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  }
  return run("clamp", () => {
    const ops: TensorLike[] = [x];
    if (lo !== null) ops.push(lo);
    if (hi !== null) ops.push(hi);
    const dt = resultTypeOf(...ops);
    const dev = deviceOf(...ops);
    let v = readAs(x, dt);
    if (lo !== null) v = temp(tf.maximum(v, operand(lo, dt)));
    if (hi !== null) v = temp(tf.minimum(v, operand(hi, dt)));
    return wrap(tf.clone(v), dt, dev);
  });
}

/** In-place `clamp_`. */
export function clamp_(self: Tensor, ...rest: unknown[]): Tensor {
  checkInPlace(self);
  const r = clamp(self, ...rest);
  if (!canCast(r.dtype, self.dtype)) {
    // PyTorch's clamp_ names the output type as C++ does ("long int")
    const cxx: Record<string, string> = { int64: "long int", int32: "int", bool: "bool", float32: "float" };
    throw new RuntimeError(
      `result type ${scalarTypeName(r.dtype)} can't be cast to the desired output type ${
        cxx[self.dtype.name]
      }`,
    );
  }
  return run("clamp_", () => {
    self._write(readAs(r, self.dtype), false);
    return self;
  });
}

/** `torch.where(condition, input, other)`; with one argument, the indices of true elements. */
export function where(cond: Tensor, a?: TensorLike, b?: TensorLike): Tensor | Tensor[] {
  if (a === undefined) return nonzeroTuple(cond);
  if (cond.dtype !== bool) {
    throw new RuntimeError(
      `where expected condition to be a boolean tensor, but got a tensor with dtype ${
        scalarTypeName(cond.dtype)
      }`,
    );
  }
  return run("where", () => {
    const dev = deviceOf(cond, a, b);
    const shape = broadcastShapes(broadcastShapes(cond._shape, shapeOf(a)), shapeOf(b as TensorLike));
    const dt = resultTypeOf(a, b as TensorLike);
    const c = temp(tf.broadcastTo(cond._read(), shape));
    const x = temp(tf.broadcastTo(operand(a, dt), shape));
    const y = temp(tf.broadcastTo(operand(b as TensorLike, dt), shape));
    return wrap(tf.where(c, x, y), dt, dev);
  });
}

/** Indices of nonzero elements, one tensor per dim. */
function nonzeroTuple(x: Tensor): Tensor[] {
  const nz = nonzero(x);
  const out: Tensor[] = [];
  for (let d = 0; d < x._shape.length; d++) out.push(nz.select(1, d));
  return out;
}

/** `torch.nonzero`: an (n, ndim) int64 tensor of the indices of nonzero elements. */
export function nonzero(x: Tensor): Tensor {
  return run("nonzero", () => {
    const data = x._host();
    const shape = x._shape;
    const nd = shape.length;
    const rows: number[] = [];
    const idx = new Array<number>(nd).fill(0);
    for (let k = 0; k < data.length; k++) {
      if (data[k] !== 0) rows.push(...idx);
      for (let d = nd - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
    const n = nd === 0 ? rows.length : rows.length / nd;
    return wrap(tf.tensor(rows, [nd === 0 ? (data[0] !== 0 ? 1 : 0) : n, nd], "int32"), int64, x.device);
  });
}

export { BINARY_ALIASES, UNARY_ALIASES };
