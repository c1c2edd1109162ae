/**
 * Pointwise ops: one table entry per op (engine kernel, dtype rule), each
 * available as `torch.<name>(t, …)`, `t.<name>(…)` and in place as
 * `t.<name>_(…)` where PyTorch has it.
 * @module
 */
import { onGpu, tf } from "../engine/backend.ts";
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
import { type BackwardFn, needsGrad, record } from "../autograd/node.ts";
import { applyInPlace, checkInPlace } from "../autograd/inplace.ts";
import { gradMode } from "../autograd/grad_mode.ts";

type Kernel2 = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
type Kernel1 = (a: tf.Tensor) => tf.Tensor;

/** How an op's result dtype follows from its operands. */
type Kind =
  | "arith" // result type of the operands
  | "compare" // computed in the result type, gives bool
  | "float" // computed in float32 (true division, atan2)
  | "logical"; // computed as bool, gives bool

/** Saved operands a backward formula reads: tensors come from the node's saved list. */
interface Saved2 {
  a: TensorLike;
  b: TensorLike;
  out: Tensor;
}
type Grad2 = (g: Tensor, s: Saved2, kw: Kw, needs: boolean[]) => (Tensor | null)[];

interface BinarySpec {
  kernel: Kernel2;
  kind: Kind;
  /** What a bool-by-bool op means (PyTorch's logical versions). */
  bool?: "or" | "and" | "xor" | "error";
  /** PyTorch's backward node name, and the derivative (absent: not differentiable). */
  node?: string;
  /** Which operands backward reads (saved with their versions). */
  saves?: ("a" | "b" | "out")[];
  /**
   * A saved value that only one derivative reads is saved only when that
   * operand (0: a, 1: b) needs a gradient, as PyTorch's generated code does:
   * so `b = a * 2; a.add_(1); b.backward()` works.
   */
  savedFor?: Partial<Record<"a" | "b" | "out", 0 | 1>>;
  grad?: Grad2;
}

const scaled = (
  g: Tensor,
  alpha: unknown,
) => (alpha === undefined || alpha === 1 ? g : g.mul(alpha as number));
const T = (x: TensorLike) => x as Tensor;

