/**
 * `torch.nn.functional` (layers part): linear, conv2d, pooling, activations,
 * softmax family, dropout, batch norm, embedding. Each op runs its engine
 * kernels and records one node with PyTorch's name (`AddmmBackward0`,
 * `ConvolutionBackward0`, `MaxPool2DWithIndicesBackward0` …).
 * Convolutions and pools take PyTorch's NCHW layout; the engine's kernels
 * run in NHWC, so the data is transposed around them.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { NotImplementedError, RuntimeError, TorchTypeError, ValueError } from "../errors.ts";
import { float32 } from "../tensor/dtype.ts";
import { deviceOf, type Kw, run, scalarTypeName, splitKw, wrap } from "../tensor/dispatch.ts";
import { readView, temp } from "../tensor/storage.ts";
import { Tensor } from "../tensor/tensor.ts";
import { needsGrad, record } from "../autograd/node.ts";
import { default_generator } from "../random/generator.ts";
import { Size } from "../tensor/size.ts";

type Pair = [number, number];

function pair(v: number | number[], what: string): Pair {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  if (Array.isArray(v) && v.length === 1) return [v[0], v[0]];
  throw new TorchTypeError(`${what} must be an int or a pair of ints`);
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(", ")}]`;
}

/**
 * A 2-D operand as the engine wants it: a transposed view of a contiguous
 * matrix (like `weight.t()`) is read untransposed with a transpose flag,
 * so the kernel does the transpose for free.
 */
export function matOperand(t: Tensor): [tf.Tensor, boolean] {
  const s = t._shape;
  const st = t._strides;
  if (s.length === 2 && s[0] > 1 && s[1] > 1 && st[0] === 1 && st[1] === s[0]) {
    return [readView(t._storage, [s[1], s[0]], [s[0], 1], t._offset), true];
  }
  return [t._read(), false];
}

// ---- linear --------------------------------------------------------------------------------------

/** `torch.addmm(bias, mat1, mat2)`: `bias + mat1 @ mat2`, one node (AddmmBackward0). */
export function addmm(
  bias: Tensor,
  a: Tensor,
  b: Tensor,
  kw: { beta?: number; alpha?: number } = {},
): Tensor {
  if (a._shape.length !== 2) throw new RuntimeError("self must be a matrix");
  if (b._shape.length !== 2) throw new RuntimeError("mat2 must be a matrix");
  if (a._shape[1] !== b._shape[0]) {
    throw new RuntimeError(
      `mat1 and mat2 shapes cannot be multiplied (${a._shape[0]}x${a._shape[1]} and ${b._shape[0]}x${
        b._shape[1]
      })`,
    );
  }
  const beta = kw.beta ?? 1;
  const alpha = kw.alpha ?? 1;
  const out = run("addmm", () => {
    const dev = deviceOf(bias, a, b);
    const [x, tx] = matOperand(a);
    const [y, ty] = matOperand(b);
    const plain = beta === 1 && alpha === 1 && bias._shape.length <= 1;
    if (plain && !tx && !ty) {
      return wrap(tf.fused.matMul({ a: x, b: y, bias: bias._read() }), float32, dev);
    }
    if (plain) {
      // tfjs-wasm 4.22's fused matMul adds the bias wrongly when an operand is transposed
      return wrap(tf.add(temp(tf.matMul(x, y, tx, ty)), bias._read()), float32, dev);
    }
    const p = temp(tf.mul(temp(tf.matMul(x, y, tx, ty)), alpha));
    return wrap(tf.add(p, temp(tf.mul(bias._read(), beta))), float32, dev);
  });
  if (needsGrad(bias, a, b)) {
    record("AddmmBackward0", [bias, a, b], out, (gs, s, n) => {
      const g = gs[0]!;
      return [
        n[0] ? (beta === 1 ? g : g.mul(beta)) : null,
        n[1] ? scaled(g.mm(s[1].t()), alpha) : null,
        n[2] ? scaled(s[0].t().mm(g), alpha) : null,
      ];
    }, [a, b]);
  }
  return out;
}

function scaled(t: Tensor, a: number): Tensor {
  return a === 1 ? t : t.mul(a);
}

