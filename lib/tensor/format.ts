/**
 * PyTorch-exact tensor printing (`repr(t)` / `str(t)`).
 *
 * A dependency-free re-implementation of `torch/_tensor_str.py` (PyTorch
 * 1.13): the `_Formatter` (int mode / fixed mode / scientific mode and
 * `max_width`), `_tensor_str_with_formatter`, `_vector_str` (line wrapping at
 * `linewidth`), summarisation (`threshold` / `edgeitems`, including
 * `get_summarized_data` so widths only depend on the printed elements),
 * `_add_suffixes` (suffix line wrapping) and `_str_intern`'s suffix rules.
 *
 * Scalars are formatted exactly like Python's `'{:.Nf}'` / `'{:.Ne}'`: the
 * exact binary value of the double is rounded to nearest, ties to even.
 * JavaScript's `toFixed` / `toExponential` round exact ties away from zero, so
 * such values are formatted with exact BigInt arithmetic instead.
 *
 * @module
 */

/**
 * A dtype name as in `torch.<name>`.
 *
 * @example
 * ```ts
 * const dt: PrintDType = "int32"; // printed as dtype=torch.int32
 * ```
 */
export type PrintDType =
  | "float32"
  | "int64"
  | "int32"
  | "bool"
  | "float64"
  | "float16"
  | "uint8";

/**
 * PyTorch's print options (`torch._tensor_str.PRINT_OPTS`).
 *
 * @example
 * ```ts
 * const opts: PrintOptions = get_printoptions(); // { precision: 4, ... }
 * ```
 */
export interface PrintOptions {
  /** Digits after the decimal point (default 4). */
  precision: number;
  /** Element count above which the tensor is summarised (default 1000). */
  threshold: number;
  /** Items shown at each end of a summarised dimension (default 3). */
  edgeitems: number;
  /** Characters per line used for wrapping (default 80). */
  linewidth: number;
  /** Force (`true`) / forbid (`false`) scientific notation; `null` = auto. */
  sci_mode: boolean | null;
}

/**
 * The live, current print options (mutated in place by `set_printoptions`).
 *
 * @example
 * ```ts
 * PRINT_OPTS.precision; // 4
 * ```
 */
export const PRINT_OPTS: PrintOptions = {
  precision: 4,
  threshold: 1000,
  edgeitems: 3,
  linewidth: 80,
  sci_mode: null,
};

/**
 * Set print options, with exactly the semantics of `torch.set_printoptions`:
 * a `profile` is applied first, then any explicitly given option. Like
 * PyTorch, `sci_mode` is always assigned, so omitting it resets it to `null`.
 *
 * @example
 * ```ts
 * set_printoptions({ precision: 2 });
 * formatTensor({ values: [1.12345], shape: [1], dtype: "float32" }); // "tensor([1.12])"
 * set_printoptions({ profile: "default" });
 * ```
 */
export function set_printoptions(opts: {
  precision?: number;
  threshold?: number;
  edgeitems?: number;
  linewidth?: number;
  profile?: "default" | "short" | "full";
  sci_mode?: boolean | null;
}): void {
  const { profile } = opts;
  if (profile !== undefined) {
    if (profile === "default") {
      PRINT_OPTS.precision = 4;
      PRINT_OPTS.threshold = 1000;
      PRINT_OPTS.edgeitems = 3;
      PRINT_OPTS.linewidth = 80;
    } else if (profile === "short") {
      PRINT_OPTS.precision = 2;
      PRINT_OPTS.threshold = 1000;
      PRINT_OPTS.edgeitems = 2;
      PRINT_OPTS.linewidth = 80;
    } else if (profile === "full") {
      PRINT_OPTS.precision = 4;
      PRINT_OPTS.threshold = Infinity;
      PRINT_OPTS.edgeitems = 3;
      PRINT_OPTS.linewidth = 80;
    }
  }
  if (opts.precision !== undefined) PRINT_OPTS.precision = opts.precision;
  if (opts.threshold !== undefined) PRINT_OPTS.threshold = opts.threshold;
  if (opts.edgeitems !== undefined) PRINT_OPTS.edgeitems = opts.edgeitems;
  if (opts.linewidth !== undefined) PRINT_OPTS.linewidth = opts.linewidth;
  PRINT_OPTS.sci_mode = opts.sci_mode ?? null;
}