/** Binary pointwise ops: kernel, dtype rule, node name and derivative in one entry. */
export const BINARY: Record<string, BinarySpec> = {
  add: {
    kernel: tf.add,
    kind: "arith",
    bool: "or",
    node: "AddBackward0",
    grad: (g, _s, kw) => [g, scaled(g, kw.alpha)],
  },
  sub: {
    kernel: tf.sub,
    kind: "arith",
    bool: "error",
    node: "SubBackward0",
    grad: (g, _s, kw) => [g, scaled(g, kw.alpha).neg()],
  },
  mul: {
    kernel: tf.mul,
    kind: "arith",
    bool: "and",
    node: "MulBackward0",
    saves: ["a", "b"],
    savedFor: { a: 1, b: 0 },
    grad: (g, s, _kw, n) => [n[0] ? g.mul(s.b) : null, n[1] ? g.mul(s.a) : null],
  },
  div: {
    kernel: tf.div,
    kind: "float",
    node: "DivBackward0",
    saves: ["a", "b"],
    savedFor: { a: 1 },
    grad: (g, s, _kw, n) => [
      n[0] ? g.div(s.b) : null,
      n[1] ? g.neg().mul(s.a).div(T(s.b).mul(s.b)) : null,
    ],
  },
  pow: {
    kernel: tf.pow,
    kind: "arith",
    node: "PowBackward1",
    saves: ["a", "b", "out"],
    savedFor: { out: 1 },
    grad: (g, s, _kw, n) => {
      if (!(s.b instanceof Tensor)) {
        const e = s.b as number;
        return [e === 0 ? g.mul(0) : g.mul(T(s.a).pow(e - 1).mul(e)), null];
      }
      const ga = n[0] ? g.mul(T(s.b)).mul(powOf(s.a, T(s.b).sub(1))) : null;
      // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's mask)
      const gb = n[1] ? g.mul(s.out).mul(logMasked(s.a, T(s.b))) : null;
      return [ga, gb];
    },
  },
  maximum: {
    kernel: tf.maximum,
    kind: "arith",
    bool: "or",
    node: "MaximumBackward0",
    saves: ["a", "b"],
    grad: (g, s) => tieSplit(g, T(s.a), T(s.b), "gt"),
  },
  minimum: {
    kernel: tf.minimum,
    kind: "arith",
    bool: "and",
    node: "MinimumBackward0",
    saves: ["a", "b"],
    grad: (g, s) => tieSplit(g, T(s.a), T(s.b), "lt"),
  },
  remainder: {
    kernel: pyMod,
    kind: "arith",
    node: "RemainderBackward0",
    saves: ["a", "b"],
    savedFor: { a: 1, b: 1 },
    grad: (g, s, _kw, n) => [g, n[1] ? g.neg().mul(divOf(s.a, s.b, "floor")) : null],
  },
  fmod: {
    kernel: cMod,
    kind: "arith",
    node: "FmodBackward0",
    saves: ["a", "b"],
    savedFor: { a: 1, b: 1 },
    grad: (g, s, _kw, n) => [g, n[1] ? g.neg().mul(divOf(s.a, s.b, "trunc")) : null],
  },
  atan2: {
    kernel: tf.atan2,
    kind: "float",
    node: "Atan2Backward0",
    saves: ["a", "b"],
    grad: (g, s) => {
      const d = T(s.a).square().add(T(s.b).square());
      return [g.mul(s.b).div(d), g.neg().mul(s.a).div(d)];
    },
  },
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
// true_divide is div under its own name (its errors name it), with the same entry
BINARY.true_divide = BINARY.div;

function powOf(a: TensorLike, e: Tensor): Tensor {
  return a instanceof Tensor ? a.pow(e) : binary("pow", a, e);
}

function logMasked(a: TensorLike, b: Tensor): Tensor {
  const base = a instanceof Tensor ? a : full_(b, a as number);
  const lg = base.log();
  return where(base.eq(0).logical_and(b.ge(0)), 0, lg) as Tensor;
}

function full_(like: Tensor, v: number): Tensor {
  return binary("add", binary("mul", like, 0), v);
}

function divOf(a: TensorLike, b: TensorLike, mode: "floor" | "trunc"): Tensor {
  return binary("div", a, b, { rounding_mode: mode });
}

/** maximum/minimum backward: the winner takes the gradient, ties split it. */
function tieSplit(g: Tensor, a: Tensor, b: Tensor, win: "gt" | "lt"): Tensor[] {
  const aw = a[win](b).float();
  const tie = a.eq(b).float().mul(0.5);
  const ga = g.mul(aw.add(tie));
  const gb = g.mul(aw.neg().add(1).sub(tie));
  return [ga, gb];
}

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
  // webgpu cannot read back synchronously: there the quotient is the engine's (README, Differences)
  if (onGpu(y)) return;
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

/** Runs a binary op (out of place), recording its node when an operand requires grad. */
export function binary(name: string, a: TensorLike, b: TensorLike, kw: Kw = {}): Tensor {
  if (
    (name === "div" || name === "true_divide") && !(a instanceof Tensor) && b instanceof Tensor &&
    kw.rounding_mode == null && b.dtype.is_floating_point && needsGrad(b)
  ) {
    // Python's `2 / x` is `x.reciprocal() * 2`: PyTorch's graph shows both nodes
    checkOperand(name, a);
    return binary("mul", unary("reciprocal", b), a);
  }
  const out = binaryForward(name, a, b, kw);
  const spec = BINARY[name];
  if (spec.grad && out.dtype.is_floating_point && needsGrad(a, b)) recordBinary(name, spec, a, b, out, kw);
  return out;
}

function recordBinary(
  name: string,
  spec: BinarySpec,
  a: TensorLike,
  b: TensorLike,
  out: Tensor,
  kw: Kw,
): void {
  const saves = spec.saves ?? [];
  const save: Tensor[] = [];
  const slots: ("a" | "b" | "out")[] = [];
  const needs = [a, b].map((x) => x instanceof Tensor && x._requires_grad);
  for (const k of saves) {
    const v = k === "a" ? a : k === "b" ? b : out;
    const only = spec.savedFor?.[k];
    if (v instanceof Tensor && (only === undefined || needs[only])) {
      save.push(v);
      slots.push(k);
    }
  }
  // plain-number operands are kept as values, not saved tensors
  const plainA = a instanceof Tensor ? null : a;
  const plainB = b instanceof Tensor ? null : b;
  // PyTorch's overload decides the node and its inputs: a Scalar operand of a
  // Scalar overload is no input at all; `2 + x` / `2 * x` run as x.add(2) / x.mul(2)
  let node = spec.node!;
  let order = [0, 1];
  const ta = a instanceof Tensor;
  const tb = b instanceof Tensor;
  if (name === "pow") {
    [node, order] = !tb ? ["PowBackward0", [0]] : !ta ? ["PowBackward2", [1]] : ["PowBackward1", order];
  } else if (name === "sub" && !ta) [node, order] = ["RsubBackward1", [1]];
  else if ((name === "remainder" || name === "fmod") && ta) {
    node = node.replace("Backward0", tb ? "Backward1" : "Backward0");
    if (!tb) order = [0];
  } else if ((name === "add" || name === "mul") && !ta) order = [1, 0];
  const inputs = order.length === 1 ? [order[0] === 0 ? a : b] : order[0] === 0 ? [a, b] : [b, a];
  record(node, inputs, out, binaryGrad(spec.grad!, plainA, plainB, slots, order, kw), save);
}

/** A binary node's backward (made here, not in the op, so that it holds no operand tensor). */
function binaryGrad(
  grad: Grad2,
  plainA: TensorLike | null,
  plainB: TensorLike | null,
  slots: ("a" | "b" | "out")[],
  order: number[],
  kw: Kw,
): BackwardFn {
  return (grads, saved, needs) => {
    const s: Saved2 = {
      a: plainA as TensorLike,
      b: plainB as TensorLike,
      out: undefined as unknown as Tensor,
    };
    slots.forEach((k, i) => (s[k] = saved[i]));
    const all = [false, false];
    order.forEach((k, j) => (all[k] = needs[j]));
    const g = grad(grads[0]!, s, kw, all);
    return order.map((k) => g[k] ?? null);
  };
}

function binaryForward(name: string, a: TensorLike, b: TensorLike, kw: Kw): Tensor {
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
  return applyInPlace(self, (old) => binary(name, old, b, kw));
}

/** PyTorch's in-place checks (leaf, or view of a leaf, that requires grad). */
export { checkInPlace };

// ---- unary ops ----------------------------------------------------------------------------

/** The input and output a unary derivative reads. */
interface Saved1 {
  x: Tensor;
  out: Tensor;
}

interface UnarySpec {
  kernel: Kernel1;
  /** "float": integer inputs compute in float32; "same": keep the dtype; "int-identity": integers pass through. */
  kind: "float" | "same" | "int-identity" | "bool";
  /** PyTorch's backward node name, what backward reads, and the derivative. */
  node?: string;
  saves?: "x" | "out";
  grad?: (g: Tensor, s: Saved1) => Tensor;
}

const zerosGrad = (g: Tensor) => g.mul(0);

/** Unary pointwise ops: kernel, dtype rule, node name and derivative in one entry. */
export const UNARY: Record<string, UnarySpec> = {
  exp: { kernel: tf.exp, kind: "float", node: "ExpBackward0", saves: "out", grad: (g, s) => g.mul(s.out) },
  log: { kernel: tf.log, kind: "float", node: "LogBackward0", saves: "x", grad: (g, s) => g.div(s.x) },
  log2: {
    kernel: (x) => tf.div(temp(tf.log(x)), Math.LN2),
    kind: "float",
    node: "Log2Backward0",
    saves: "x",
    grad: (g, s) => g.div(s.x.mul(Math.LN2)),
  },
  log10: {
    kernel: (x) => tf.div(temp(tf.log(x)), Math.LN10),
    kind: "float",
    node: "Log10Backward0",
    saves: "x",
    grad: (g, s) => g.div(s.x.mul(Math.LN10)),
  },
  log1p: {
    kernel: tf.log1p,
    kind: "float",
    node: "Log1PBackward0",
    saves: "x",
    grad: (g, s) => g.div(s.x.add(1)),
  },
  expm1: {
    kernel: tf.expm1,
    kind: "float",
    node: "Expm1Backward0",
    saves: "out",
    grad: (g, s) => g.mul(s.out.add(1)),
  },
  sqrt: {
    kernel: tf.sqrt,
    kind: "float",
    node: "SqrtBackward0",
    saves: "out",
    grad: (g, s) => g.div(s.out.mul(2)),
  },
  rsqrt: {
    kernel: tf.rsqrt,
    kind: "float",
    node: "RsqrtBackward0",
    saves: "out",
    grad: (g, s) => g.mul(s.out.pow(3)).mul(-0.5),
  },
  sin: { kernel: tf.sin, kind: "float", node: "SinBackward0", saves: "x", grad: (g, s) => g.mul(s.x.cos()) },
  cos: {
    kernel: tf.cos,
    kind: "float",
    node: "CosBackward0",
    saves: "x",
    grad: (g, s) => g.mul(s.x.sin().neg()),
  },
  tan: {
    kernel: tf.tan,
    kind: "float",
    node: "TanBackward0",
    saves: "out",
    grad: (g, s) => g.mul(s.out.square().add(1)),
  },
  asin: {
    kernel: tf.asin,
    kind: "float",
    node: "AsinBackward0",
    saves: "x",
    grad: (g, s) => g.div(s.x.square().neg().add(1).sqrt()),
  },
  acos: {
    kernel: tf.acos,
    kind: "float",
    node: "AcosBackward0",
    saves: "x",
    grad: (g, s) => g.neg().div(s.x.square().neg().add(1).sqrt()),
  },
  atan: {
    kernel: tf.atan,
    kind: "float",
    node: "AtanBackward0",
    saves: "x",
    grad: (g, s) => g.div(s.x.square().add(1)),
  },
  sinh: {
    kernel: tf.sinh,
    kind: "float",
    node: "SinhBackward0",
    saves: "x",
    grad: (g, s) => g.mul(s.x.cosh()),
  },
  cosh: {
    kernel: tf.cosh,
    kind: "float",
    node: "CoshBackward0",
    saves: "x",
    grad: (g, s) => g.mul(s.x.sinh()),
  },
  tanh: {
    kernel: tf.tanh,
    kind: "float",
    node: "TanhBackward0",
    saves: "out",
    grad: (g, s) => g.mul(s.out.square().neg().add(1)),
  },
  sigmoid: {
    kernel: tf.sigmoid,
    kind: "float",
    node: "SigmoidBackward0",
    saves: "out",
    grad: (g, s) => g.mul(s.out.mul(s.out.neg().add(1))),
  },
  erf: {
    kernel: tf.erf,
    kind: "float",
    node: "ErfBackward0",
    saves: "x",
    grad: (g, s) => g.mul(s.x.square().neg().exp().mul(2 / Math.sqrt(Math.PI))),
  },
  reciprocal: {
    kernel: tf.reciprocal,
    kind: "float",
    node: "ReciprocalBackward0",
    saves: "out",
    grad: (g, s) => g.mul(s.out.square().neg()),
  },
  abs: { kernel: tf.abs, kind: "same", node: "AbsBackward0", saves: "x", grad: (g, s) => g.mul(s.x.sign()) },
  neg: { kernel: tf.neg, kind: "same", node: "NegBackward0", grad: (g) => g.neg() },
  square: {
    kernel: tf.square,
    kind: "same",
    node: "PowBackward0",
    saves: "x",
    grad: (g, s) => g.mul(s.x.mul(2)),
  },
  sign: { kernel: tf.sign, kind: "same", node: "SignBackward0", grad: zerosGrad },
  relu: {
    kernel: tf.relu,
    kind: "same",
    node: "ReluBackward0",
    saves: "out",
    grad: (g, s) => reluBackward(g, s.out),
  },
  floor: { kernel: tf.floor, kind: "int-identity", node: "FloorBackward0", grad: zerosGrad },
  ceil: { kernel: tf.ceil, kind: "int-identity", node: "CeilBackward0", grad: zerosGrad },
  trunc: {
    kernel: (x) => tf.mul(temp(tf.sign(x)), temp(tf.floor(temp(tf.abs(x))))),
    kind: "int-identity",
    node: "TruncBackward0",
    grad: zerosGrad,
  },
  frac: {
    kernel: (x) => tf.sub(x, temp(tf.mul(temp(tf.sign(x)), temp(tf.floor(temp(tf.abs(x))))))),
    kind: "float",
    node: "FracBackward0",
    grad: (g) => g,
  },
  round: { kernel: tf.round, kind: "int-identity", node: "RoundBackward0", grad: zerosGrad },
  logical_not: { kernel: tf.logicalNot, kind: "bool" },
  isnan: { kernel: tf.isNaN, kind: "bool" },
  isinf: { kernel: tf.isInf, kind: "bool" },
  isfinite: { kernel: tf.isFinite, kind: "bool" },
};

/**
 * ReLU's derivative `g * (out > 0)`: in a plain backward, two engine kernels (`out > 0` as
 * the engine's step function, then a multiply; the comparison and cast it replaces are slow
 * scalar loops in the wasm backend); the differentiable op chain where the derivative's own
 * graph is recorded (create_graph). The one difference: a NaN output passes NaN (PyTorch
 * passes `g` there, the op chain 0).
 */
function reluBackward(g: Tensor, out: Tensor): Tensor {
  if (gradMode.enabled || g.dtype !== float32 || out.dtype !== float32) {
    return g.mul(out.gt(0).float());
  }
  return run("relu_backward", () => wrap(tf.mul(g._read(), temp(tf.step(out._read()))), float32, g.device));
}

const UNARY_ALIASES: Record<string, string> = {
  negative: "neg",
  absolute: "abs",
  fix: "trunc",
  arctan: "atan",
  arcsin: "asin",
  arccos: "acos",
};

/** Runs a unary op out of place, recording its node when the input requires grad. */
export function unary(name: string, x: Tensor, kw: Kw = {}): Tensor {
  const out = unaryForward(name, x, kw);
  const spec = UNARY[name];
  if (spec.grad && out.dtype.is_floating_point && needsGrad(x)) {
    const grad = spec.grad;
    const savesOut = spec.saves === "out";
    const node = name === "round" && kw.decimals ? "RoundBackward1" : spec.node!;
    record(node, [x], out, (grads, saved) => {
      const s: Saved1 = savesOut
        ? { x: undefined as unknown as Tensor, out: saved[0] }
        : { x: saved[0], out: saved[0] };
      return [grad(grads[0]!, s)];
    }, spec.saves ? [savesOut ? out : x] : []);
  }
  return out;
}

function unaryForward(name: string, x: Tensor, kw: Kw): Tensor {
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
  return applyInPlace(self, (old) => {
    const r = unary(name, old, kw);
    if (!canCast(r.dtype, self.dtype)) {
      throw new RuntimeError(
        `result type ${scalarTypeName(r.dtype)} can't be cast to the desired output type ${
          scalarTypeName(self.dtype)
        }`,
      );
    }
    return r;
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
  const out = run("clamp", () => {
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
  if (out.dtype.is_floating_point && needsGrad(x, lo, hi)) recordClamp(x, lo, hi, out);
  return out;
}

/** clamp's node: `ClampBackward1` for number bounds, `ClampBackward0` (x, min, max) for tensor bounds. */
function recordClamp(x: Tensor, lo: TensorLike | null, hi: TensorLike | null, out: Tensor): void {
  if (!(lo instanceof Tensor) && !(hi instanceof Tensor)) {
    record("ClampBackward1", [x], out, clampGrad(lo, hi), [x]);
    return;
  }
  const save = [x, ...[lo, hi].filter((b) => b instanceof Tensor)] as Tensor[];
  record("ClampBackward0", [x, lo, hi], out, clampGrad(boundOf(lo), boundOf(hi)), save);
}

/** A clamp bound as its backward keeps it: a number, "saved" (a tensor, from the saved list) or null. */
function boundOf(b: TensorLike | null): TensorLike | "saved" | null {
  return b instanceof Tensor ? "saved" : b;
}

function clampGrad(lo: TensorLike | "saved" | null, hi: TensorLike | "saved" | null): BackwardFn {
  const inside = (v: Tensor, l: TensorLike | null, h: TensorLike | null): Tensor => {
    let m: Tensor | null = null;
    if (l !== null) m = v.ge(l);
    if (h !== null) m = m ? m.logical_and(v.le(h)) : v.le(h);
    return m!;
  };
  return (gs, saved, n) => {
    const g = gs[0]!;
    const v = saved[0];
    let k = 1;
    const l = lo === "saved" ? saved[k++] : lo;
    const h = hi === "saved" ? saved[k++] : hi;
    // PyTorch's clamp_backward_min_max: a bound gets the gradient where it is the one that acts
    const gx = n[0] ? where(inside(v, l, h), g, 0) as Tensor : null;
    let gl: Tensor | null = null;
    let gh: Tensor | null = null;
    if (n[1] && l !== null) {
      const m = v.lt(l);
      gl = where(h !== null ? m.logical_and(binary("lt", l, h)) : m, g, 0) as Tensor;
    }
    if (n[2] && h !== null) {
      const m = v.gt(h);
      gh = where(l !== null ? m.logical_or(binary("lt", h, l)) : m, g, 0) as Tensor;
    }
    return [gx, gl, gh];
  };
}

/** In-place `clamp_`. */
export function clamp_(self: Tensor, ...rest: unknown[]): Tensor {
  return applyInPlace(self, (old) => {
    const r = clamp(old, ...rest);
    checkClampCast(r, self);
    return r;
  });
}

function checkClampCast(r: Tensor, self: Tensor): void {
  if (!canCast(r.dtype, self.dtype)) {
    // PyTorch's clamp_ names the output type as C++ does ("long int")
    const cxx: Record<string, string> = { int64: "long int", int32: "int", bool: "bool", float32: "float" };
    throw new RuntimeError(
      `result type ${scalarTypeName(r.dtype)} can't be cast to the desired output type ${
        cxx[self.dtype.name]
      }`,
    );
  }
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
  const out = run("where", () => {
    const dev = deviceOf(cond, a, b);
    const shape = broadcastShapes(broadcastShapes(cond._shape, shapeOf(a)), shapeOf(b as TensorLike));
    const dt = resultTypeOf(a, b as TensorLike);
    const c = temp(tf.broadcastTo(cond._read(), shape));
    const x = temp(tf.broadcastTo(operand(a, dt), shape));
    const y = temp(tf.broadcastTo(operand(b as TensorLike, dt), shape));
    return wrap(tf.where(c, x, y), dt, dev);
  });
  // the condition is no input of the node (not differentiable)
  if (out.dtype.is_floating_point && needsGrad(a, b)) {
    record("WhereBackward0", [a, b], out, whereGrad, [cond]);
  }
  return out;
}

function whereGrad(gs: (Tensor | null)[], [c]: Tensor[], n: boolean[]): (Tensor | null)[] {
  return [n[0] ? where(c, gs[0]!, 0) as Tensor : null, n[1] ? where(c, 0, gs[0]!) as Tensor : null];
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
    const data = x._host("nonzero");
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