/** `F.linear(input, weight, bias?)`: `input @ weight.T + bias`. */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (input.dtype !== weight.dtype) throw new RuntimeError("mat1 and mat2 must have the same dtype");
  const rank = input._shape.length;
  const inF = weight._shape[1];
  if (input._shape[rank - 1] !== inF) {
    const rows = rank === 1 ? 1 : input._shape.slice(0, -1).reduce((x, y) => x * y, 1);
    throw new RuntimeError(
      `mat1 and mat2 shapes cannot be multiplied (${rows}x${input._shape[rank - 1]} and ${weight._shape[1]}x${
        weight._shape[0]
      })`,
    );
  }
  const wt = weight.t();
  if (rank === 2 && bias) return addmm(bias, input, wt);
  const y = input.matmul(wt);
  return bias ? y.add(bias) : y;
}

/** `F.bilinear` is not here; `F.linear` covers `nn.Linear`. */

// ---- convolution -----------------------------------------------------------------------------

/** Explicit (top, bottom, left, right) padding for `padding` ('same', 'valid', int, pair). */
function convPadding(
  padding: number | number[] | string,
  k: Pair,
  d: Pair,
  stride: Pair,
): [number, number, number, number] {
  if (padding === "valid") return [0, 0, 0, 0];
  if (padding === "same") {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new RuntimeError("padding='same' is not supported for strided convolutions");
    }
    const th = d[0] * (k[0] - 1);
    const tw = d[1] * (k[1] - 1);
    // PyTorch puts the odd pixel at the end
    return [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  }
  if (typeof padding === "string") {
    throw new ValueError(`Invalid padding string '${padding}', should be one of {'valid', 'same'}`);
  }
  const [ph, pw] = pair(padding, "padding");
  return [ph, ph, pw, pw];
}

/**
 * `F.conv2d(input, weight, bias?, stride=1, padding=0, dilation=1, groups=1)`
 * on NCHW input (or unbatched CHW).
 */
export function conv2d(input: Tensor, weight: Tensor, ...rest: unknown[]): Tensor {
  const [a, kw] = splitKw(rest);
  const bias = (a[0] ?? kw.bias ?? null) as Tensor | null;
  const stride = pair((a[1] ?? kw.stride ?? 1) as number, "stride");
  const padArg = (a[2] ?? kw.padding ?? 0) as number | number[] | string;
  const dil = pair((a[3] ?? kw.dilation ?? 1) as number, "dilation");
  const groups = (a[4] ?? kw.groups ?? 1) as number;
  if (input._shape.length === 3) {
    return conv2d(input.unsqueeze(0), weight, bias, stride, padArg, dil, groups).squeeze(0);
  }
  if (input._shape.length !== 4) {
    throw new RuntimeError(
      `Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ${
        shapeStr(input._shape)
      }`,
    );
  }
  if (weight._shape.length !== 4) {
    throw new RuntimeError(`weight should have 4 dimensions for conv2d, got ${weight._shape.length}`);
  }
  if (input.dtype !== weight.dtype) {
    throw new RuntimeError(
      `Input type (${legacy(input)}) and weight type (${legacy(weight)}) should be the same`,
    );
  }
  const [, cin, h, w] = input._shape;
  const [cout, cpg, kh, kwd] = weight._shape;
  if (cin !== cpg * groups) {
    throw new RuntimeError(
      `Given groups=${groups}, weight of size ${shapeStr(weight._shape)}, expected input${
        shapeStr(input._shape)
      } to have ${cpg * groups} channels, but got ${cin} channels instead`,
    );
  }
  const k: Pair = [kh, kwd];
  const pad = convPadding(padArg, k, dil, stride);
  const hp = h + pad[0] + pad[1];
  const wp = w + pad[2] + pad[3];
  const ekh = dil[0] * (kh - 1) + 1;
  const ekw = dil[1] * (kwd - 1) + 1;
  if (hp < ekh || wp < ekw) {
    throw new RuntimeError(
      `Calculated padded input size per channel: (${hp} x ${wp}). Kernel size: (${ekh} x ${ekw}). Kernel size can't be greater than actual input size`,
    );
  }
  if (groups > 1) return groupedConv(input, weight, bias, stride, pad, dil, groups);
  if (bias && (bias._shape.length !== 1 || bias._shape[0] !== cout)) {
    throw new RuntimeError(
      `Given weight of size ${
        shapeStr(weight._shape)
      }, expected bias to be 1-dimensional with ${cout} elements, but got bias of size ${
        shapeStr(bias._shape)
      } instead`,
    );
  }
  if (stride[0] > 1 && dil[0] > 1 || stride[1] > 1 && dil[1] > 1) {
    throw new NotImplementedError(
      "Cannot run conv2d with both stride > 1 and dilation > 1: the engine (TensorFlow.js) supports one or the other",
    );
  }
  const explicit: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [pad[0], pad[1]],
    [pad[2], pad[3]],
    [0, 0],
  ];
  const out = run("conv2d", () => {
    const dev = deviceOf(input, weight, bias);
    const x = temp(tf.transpose(input._read(), [0, 2, 3, 1])) as tf.Tensor4D;
    const f = temp(tf.transpose(weight._read(), [2, 3, 1, 0])) as tf.Tensor4D;
    const y = temp(tf.fused.conv2d({
      x,
      filter: f,
      strides: stride,
      pad: explicit,
      dilations: dil,
      bias: bias ? bias._read() : undefined,
    }));
    return wrap(tf.transpose(y, [0, 3, 1, 2]), float32, dev);
  });
  if (needsGrad(input, weight, bias)) {
    const inShape = input._shape.slice() as [number, number, number, number];
    record("ConvolutionBackward0", [input, weight, bias], out, (gs, s, n) => {
      const [xs, ws] = s;
      return convBackward(gs[0]!, xs, ws, inShape, stride, explicit, dil, n);
    }, [input, weight]);
  }
  return out;
}