/**
 * A copy of the current print options.
 *
 * @example
 * ```ts
 * get_printoptions().linewidth; // 80
 * ```
 */
export function get_printoptions(): PrintOptions {
  return { ...PRINT_OPTS };
}

// ---------------------------------------------------------------------------
// Python-exact scalar formatting
// ---------------------------------------------------------------------------

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/** Exact decomposition of a positive finite double as `num / den`. */
function exactRational(a: number): { num: bigint; den: bigint } {
  F64[0] = a;
  const hi = U32[HI];
  const lo = U32[LO];
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) {
    exp = -1074; // subnormal
  } else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  if (exp >= 0) return { num: mant << BigInt(exp), den: 1n };
  return { num: mant, den: 1n << BigInt(-exp) };
}

const POW10_CACHE: bigint[] = [1n];
function pow10(n: number): bigint {
  for (let i = POW10_CACHE.length; i <= n; i++) {
    POW10_CACHE.push(POW10_CACHE[i - 1] * 10n);
  }
  return POW10_CACHE[n];
}

/** `round(num / den)` with ties to even (num, den > 0). */
function divRoundHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num - q * den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** Exact `'{:.pf}'` of a non-negative finite double (no sign). */
function exactFixed(a: number, p: number): string {
  const { num, den } = exactRational(a);
  const q = divRoundHalfEven(num * pow10(p), den);
  let s = q.toString();
  if (p === 0) return s;
  if (s.length <= p) s = "0".repeat(p + 1 - s.length) + s;
  return s.slice(0, s.length - p) + "." + s.slice(s.length - p);
}

/** Exact `'{:.pe}'` of a non-negative finite double (no sign). */
function exactExp(a: number, p: number): string {
  if (a === 0) return expString("0".repeat(p + 1), 0, p);
  const { num, den } = exactRational(a);
  // Find E with 10^E <= a < 10^(E+1).
  let e = Math.floor(Math.log10(a));
  const geq = (k: number): boolean => k >= 0 ? num >= pow10(k) * den : num * pow10(-k) >= den;
  while (!geq(e)) e--;
  while (geq(e + 1)) e++;
  const k = p - e; // scale: a * 10^k has p+1 integer digits
  let q = k >= 0 ? divRoundHalfEven(num * pow10(k), den) : divRoundHalfEven(num, den * pow10(-k));
  if (q === pow10(p + 1)) {
    q = pow10(p);
    e++;
  }
  return expString(q.toString(), e, p);
}

function expString(digits: string, e: number, p: number): string {
  const mant = p === 0 ? digits : digits[0] + "." + digits.slice(1);
  const ae = Math.abs(e);
  return mant + (e < 0 ? "e-" : "e+") + (ae < 10 ? "0" + ae : String(ae));
}

/**
 * Python's `'{:.Nf}'.format(x)`, exact: the binary value is rounded half to
 * even; negative zero and tiny negatives keep their sign; non-finite values
 * print as `nan`, `inf`, `-inf`.
 *
 * @example
 * ```ts
 * pyFormatFixed(0.03125, 4); // "0.0312"
 * pyFormatFixed(2.5, 0); // "2"
 * pyFormatFixed(-0, 4); // "-0.0000"
 * ```
 */
export function pyFormatFixed(x: number, precision: number): string {
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const neg = x < 0 || (x === 0 && 1 / x < 0);
  const a = neg ? -x : x;
  const p = precision;
  let body: string;
  // toFixed is exact except at exact ties (which it rounds up). A tie needs
  // a non-integer with at most p+1 fractional bits.
  if (
    p <= 100 && a < 1e21 &&
    (Number.isInteger(a) || !Number.isInteger(a * 2 ** (p + 1)))
  ) {
    body = a.toFixed(p);
  } else {
    body = exactFixed(a, p);
  }
  return neg ? "-" + body : body;
}

/**
 * Python's `'{:.Ne}'.format(x)`, exact (ties to even), with an exponent of
 * at least two digits.
 *
 * @example
 * ```ts
 * pyFormatExp(1.03125, 4); // "1.0312e+00"
 * pyFormatExp(1e-5, 4); // "1.0000e-05"
 * pyFormatExp(1e100, 4); // "1.0000e+100"
 * ```
 */
export function pyFormatExp(x: number, precision: number): string {
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const neg = x < 0 || (x === 0 && 1 / x < 0);
  const a = neg ? -x : x;
  const p = precision;
  let body: string;
  if (p <= 100 && a !== 0 && !expMayTie(a, p)) {
    const s = a.toExponential(p);
    const i = s.indexOf("e");
    const e = Number(s.slice(i + 1));
    body = expString(s.slice(0, i).replace(".", ""), e, p);
  } else {
    body = exactExp(a, p);
  }
  return neg ? "-" + body : body;
}

/** Conservative test: could `a` (> 0) be an exact tie at `p` digits? */
function expMayTie(a: number, p: number): boolean {
  if (Number.isInteger(a)) {
    // Integers only tie when the last kept digit is above the units.
    return a >= 10 ** p;
  }
  const e = Math.floor(Math.log10(a)) - 1; // <= true decimal exponent
  const bits = p - e + 1;
  if (bits > 1000) return true;
  return Number.isInteger(a * 2 ** bits);
}

// ---------------------------------------------------------------------------
// Tensor printing
// ---------------------------------------------------------------------------

function isFloating(dtype: PrintDType): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "float16";
}

function intString(v: number): string {
  if (Number.isInteger(v)) {
    return Math.abs(v) < 1e21 ? String(v) : BigInt(v).toString();
  }
  return String(v);
}

/** PyTorch's `_Formatter`. */
class Formatter {
  readonly floating: boolean;
  readonly isBool: boolean;
  intMode = true;
  sciMode = false;
  maxWidth = 1;
  readonly precision: number;

  constructor(values: readonly number[], dtype: PrintDType) {
    this.floating = isFloating(dtype);
    this.isBool = dtype === "bool";
    this.precision = PRINT_OPTS.precision;
    const p = this.precision;
    if (!this.floating) {
      for (const v of values) {
        const n = this.isBool ? (v ? 4 : 5) : intString(v).length;
        if (n > this.maxWidth) this.maxWidth = n;
      }
      return;
    }
    const nz: number[] = [];
    let min = Infinity;
    let max = 0;
    for (const v of values) {
      if (v !== 0 && Number.isFinite(v)) {
        nz.push(v);
        const a = Math.abs(v);
        if (a < min) min = a;
        if (a > max) max = a;
        if (this.intMode && v !== Math.ceil(v)) this.intMode = false;
      }
    }
    if (nz.length === 0) return; // note: PRINT_OPTS.sci_mode is not applied
    let width = 1;
    if (this.intMode) {
      if (max / min > 1000.0 || max > 1.0e8) {
        this.sciMode = true;
        for (const v of nz) width = Math.max(width, pyFormatExp(v, p).length);
      } else {
        for (const v of nz) {
          width = Math.max(width, pyFormatFixed(v, 0).length + 1);
        }
      }
    } else if (max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4) {
      this.sciMode = true;
      for (const v of nz) width = Math.max(width, pyFormatExp(v, p).length);
    } else {
      for (const v of nz) width = Math.max(width, pyFormatFixed(v, p).length);
    }
    this.maxWidth = width;
    if (PRINT_OPTS.sci_mode !== null) this.sciMode = PRINT_OPTS.sci_mode;
  }

  format(v: number): string {
    let ret: string;
    if (this.floating) {
      if (this.sciMode) {
        ret = pyFormatExp(v, this.precision);
      } else if (this.intMode) {
        ret = pyFormatFixed(v, 0);
        if (Number.isFinite(v)) ret += ".";
      } else {
        ret = pyFormatFixed(v, this.precision);
      }
    } else if (this.isBool) {
      ret = v ? "True" : "False";
    } else {
      ret = intString(v);
    }
    return ret.length < this.maxWidth ? " ".repeat(this.maxWidth - ret.length) + ret : ret;
  }
}

/** Python `range(*slice(start, stop).indices(n))` for step 1, as indices. */
function pySlice(start: number, stop: number | null, n: number): number[] {
  const norm = (i: number): number => {
    if (i < 0) i += n;
    return Math.min(Math.max(i, 0), n);
  };
  const s = norm(start);
  const e = stop === null ? n : norm(stop);
  const out: number[] = [];
  for (let i = s; i < e; i++) out.push(i);
  return out;
}