function legacy(t: Tensor): string {
  return `torch.${scalarTypeName(t.dtype)}Tensor`;
}

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

/** Gradients of a convolution for its input, weight and bias. */
function convBackward(
  g: Tensor,
  xs: Tensor,
  ws: Tensor,
  inShape: [number, number, number, number],
  stride: Pair,
  pad: Explicit,
  dil: Pair,
  needs: boolean[],
): (Tensor | null)[] {
  const [kh, kw] = [ws._shape[2], ws._shape[3]];
  const gx = needs[0]
    ? run("conv2d_backward_input", () => {
      const gy = temp(tf.transpose(g._read(), [0, 2, 3, 1])) as tf.Tensor4D;
      let f = temp(tf.transpose(ws._read(), [2, 3, 1, 0])) as tf.Tensor4D;
      if (dil[0] > 1 || dil[1] > 1) f = dilateFilter(f, dil);
      const shape: [number, number, number, number] = [inShape[0], inShape[2], inShape[3], inShape[1]];
      const r = temp(tf.conv2dTranspose(gy, f, shape, stride, pad));
      return wrap(tf.transpose(r, [0, 3, 1, 2]), float32, g.device);
    })
    : null;
  const gw = needs[1]
    ? run("conv2d_backward_weight", () => {
      // dW[o, i, a, b] = Σ x[n, i, y·s + a·d, x·s + b·d] · g[n, o, y, x]: a convolution of the
      // input (channels as batch) with the output gradient (batch as channels), stride and
      // dilation swapped
      const xin = temp(tf.transpose(xs._read(), [1, 2, 3, 0])) as tf.Tensor4D; // [Cin, H, W, N]
      const gf = temp(tf.transpose(g._read(), [2, 3, 0, 1])) as tf.Tensor4D; // [OH, OW, N, Cout]
      const r = temp(tf.conv2d(xin, gf, dil, pad, "NHWC", stride)); // [Cin, kh', kw', Cout]
      const cut = temp(tf.slice(r, [0, 0, 0, 0], [r.shape[0], kh, kw, r.shape[3]]));
      return wrap(tf.transpose(cut, [3, 0, 1, 2]), float32, g.device);
    })
    : null;
  const gb = needs[2] ? g.sum([0, 2, 3]) : null;
  return [gx, gw, gb];
}

/** Inserts zeros between filter taps so a dilated filter runs as a plain one. */
function dilateFilter(f: tf.Tensor4D, d: Pair): tf.Tensor4D {
  const [kh, kw, ci, co] = f.shape;
  const eh = d[0] * (kh - 1) + 1;
  const ew = d[1] * (kw - 1) + 1;
  const idx: number[] = [];
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) idx.push(a * d[0] * ew + b * d[1]);
  const flat = temp(tf.reshape(f, [kh * kw, ci * co]));
  const z = temp(tf.scatterND(temp(tf.tensor2d(idx, [idx.length, 1], "int32")), flat, [eh * ew, ci * co]));
  return temp(tf.reshape(z, [eh, ew, ci, co])) as tf.Tensor4D;
}

/** Grouped convolution: one convolution per group, concatenated along channels. */
function groupedConv(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: Pair,
  pad: [number, number, number, number],
  dil: Pair,
  groups: number,
): Tensor {
  const cin = input._shape[1] / groups;
  const cout = weight._shape[0] / groups;
  if (!Number.isInteger(cout)) throw new RuntimeError("out_channels must be divisible by groups");
  const outs: Tensor[] = [];
  const padding: [number, number] | string = pad[0] === pad[1] && pad[2] === pad[3]
    ? [pad[0], pad[2]]
    : "same";
  for (let g = 0; g < groups; g++) {
    outs.push(
      conv2d(
        input.narrow(1, g * cin, cin),
        weight.narrow(0, g * cout, cout),
        bias ? bias.narrow(0, g * cout, cout) : null,
        stride,
        padding,
        dil,
        1,
      ),
    );
  }
  return Tensor_cat(outs, 1);
}

let Tensor_cat: (ts: Tensor[], dim: number) => Tensor = () => {
  throw new Error("cat not wired");
};
/** Wires torch.cat in (avoids an import cycle with the op modules). */
export function _setCat(f: (ts: Tensor[], dim: number) => Tensor): void {
  Tensor_cat = f;
}

// ---- pooling ---------------------------------------------------------------------------------

function poolArgs(
  name: string,
  input: Tensor,
  kernel: number | number[],
  strideArg: number | number[] | null | undefined,
  padding: number | number[],
): { k: Pair; s: Pair; p: Pair; batched: Tensor } {
  const k = pair(kernel, "kernel_size");
  const s = strideArg == null || (Array.isArray(strideArg) && strideArg.length === 0)
    ? k
    : pair(strideArg, "stride");
  const p = pair(padding, "padding");
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2) {
    throw new RuntimeError(
      `pad should be at most half of effective kernel size, but got pad=${
        p[0] > k[0] / 2 ? p[0] : p[1]
      }, kernel_size=${p[0] > k[0] / 2 ? k[0] : k[1]} and dilation=1`,
    );
  }
  const r = input._shape.length;
  if (r !== 3 && r !== 4) {
    throw new RuntimeError(
      `${name}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: ${
        shapeStr(input._shape)
      }`,
    );
  }
  return { k, s, p, batched: r === 3 ? input.unsqueeze(0) : input };
}