function range(start: number, stop: number): number[] {
  const out: number[] = [];
  for (let i = Math.max(start, 0); i < stop; i++) out.push(i);
  return out;
}

interface Layout {
  readonly vals: ArrayLike<number | boolean>;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
}

function num(v: number | boolean): number {
  return typeof v === "number" ? v : v ? 1 : 0;
}

/** Values selected by PyTorch's `get_summarized_data` (order irrelevant). */
function summarizedValues(l: Layout, edge: number): number[] {
  const out: number[] = [];
  const nd = l.shape.length;
  const visit = (offset: number, d: number): void => {
    const n = l.shape[d];
    if (d === nd - 1) {
      const idx = n > 2 * edge ? [...pySlice(0, edge, n), ...pySlice(-edge, null, n)] : range(0, n);
      for (const i of idx) out.push(num(l.vals[offset + i]));
      return;
    }
    const rows = n > 2 * edge ? [...range(0, edge), ...range(n - edge, n)] : range(0, n);
    for (const i of rows) visit(offset + i * l.strides[d], d + 1);
  };
  if (nd === 0) out.push(num(l.vals[0]));
  else visit(0, 0);
  return out;
}

function vectorStr(
  l: Layout,
  offset: number,
  indent: number,
  summarize: boolean,
  fmt: Formatter,
): string {
  const n = l.shape[l.shape.length - 1];
  const elementLength = fmt.maxWidth + 2;
  const perLine = Math.max(
    1,
    Math.floor((PRINT_OPTS.linewidth - indent) / elementLength),
  );
  const edge = PRINT_OPTS.edgeitems;
  const f = (i: number): string => fmt.format(num(l.vals[offset + i]));
  let data: string[];
  if (summarize && n > 2 * edge) {
    data = [
      ...pySlice(0, edge, n).map(f),
      " ...",
      ...pySlice(-edge, null, n).map(f),
    ];
  } else {
    data = new Array<string>(n);
    for (let i = 0; i < n; i++) data[i] = f(i);
  }
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perLine) {
    lines.push(data.slice(i, i + perLine).join(", "));
  }
  return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
}

function tensorStrWithFormatter(
  l: Layout,
  offset: number,
  d: number,
  indent: number,
  summarize: boolean,
  fmt: Formatter,
): string {
  const dim = l.shape.length - d;
  if (dim === 0) return fmt.format(num(l.vals[offset]));
  if (dim === 1) return vectorStr(l, offset, indent, summarize, fmt);
  const n = l.shape[d];
  const edge = PRINT_OPTS.edgeitems;
  const sub = (i: number): string =>
    tensorStrWithFormatter(
      l,
      offset + i * l.strides[d],
      d + 1,
      indent + 1,
      summarize,
      fmt,
    );
  let slices: string[];
  if (summarize && n > 2 * edge) {
    slices = [
      ...range(0, edge).map(sub),
      "...",
      ...range(n - edge, n).map(sub),
    ];
  } else {
    slices = range(0, n).map(sub);
  }
  return "[" +
    slices.join("," + "\n".repeat(dim - 1) + " ".repeat(indent + 1)) + "]";
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) {
      throw new RangeError(`invalid shape [${shape.join(", ")}]`);
    }
    n *= s;
  }
  return n;
}

/**
 * PyTorch's `_tensor_str`: the bracketed data part of a tensor's repr, using
 * the current `PRINT_OPTS`. `values` are row-major (flat) numbers or
 * booleans; `indent` is the column the data starts at (7 for `"tensor("`).
 *
 * @example
 * ```ts
 * formatTensorData([1, 2, 3, 4], [2, 2], "float32", 7); // "[[1., 2.],\n        [3., 4.]]"
 * ```
 */
export function formatTensorData(
  values: ArrayLike<number | boolean>,
  shape: readonly number[],
  dtype: PrintDType,
  indent: number,
): string {
  const numel = numelOf(shape);
  if (numel === 0) return "[]";
  if (values.length < numel) {
    throw new RangeError(
      `formatTensorData: ${values.length} values for shape [${shape.join(", ")}]`,
    );
  }
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  const l: Layout = { vals: values, shape, strides };
  const summarize = numel > PRINT_OPTS.threshold;
  let sel: number[];
  if (summarize) {
    sel = summarizedValues(l, PRINT_OPTS.edgeitems);
  } else {
    sel = new Array<number>(numel);
    for (let i = 0; i < numel; i++) sel[i] = num(values[i]);
  }
  const fmt = new Formatter(sel, dtype);
  return tensorStrWithFormatter(l, 0, 0, indent, summarize, fmt);
}

/**
 * Input to {@link formatTensor}.
 *
 * @example
 * ```ts
 * const info: ReprInfo = { values: [1, 2], shape: [2], dtype: "float32", grad_fn: "MulBackward0" };
 * formatTensor(info); // "tensor([1., 2.], grad_fn=<MulBackward0>)"
 * ```
 */
export interface ReprInfo {
  /** Row-major (flat) values. */
  values: ArrayLike<number | boolean>;
  /** Tensor shape (`[]` for a 0-d tensor). */
  shape: readonly number[];
  /** Tensor dtype. */
  dtype: PrintDType;
  /** e.g. `"webgpu:0"`; printed as `device='webgpu:0'` unless null/undefined or a cpu device. */
  device?: string | null;
  /** Autograd node name, printed as `grad_fn=<MulBackward0>`. */
  grad_fn?: string | null;
  /** Printed as `requires_grad=True` when there is no `grad_fn`. */
  requires_grad?: boolean;
  /** Defaults to `"tensor("`; its length is the indent of continuation lines. */
  prefix?: string;
}

/** PyTorch's `_add_suffixes`. */
function addSuffixes(
  tensorStr: string,
  suffixes: readonly string[],
  indent: number,
  forceNewline: boolean,
): string {
  const parts = [tensorStr];
  let lastLineLen = tensorStr.length - tensorStr.lastIndexOf("\n") + 1;
  for (const suffix of suffixes) {
    if (
      forceNewline || lastLineLen + suffix.length + 2 > PRINT_OPTS.linewidth
    ) {
      parts.push(",\n" + " ".repeat(indent) + suffix);
      lastLineLen = indent + suffix.length;
      forceNewline = false;
    } else {
      parts.push(", " + suffix);
      lastLineLen += suffix.length + 2;
    }
  }
  parts.push(")");
  return parts.join("");
}

function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * PyTorch's full `repr(t)` (same as `str(t)`), with the current
 * `PRINT_OPTS`. The default dtype is float32: int64 and bool get no dtype
 * suffix, other dtypes do (empty tensors show any non-float32 dtype and, when
 * not 1-d, their size).
 *
 * @example
 * ```ts
 * formatTensor({ values: [1, 2], shape: [2], dtype: "float32", requires_grad: true });
 * // "tensor([1., 2.], requires_grad=True)"
 * formatTensor({ values: [], shape: [0, 3], dtype: "int64" });
 * // "tensor([], size=(0, 3), dtype=torch.int64)"
 * ```
 */
export function formatTensor(info: ReprInfo): string {
  const prefix = info.prefix ?? "tensor(";
  const indent = prefix.length;
  const { shape, dtype } = info;
  const suffixes: string[] = [];
  const device = info.device;
  if (
    device !== null && device !== undefined && device.split(":")[0] !== "cpu"
  ) {
    suffixes.push(`device='${device}'`);
  }
  let tensorStr: string;
  if (numelOf(shape) === 0) {
    if (shape.length !== 1) suffixes.push("size=" + pyTuple(shape));
    if (dtype !== "float32") suffixes.push(`dtype=torch.${dtype}`);
    tensorStr = "[]";
  } else {
    if (dtype !== "float32" && dtype !== "int64" && dtype !== "bool") {
      suffixes.push(`dtype=torch.${dtype}`);
    }
    tensorStr = formatTensorData(info.values, shape, dtype, indent);
  }
  if (info.grad_fn !== null && info.grad_fn !== undefined) {
    suffixes.push(`grad_fn=<${info.grad_fn}>`);
  } else if (info.requires_grad) {
    suffixes.push("requires_grad=True");
  }
  return addSuffixes(prefix + tensorStr, suffixes, indent, false);
}