function poolOut(n: number, k: number, s: number, p: number, ceil: boolean): number {
  const v = (n + 2 * p - k) / s;
  let o = (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
  // the last window must start inside the input or its left padding (PyTorch's rule)
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

/** `F.max_pool2d(input, kernel_size, stride=kernel_size, padding=0, dilation=1, ceil_mode=false)`. */
export function max_pool2d(input: Tensor, kernel_size: number | number[], ...rest: unknown[]): Tensor {
  const [a, kw] = splitKw(rest);
  const dilation = pair((a[2] ?? kw.dilation ?? 1) as number, "dilation");
  const ceil = Boolean(a[3] ?? kw.ceil_mode ?? false);
  if (kw.return_indices || a[4]) {
    throw new NotImplementedError(
      "Cannot return max_pool2d indices: return_indices=True is not supported here",
    );
  }
  if (dilation[0] !== 1 || dilation[1] !== 1) {
    throw new NotImplementedError(
      "Cannot run max_pool2d with dilation > 1: the engine has no dilated pooling",
    );
  }
  const { k, s, p, batched } = poolArgs(
    "max_pool2d",
    input,
    kernel_size,
    (a[0] ?? kw.stride) as number,
    (a[1] ?? kw.padding ?? 0) as number,
  );
  const out = pool("max", batched, k, s, p, ceil, true);
  return input._shape.length === 3 ? out.squeeze(0) : out;
}

/** `F.avg_pool2d(input, kernel_size, stride=kernel_size, padding=0, ceil_mode=false, count_include_pad=true)`. */
export function avg_pool2d(input: Tensor, kernel_size: number | number[], ...rest: unknown[]): Tensor {
  const [a, kw] = splitKw(rest);
  const ceil = Boolean(a[2] ?? kw.ceil_mode ?? false);
  const include = Boolean(a[3] ?? kw.count_include_pad ?? true);
  const { k, s, p, batched } = poolArgs(
    "avg_pool2d",
    input,
    kernel_size,
    (a[0] ?? kw.stride) as number,
    (a[1] ?? kw.padding ?? 0) as number,
  );
  const out = pool("avg", batched, k, s, p, ceil, include);
  return input._shape.length === 3 ? out.squeeze(0) : out;
}

function pool(
  kind: "max" | "avg",
  x: Tensor,
  k: Pair,
  s: Pair,
  p: Pair,
  ceil: boolean,
  includePad: boolean,
): Tensor {
  const [n, c, h, w] = x._shape;
  const oh = poolOut(h, k[0], s[0], p[0], ceil);
  const ow = poolOut(w, k[1], s[1], p[1], ceil);
  if (oh <= 0 || ow <= 0) {
    throw new RuntimeError(
      `Given input size: (${c}x${h}x${w}). Calculated output size: (${c}x${oh}x${ow}). Output size is too small`,
    );
  }
  // Padding by hand: max pads with -inf; average with zeros when they count
  const padAfterH = Math.max(0, (oh - 1) * s[0] + k[0] - h - p[0]);
  const padAfterW = Math.max(0, (ow - 1) * s[1] + k[1] - w - p[1]);
  const explicit: Explicit = [[0, 0], [p[0], padAfterH], [p[1], padAfterW], [0, 0]];
  const zeroPad = kind === "avg" && includePad;
  const attrs = {
    filterSize: k,
    strides: s,
    pad: zeroPad ? "valid" : explicit,
    dimRoundingMode: "floor",
  };
  const out = run(kind + "_pool2d", () => {
    let xn = temp(tf.transpose(x._read(), [0, 2, 3, 1])) as tf.Tensor4D;
    if (zeroPad) xn = temp(tf.pad(xn, explicit)) as tf.Tensor4D;
    const y = kind === "max"
      ? temp(tf.maxPool(xn, k, s, attrs.pad as Explicit, "floor"))
      : temp(tf.avgPool(xn, k, s, attrs.pad as Explicit, "floor"));
    return wrap(tf.transpose(y, [0, 3, 1, 2]), x.dtype, x.device);
  });
  if (needsGrad(x)) {
    const name = kind === "max" ? "MaxPool2DWithIndicesBackward0" : "AvgPool2DBackward0";
    record(name, [x], out, (gs, saved) => {
      const [xs, os] = saved;
      return [run(name, () => {
        let xn = temp(tf.transpose(xs._read(), [0, 2, 3, 1]));
        if (zeroPad) xn = temp(tf.pad(xn, explicit));
        const dy = temp(tf.transpose(gs[0]!._read(), [0, 2, 3, 1]));
        let dx: tf.Tensor;
        if (kind === "max") {
          const yn = temp(tf.transpose(os._read(), [0, 2, 3, 1]));
          dx = temp(tf.engine().runKernel("MaxPoolGrad", { dy, input: xn, output: yn }, attrs) as tf.Tensor);
        } else {
          dx = temp(tf.engine().runKernel("AvgPoolGrad", { dy, input: xn }, attrs) as tf.Tensor);
        }
        if (zeroPad) dx = temp(tf.slice(dx, [0, p[0], p[1], 0], [n, h, w, c]));
        return wrap(tf.transpose(dx, [0, 3, 1, 2]), xs.dtype, xs.device);
      })];
    }, kind === "max" ? [x, out] : [x]);
  }
  return out;
}

/** `F.adaptive_avg_pool2d(input, output_size)`. */
export function adaptive_avg_pool2d(input: Tensor, output_size: number | (number | null)[]): Tensor {
  const r = input._shape.length;
  if (r !== 3 && r !== 4) {
    throw new RuntimeError(
      `adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ${shapeStr(input._shape)}`,
    );
  }
  const h = input._shape[r - 2];
  const w = input._shape[r - 1];
  const os = typeof output_size === "number" ? [output_size, output_size] : output_size;
  const oh = os[0] ?? h;
  const ow = os[1] ?? w;
  if (oh === 1 && ow === 1) return input.mean([-1, -2], true); // PyTorch's own fast path
  if (h % oh === 0 && w % ow === 0) {
    const k: Pair = [h / oh, w / ow];
    return avg_pool2d(input, k, k);
  }
  // uneven bins: start = floor(i·H/oh), end = ceil((i+1)·H/oh)
  const rows: Tensor[] = [];
  for (let i = 0; i < oh; i++) {
    const hs = Math.floor(i * h / oh);
    const he = Math.ceil((i + 1) * h / oh);
    const cols: Tensor[] = [];
    for (let j = 0; j < ow; j++) {
      const ws = Math.floor(j * w / ow);
      const we = Math.ceil((j + 1) * w / ow);
      cols.push(input.narrow(r - 2, hs, he - hs).narrow(r - 1, ws, we - ws).mean([-1, -2]));
    }
    rows.push(stack_(cols, -1));
  }
  return stack_(rows, -2);
}

let stack_: (ts: Tensor[], dim: number) => Tensor = () => {
  throw new Error("stack not wired");
};
/** Wires torch.stack in (avoids an import cycle). */
export function _setStack(f: (ts: Tensor[], dim: number) => Tensor): void {
  stack_ = f;
}

// ---- activations -------------------------------------------------------------------------------

/** `F.relu(input, inplace=false)`. */
export function relu(input: Tensor, inplace: boolean | Kw = false): Tensor {
  const ip = typeof inplace === "object" ? Boolean(inplace.inplace) : inplace;
  return ip ? input.relu_() : input.relu();
}

/** `F.leaky_relu(input, negative_slope=0.01)`. */
export function leaky_relu(input: Tensor, negative_slope: number | Kw = 0.01): Tensor {
  const slope = typeof negative_slope === "object"
    ? Number(negative_slope.negative_slope ?? 0.01)
    : negative_slope;
  const out = run("leaky_relu", () => wrap(tf.leakyRelu(input._read(), slope), input.dtype, input.device));
  if (needsGrad(input)) {
    record("LeakyReluBackward0", [input], out, (gs, s) => {
      const pos = s[0].gt(0).float();
      return [gs[0]!.mul(pos.add(pos.neg().add(1).mul(slope)))];
    }, [input]);
  }
  return out;
}

/** `F.gelu(input, approximate='none')`. */
export function gelu(input: Tensor, approximate: string | Kw = "none"): Tensor {
  const approx = typeof approximate === "object" ? String(approximate.approximate ?? "none") : approximate;
  if (approx !== "none" && approx !== "tanh") {
    throw new RuntimeError(`approximate argument must be either none or tanh.`);
  }
  const out = run("gelu", () => {
    const x = input._read();
    if (approx === "none") {
      const cdf = temp(tf.mul(temp(tf.add(temp(tf.erf(temp(tf.mul(x, Math.SQRT1_2)))), 1)), 0.5));
      return wrap(tf.mul(x, cdf), input.dtype, input.device);
    }
    const inner = temp(
      tf.mul(temp(tf.add(x, temp(tf.mul(temp(tf.pow(x, 3)), 0.044715)))), Math.sqrt(2 / Math.PI)),
    );
    return wrap(
      tf.mul(temp(tf.mul(x, 0.5)), temp(tf.add(temp(tf.tanh(inner)), 1))),
      input.dtype,
      input.device,
    );
  });
  if (needsGrad(input)) {
    record("GeluBackward0", [input], out, (gs, s) => {
      const x = s[0];
      if (approx === "none") {
        const cdf = x.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
        const pdf = x.square().mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI));
        return [gs[0]!.mul(cdf.add(x.mul(pdf)))];
      }
      const k = Math.sqrt(2 / Math.PI);
      const inner = x.add(x.pow(3).mul(0.044715)).mul(k);
      const t = inner.tanh();
      const dinner = x.square().mul(3 * 0.044715).add(1).mul(k);
      const d = t.add(1).mul(0.5).add(x.mul(0.5).mul(t.square().neg().add(1)).mul(dinner));
      return [gs[0]!.mul(d)];
    }, [input]);
  }
  return out;
}

/** `F.sigmoid`. */
export function sigmoid(input: Tensor): Tensor {
  return input.sigmoid();
}

/** `F.tanh`. */
export function tanh(input: Tensor): Tensor {
  return input.tanh();
}

function softmaxDim(input: Tensor, dim: unknown, name: string): number {
  if (dim === undefined || dim === null) {
    // PyTorch's legacy implicit choice (with a warning)
    const r = input._shape.length;
    console.warn(
      `UserWarning: Implicit dimension choice for ${name} has been deprecated. Change the call to include dim=X as an argument.`,
    );
    return r === 0 || r === 1 || r === 3 ? 0 : 1;
  }
  return input._dim(dim as number);
}

/** Runs a last-axis engine kernel along `dim` by moving that dim last. */
function alongDim(x: tf.Tensor, dim: number, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  const r = x.rank;
  if (r === 0) return f(temp(tf.reshape(x, [1])));
  if (dim === r - 1) return f(x);
  const perm = [...Array(r).keys()];
  perm[dim] = r - 1;
  perm[r - 1] = dim;
  return tf.transpose(temp(f(temp(tf.transpose(x, perm)))), perm);
}

/** `F.softmax(input, dim)`. */
export function softmax(input: Tensor, dim?: number | Kw): Tensor {
  const d = softmaxDim(input, typeof dim === "object" ? dim.dim : dim, "softmax");
  const out = run("softmax", () => {
    const v = alongDim(input._read(), d, (t) => tf.softmax(t));
    return wrap(tf.reshape(v, input._shape), float32, input.device);
  });
  if (needsGrad(input)) {
    record("SoftmaxBackward0", [input], out, (gs, s) => {
      const y = s[0];
      const g = gs[0]!;
      return [y.mul(g.sub(g.mul(y).sum(d, true)))];
    }, [out]);
  }
  return out;
}

/** `F.log_softmax(input, dim)`. */
export function log_softmax(input: Tensor, dim?: number | Kw): Tensor {
  const d = softmaxDim(input, typeof dim === "object" ? dim.dim : dim, "log_softmax");
  const out = run("log_softmax", () => {
    const v = alongDim(input._read(), d, (t) => tf.logSoftmax(t));
    return wrap(tf.reshape(v, input._shape), float32, input.device);
  });
  if (needsGrad(input)) {
    record("LogSoftmaxBackward0", [input], out, (gs, s) => {
      const g = gs[0]!;
      return [g.sub(s[0].exp().mul(g.sum(d, true)))];
    }, [out]);
  }
  return out;
}

// ---- dropout -------------------------------------------------------------------------------------

/** `F.dropout(input, p=0.5, training=true)`: a seeded mask (reproducible; not PyTorch's MKL stream). */
export function dropout(input: Tensor, p: number | Kw = 0.5, training = true): Tensor {
  let prob = p as number;
  let train = training;
  if (typeof p === "object") {
    prob = Number(p.p ?? 0.5);
    train = p.training === undefined ? true : Boolean(p.training);
  }
  if (prob < 0 || prob > 1) {
    throw new ValueError(`dropout probability has to be between 0 and 1, but got ${prob}`);
  }
  if (!train || prob === 0) return input;
  const keep = 1 - prob;
  const maskValues = default_generator.bernoulli(input.numel(), keep);
  const out = run("dropout", () => {
    const mask = temp(tf.tensor(maskValues, input._shape, "float32"));
    const scale = keep === 0 ? 0 : 1 / keep;
    return wrap(tf.mul(input._read(), temp(tf.mul(mask, scale))), input.dtype, input.device);
  });
  if (needsGrad(input)) {
    const shape = input._shape.slice();
    record("NativeDropoutBackward0", [input], out, (gs) => {
      const m = run(
        "dropout_backward",
        () =>
          wrap(
            tf.mul(temp(tf.tensor(maskValues, shape, "float32")), keep === 0 ? 0 : 1 / keep),
            float32,
            input.device,
          ),
      );
      return [gs[0]!.mul(m)];
    });
  }
  return out;
}

// ---- batch norm ------------------------------------------------------------------------------

/**
 * `F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum=0.1, eps=1e-5)`.
 * In training the batch statistics normalise (biased variance) and the
 * running ones are updated in place (unbiased variance), as PyTorch does.
 */
export function batch_norm(
  input: Tensor,
  running_mean: Tensor | null,
  running_var: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  training = false,
  momentum: number | null = 0.1,
  eps = 1e-5,
): Tensor {
  const r = input._shape.length;
  if (r < 2) {
    throw new ValueError(`expected 2D or 3D input (got ${r}D input)`);
  }
  const c = input._shape[1];
  const dims = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)];
  const count = input.numel() / c;
  if (training && count <= 1) {
    throw new ValueError(
      `Expected more than 1 value per channel when training, got input size ${Size.from_(input._shape)}`,
    );
  }
  const bshape = input._shape.map((d, i) => (i === 1 ? d : 1));
  const useBatch = training || running_mean === null;
  const stats = run("batch_norm_stats", () => {
    const x = input._read();
    if (useBatch) {
      const m = temp(tf.mean(x, dims, true));
      const v = temp(tf.mean(temp(tf.square(temp(tf.sub(x, m)))), dims, true));
      return [
        wrap(tf.reshape(m, [c]), float32, input.device),
        wrap(tf.reshape(v, [c]), float32, input.device),
      ];
    }
    return [
      wrap(tf.clone(running_mean!._read()), float32, input.device),
      wrap(tf.clone(running_var!._read()), float32, input.device),
    ];
  });
  const [mean, varr] = stats;
  if (training && running_mean && running_var) {
    const mom = momentum ?? 0.1;
    run("batch_norm_update", () => {
      const unbiased = temp(tf.mul(varr._read(), count / Math.max(count - 1, 1)));
      const rm = temp(tf.add(temp(tf.mul(running_mean._read(), 1 - mom)), temp(tf.mul(mean._read(), mom))));
      const rv = temp(tf.add(temp(tf.mul(running_var._read(), 1 - mom)), temp(tf.mul(unbiased, mom))));
      running_mean._write(rm, false);
      running_var._write(rv, false);
    });
  }
  const out = run("batch_norm", () => {
    const x = input._read();
    const m = temp(tf.reshape(mean._read(), bshape));
    const inv = temp(tf.reshape(temp(tf.rsqrt(temp(tf.add(varr._read(), eps)))), bshape));
    let y = temp(tf.mul(temp(tf.sub(x, m)), inv));
    if (weight) y = temp(tf.mul(y, temp(tf.reshape(weight._read(), bshape))));
    if (bias) y = temp(tf.add(y, temp(tf.reshape(bias._read(), bshape))));
    return wrap(tf.clone(y), float32, input.device);
  });
  if (needsGrad(input, weight, bias)) {
    record("NativeBatchNormBackward0", [input, weight, bias], out, (gs, s, n) => {
      const [x, mu, v] = s;
      const w = s[3] ?? null;
      const g = gs[0]!;
      const inv = v.add(eps).rsqrt().reshape(bshape);
      const xhat = x.sub(mu.reshape(bshape)).mul(inv);
      const gw = n[1] ? g.mul(xhat).sum(dims) : null;
      const gb = n[2] ? g.sum(dims) : null;
      let gx: Tensor | null = null;
      if (n[0]) {
        const scale = w ? inv.mul(w.reshape(bshape)) : inv;
        if (useBatch) {
          const sumG = g.sum(dims, true);
          const sumGX = g.mul(xhat).sum(dims, true);
          gx = g.sub(sumG.div(count)).sub(xhat.mul(sumGX.div(count))).mul(scale);
        } else gx = g.mul(scale);
      }
      return [gx, gw, gb];
    }, weight ? [input, mean, varr, weight] : [input, mean, varr]);
  }
  return out;
}

// ---- embedding -------------------------------------------------------------------------------

/** `F.embedding(input, weight, padding_idx=None)`: rows of `weight` at int64 indices. */
export function embedding(input: Tensor, weight: Tensor, padding_idx: number | null = null): Tensor {
  if (input.dtype.is_floating_point) {
    throw new RuntimeError(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${
        legacy(input)
      } instead (while checking arguments for embedding)`,
    );
  }
  const n = weight._shape[0];
  const idx = input._host();
  for (let i = 0; i < idx.length; i++) {
    if (idx[i] < 0 || idx[i] >= n) throw new IndexError_("index out of range in self");
  }
  const shape = [...input._shape, weight._shape[1]];
  const out = run("embedding", () => {
    const rows = temp(tf.gather(weight._read(), temp(tf.reshape(input._read(), [input.numel()]))));
    return wrap(tf.reshape(rows, shape), weight.dtype, weight.device);
  });
  if (needsGrad(weight)) {
    const positions = Int32Array.from(idx);
    const wshape = weight._shape.slice();
    const pad = padding_idx === null ? null : padding_idx < 0 ? padding_idx + n : padding_idx;
    record("EmbeddingBackward0", [weight], out, (gs) => [
      run("embedding_backward", () => {
        const g = temp(tf.reshape(gs[0]!._read(), [positions.length, wshape[1]]));
        const keep = pad === null ? g : temp(tf.mul(
          g,
          temp(tf.tensor2d(
            Array.from(positions, (p) => (p === pad ? 0 : 1)),
            [positions.length, 1],
          )),
        ));
        const ix = temp(tf.tensor2d(positions, [positions.length, 1], "int32"));
        return wrap(tf.scatterND(ix, keep, wshape), float32, weight.device);
      }),
    ]);
  }
  return out;
}

import { IndexError as IndexError_ } from "../errors.ts";
