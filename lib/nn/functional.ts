/**
 * `torch.nn.functional` (layers part): linear, conv2d, pooling, activations,
 * softmax family, dropout, batch norm, embedding. Each op runs its engine
 * kernels and records one node with PyTorch's name (`AddmmBackward0`,
 * `ConvolutionBackward0`, `MaxPool2DWithIndicesBackward0` …).
 * Convolutions and pools take PyTorch's NCHW layout; the engine's kernels
 * run in NHWC, so the data is transposed around them.
 * @module
 */
import { onGpu, tf } from "../engine/backend.ts";
import { RuntimeError, TorchTypeError, ValueError } from "../errors.ts";
import { float32, int64 } from "../tensor/dtype.ts";
import { deviceOf, isKw, type Kw, run, scalarTypeName, splitKw, wrap } from "../tensor/dispatch.ts";
import { derived, derivedOnReuse, temp } from "../tensor/storage.ts";
import { matmul2d, matOperand } from "../tensor/matmul.ts";
import {
  heapLinear,
  heapLinearGradInput,
  heapLinearGradWeight,
  heapTranspose,
  jsKernels,
  pool,
  poolGrad,
  type PoolTaps,
  stridedRead,
} from "../engine/kernels.ts";
import { Tensor } from "../tensor/tensor.ts";
import { needsGrad, record } from "../autograd/node.ts";
import { gradMode } from "../autograd/grad_mode.ts";
import { applyInPlace } from "../autograd/inplace.ts";
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

export { matOperand };

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
    let [y, ty] = matOperand(b);
    // b = weight.t(): the weight itself, untransposed
    const w = ty ? y : null;
    let kept = false;
    if (ty && b._offset === 0 && b.numel() === b._storage.numel) {
      // `x @ weight.t()` again with unchanged weights (evaluation): the weight transposed once
      // and kept, so the engine multiplies in one kernel and keeps its packed copy
      const wt = derivedOnReuse(b._storage, "t", () => tf.transpose(y, [1, 0]));
      if (wt) [y, ty, kept] = [wt as tf.Tensor2D, false, true];
    }
    const [m, k] = x.shape;
    const few = w !== null && beta === 1 && alpha === 1 && !tx && m <= FEW_ROWS && bias._shape.length === 1;
    if (few && (!kept || m * k * w.shape[0] <= 65536)) {
      // `x @ weight.t() + bias` for a few rows: one compiled kernel on the wasm heap (the
      // engine's plan is a product between two transposes and a bias add, mostly dispatch);
      // with the weight's packed copy kept, the engine is faster on all but small layers
      const r = heapLinear(x, w, bias._read());
      if (r) return wrap(r, float32, dev);
    }
    if (beta === 1 && alpha === 1 && bias._shape.length <= 1) {
      return wrap(matmul2d(x, tx, y, ty, bias._read(), kept), float32, dev);
    }
    const p = temp(tf.mul(temp(matmul2d(x, tx, y, ty, undefined, kept)), alpha));
    return wrap(tf.add(p, temp(tf.mul(bias._read(), beta))), float32, dev);
  });
  if (needsGrad(bias, a, b)) {
    record("AddmmBackward0", [bias, a, b], out, (gs, s, n) => {
      const g = gs[0]!;
      const onEngine = beta === 1 && alpha === 1 ? addmmGrads(g, s[0], s[1], n) : null;
      if (onEngine) return onEngine;
      return [
        n[0] ? (beta === 1 ? g : g.mul(beta)) : null,
        n[1] ? scaled(g.mm(s[1].t()), alpha) : null,
        // `b` is usually `weight.t()`: its gradient is then computed in the weight's own
        // layout, `(gᵀ·a)ᵀ`, so the weight's `.grad` needs no transposed copy
        n[2] ? scaled(transposedView(s[1]) ? g.t().mm(s[0]).t() : s[0].t().mm(g), alpha) : null,
      ];
    }, [a, b]);
  }
  return out;
}

/**
 * AddmmBackward0's gradients (beta = alpha = 1) in a plain backward as engine products: the
 * facade's `g.mm(b.t())` and `g.t().mm(a).t()` cost as much again in dispatch and views as
 * the products of an `nn.Linear` at small batch sizes. Null in a differentiable backward
 * (create_graph: the facade ops record their graph) and for other dtypes.
 */
function addmmGrads(g: Tensor, a: Tensor, b: Tensor, n: boolean[]): (Tensor | null)[] | null {
  if (gradMode.enabled || g.dtype !== float32 || a.dtype !== float32 || b.dtype !== float32) return null;
  const dev = g.device;
  const product = (name: string, make: (gv: tf.Tensor2D) => tf.Tensor) =>
    run(name, () => wrap(make(g._read() as tf.Tensor2D), float32, dev));
  return [
    n[0] ? g : null,
    // g · bᵀ, with b = op(y)
    n[1]
      ? product("addmm_backward_mat1", (gv) => {
        const [y, ty] = matOperand(b);
        return (ty && gv.shape[0] <= FEW_ROWS ? heapLinearGradInput(gv, y) : null) ??
          matmul2d(gv, false, y, !ty);
      })
      : null,
    // b = weight.t(): (gᵀ · a)ᵀ, in the weight's own layout (its `.grad` needs no transposed
    // copy); otherwise aᵀ · g
    n[2]
      ? (transposedView(b)
        ? product("addmm_backward_mat2", (gv) => {
          const [x, tx] = matOperand(a);
          return (!tx && gv.shape[0] <= FEW_ROWS ? heapLinearGradWeight(gv, x) : null) ??
            matmul2d(gv, true, x, tx);
        }).t()
        : product("addmm_backward_mat2", (gv) => {
          const [x, tx] = matOperand(a);
          return matmul2d(x, !tx, gv, false);
        }))
      : null,
  ];
}

/**
 * Batches of up to this many rows multiply by the compiled kernels on the wasm heap
 * (`heapLinear`); larger ones through the engine, whose blocked kernels then win.
 */
const FEW_ROWS = 8;

/** A 2-D view that is the transpose of a contiguous matrix (like `weight.t()`). */
function transposedView(t: Tensor): boolean {
  const s = t._shape;
  return s.length === 2 && s[0] > 1 && s[1] > 1 && t._strides[0] === 1 && t._strides[1] === s[0];
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
  if (bias && rank > 0 && input.is_contiguous() && bias._shape.length === 1) {
    // PyTorch's _flatten_nd_linear: rows through addmm, then a view back
    const lead = input._shape.slice(0, -1);
    const rows = lead.reduce((x, y) => x * y, 1);
    return addmm(bias, input.reshape(rows, inF), wt).view([...lead, weight._shape[0]]);
  }
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
  if (bias && (bias._shape.length !== 1 || bias._shape[0] !== cout)) {
    throw new RuntimeError(
      `Given weight of size ${
        shapeStr(weight._shape)
      }, expected bias to be 1-dimensional with ${cout} elements, but got bias of size ${
        shapeStr(bias._shape)
      } instead`,
    );
  }
  const explicit: Explicit = [[0, 0], [pad[0], pad[1]], [pad[2], pad[3]], [0, 0]];
  const coutG = cout / groups;
  const out = run("conv2d", () => {
    const dev = deviceOf(input, weight, bias);
    const x = permute(input._read(), [0, 2, 3, 1]) as tf.Tensor4D;
    // the filter in the engine's layout, kept with the weight while it is unchanged
    const ws = weight._storage;
    const f = derived(
      ws,
      `hwio ${weight._offset} ${weight._shape} ${weight._strides}`,
      () => transpose(weight._read(), [2, 3, 1, 0]),
    ) as tf.Tensor4D;
    const b = bias ? bias._read() : undefined;
    const ys: tf.Tensor4D[] = [];
    // grouped convolutions run one engine convolution per group
    for (let g = 0; g < groups; g++) {
      const xg = groups > 1 ? temp(tf.slice(x, [0, 0, 0, g * cpg], [-1, -1, -1, cpg])) : x;
      const fg = groups > 1 ? temp(tf.slice(f, [0, 0, 0, g * coutG], [-1, -1, -1, coutG])) : f;
      const bg = b && groups > 1 ? temp(tf.slice(b, [g * coutG], [coutG])) : b;
      ys.push(convOnce(xg, fg, bg, stride, explicit, dil));
    }
    const y = groups > 1 ? temp(tf.concat(ys, 3)) : ys[0];
    return wrap(permute(y, [0, 3, 1, 2]), float32, dev);
  });
  if (needsGrad(input, weight, bias)) {
    const inShape = input._shape.slice() as [number, number, number, number];
    record("ConvolutionBackward0", [input, weight, bias], out, (gs, s, n) => {
      const [xs, ws] = s;
      const g = gs[0]!;
      if (groups === 1) return convBackward(g, xs, ws, inShape, stride, explicit, dil, n);
      const gxs: Tensor[] = [];
      const gws: Tensor[] = [];
      const shapeG: [number, number, number, number] = [inShape[0], cpg, inShape[2], inShape[3]];
      for (let k = 0; k < groups; k++) {
        const [gx, gw] = convBackward(
          g.narrow(1, k * coutG, coutG),
          xs.narrow(1, k * cpg, cpg),
          ws.narrow(0, k * coutG, coutG),
          shapeG,
          stride,
          explicit,
          dil,
          [n[0], n[1], false],
        );
        if (gx) gxs.push(gx);
        if (gw) gws.push(gw);
      }
      return [
        n[0] ? Tensor_cat(gxs, 1) : null,
        n[1] ? Tensor_cat(gws, 0) : null,
        n[2] ? g.sum([0, 2, 3]) : null,
      ];
    }, [input, weight]);
  }
  return out;
}

/**
 * One engine convolution (NHWC). TensorFlow.js takes a stride or a dilation, not both: with
 * both, the dilated convolution runs at stride 1 and every stride-th output is kept.
 */
function convOnce(
  x: tf.Tensor4D,
  f: tf.Tensor4D,
  b: tf.Tensor | undefined,
  stride: Pair,
  pad: Explicit,
  dil: Pair,
): tf.Tensor4D {
  const both = (stride[0] > 1 || stride[1] > 1) && (dil[0] > 1 || dil[1] > 1);
  // the engine's fused kernel directly: `tf.fused.conv2d` wraps it in a custom-gradient scope
  // on every call (the facade does its own gradients)
  const y = temp(
    tf.engine().runKernel(
      "FusedConv2D",
      (b ? { x, filter: f, bias: b } : { x, filter: f }) as unknown as tf.NamedTensorMap,
      {
        strides: both ? [1, 1] : stride,
        pad,
        dataFormat: "NHWC",
        dilations: dil,
        activation: "linear",
      } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor4D,
  );
  if (!both) return y;
  const [n, h1, w1, c] = y.shape;
  return temp(tf.stridedSlice(y, [0, 0, 0, 0], [n, h1, w1, c], [1, stride[0], stride[1], 1])) as tf.Tensor4D;
}

/** A strided output's gradient spread onto the stride-1 grid (zeros between), `[N, C, h1, w1]`. */
function spreadGrad(g: Tensor, stride: Pair, h1: number, w1: number): Tensor {
  return run("conv2d_backward", () => {
    const [n, c, oh, ow] = g._shape;
    // rank 4 (tfjs-webgpu pads rank 6 tensors with zeros only)
    const four = temp(tf.reshape(g._read(), [n * c * oh, 1, ow, 1]));
    const padded = temp(tf.pad(four, [[0, 0], [0, stride[0] - 1], [0, 0], [0, stride[1] - 1]]));
    const grid = temp(tf.reshape(padded, [n, c, oh * stride[0], ow * stride[1]]));
    const hh = Math.min(h1, oh * stride[0]);
    const ww = Math.min(w1, ow * stride[1]);
    const cut = temp(tf.slice(grid, [0, 0, 0, 0], [n, c, hh, ww]));
    return wrap(tf.pad(cut, [[0, 0], [0, 0], [0, h1 - hh], [0, w1 - ww]]), float32, g.device);
  });
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
  if ((stride[0] > 1 || stride[1] > 1) && (dil[0] > 1 || dil[1] > 1)) {
    // run at stride 1 (see convOnce): the gradient is zero at the outputs that were dropped
    const h1 = inShape[2] + pad[1][0] + pad[1][1] - dil[0] * (kh - 1);
    const w1 = inShape[3] + pad[2][0] + pad[2][1] - dil[1] * (kw - 1);
    const spread = spreadGrad(g, stride, h1, w1);
    const r = convBackward(spread, xs, ws, inShape, [1, 1], pad, dil, [needs[0], needs[1], false]);
    return [r[0], r[1], needs[2] ? biasGrad(g) : null];
  }
  const gx = needs[0]
    ? run("conv2d_backward_input", () => {
      const gy = permute(g._read(), [0, 2, 3, 1]) as tf.Tensor4D;
      // webgpu has a real Conv2DBackpropInput kernel (wasm's is a scalar loop)
      const viaConv = onGpu(gy) ? null : inputGradByConv(gy, ws, inShape, kh, kw, stride, pad, dil);
      const r = viaConv ?? (() => {
        let f = temp(tf.transpose(ws._read(), [2, 3, 1, 0])) as tf.Tensor4D;
        if (dil[0] > 1 || dil[1] > 1) f = dilateFilter(f, dil);
        const shape: [number, number, number, number] = [inShape[0], inShape[2], inShape[3], inShape[1]];
        return temp(tf.conv2dTranspose(gy, f, shape, stride, pad));
      })();
      return wrap(permute(r, [0, 3, 1, 2]), float32, g.device);
    })
    : null;
  const gw = needs[1]
    ? run("conv2d_backward_weight", () => {
      // dW[o, i, a, b] = Σ x[n, i, y·s + a·d, x·s + b·d] · g[n, o, y, x]: a convolution of the
      // input (channels as batch) with the output gradient (batch as channels), stride and
      // dilation swapped
      if (dil[0] === 1 && dil[1] === 1 && g._storage.slot.gpu) {
        // webgpu has the Conv2DBackpropFilter kernel that wasm lacks
        const x4 = permute(xs._read(), [0, 2, 3, 1]);
        const dy = permute(g._read(), [0, 2, 3, 1]);
        const [co, ci] = ws._shape;
        const r = temp(
          tf.engine().runKernel("Conv2DBackpropFilter", { x: x4, dy }, {
            strides: stride,
            pad,
            dataFormat: "NHWC",
            filterShape: [kh, kw, ci, co],
          }) as tf.Tensor,
        );
        return wrap(tf.transpose(r, [3, 2, 0, 1]), float32, g.device);
      }
      const xin = permute(xs._read(), [1, 2, 3, 0]) as tf.Tensor4D; // [Cin, H, W, N]
      const gf = permute(g._read(), [2, 3, 0, 1]) as tf.Tensor4D; // [OH, OW, N, Cout]
      const r = temp(tf.conv2d(xin, gf, dil, pad, "NHWC", stride)); // [Cin, kh', kw', Cout]
      const cut = r.shape[1] === kh && r.shape[2] === kw
        ? r
        : temp(tf.slice(r, [0, 0, 0, 0], [r.shape[0], kh, kw, r.shape[3]]));
      return wrap(transpose(cut, [3, 0, 1, 2]), float32, g.device);
    })
    : null;
  return [gx, gw, needs[2] ? biasGrad(g) : null];
}

/**
 * A convolution's bias gradient `g.sum([0, 2, 3])`; in a plain backward as two engine sums,
 * the contiguous spatial dims first (the engine moves reduced dims last with a transpose:
 * this way only the small [N, C] is moved).
 */
function biasGrad(g: Tensor): Tensor {
  if (gradMode.enabled || g.dtype !== float32) return g.sum([0, 2, 3]);
  return run(
    "conv2d_backward_bias",
    () => wrap(tf.sum(temp(tf.sum(g._read(), [2, 3])), 0), float32, g.device),
  );
}

/** `tf.transpose`, or a reshape (no copy) when the permutation only moves size-1 dims. */
function permute(x: tf.Tensor, perm: number[]): tf.Tensor {
  const kept = perm.filter((d) => x.shape[d] !== 1);
  const moves = kept.some((d, i) => i > 0 && d < kept[i - 1]);
  const shape = perm.map((d) => x.shape[d]);
  return temp(moves ? transpose(x, perm) : tf.reshape(x, shape));
}

/** `tf.transpose`; on the wasm backend one compiled copy on its memory (about twice as fast). */
function transpose(x: tf.Tensor, perm: number[]): tf.Tensor {
  return heapTranspose(x, perm) ?? tf.transpose(x, perm);
}

/**
 * The input gradient of a convolution as a forward convolution (XNNPACK; the engine's
 * `Conv2DBackpropInput` is a scalar loop): the output gradient (NHWC), spread onto the
 * stride-1 grid when strided, padded by `d·(k−1) − p`, convolved with the filter flipped
 * in space and with its channel dims swapped. Null when a padding exceeds the dilated
 * kernel (that rare case keeps the engine's kernel).
 */
function inputGradByConv(
  gy: tf.Tensor4D,
  ws: Tensor,
  inShape: [number, number, number, number],
  kh: number,
  kw: number,
  stride: Pair,
  pad: Explicit,
  dil: Pair,
): tf.Tensor4D | null {
  const [n, oh, ow, co] = gy.shape;
  const [, , h, w] = inShape;
  let x = gy;
  let lh = oh;
  let lw = ow;
  if (stride[0] > 1 || stride[1] > 1) {
    const six = temp(tf.reshape(gy, [n, oh, 1, ow, 1, co]));
    const padded = temp(
      tf.pad(six, [[0, 0], [0, 0], [0, stride[0] - 1], [0, 0], [0, stride[1] - 1], [0, 0]]),
    );
    lh = (oh - 1) * stride[0] + 1;
    lw = (ow - 1) * stride[1] + 1;
    const grid = temp(tf.reshape(padded, [n, oh * stride[0], ow * stride[1], co]));
    x = temp(tf.slice(grid, [0, 0, 0, 0], [n, lh, lw, co])) as tf.Tensor4D;
  }
  const top = dil[0] * (kh - 1) - pad[1][0];
  const left = dil[1] * (kw - 1) - pad[2][0];
  const bottom = h - lh + pad[1][0];
  const right = w - lw + pad[2][0];
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  // f[a, b, o, i] = W[o, i, kh-1-a, kw-1-b]: one strided read (negative strides flip)
  const [s0, s1, s2, s3] = ws._strides;
  const f = (jsKernels(ws._storage.engine())
    ? temp(
      stridedRead(
        ws._storage.engine(),
        [kh, kw, ws._shape[0], ws._shape[1]],
        [-s2, -s3, s0, s1],
        ws._offset + (kh - 1) * s2 + (kw - 1) * s3,
      ),
    )
    : temp(tf.transpose(temp(tf.reverse(ws._read(), [2, 3])), [2, 3, 0, 1]))) as tf.Tensor4D;
  return temp(tf.conv2d(x, f, 1, [[0, 0], [top, bottom], [left, right], [0, 0]], "NHWC", dil));
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

let Tensor_cat: (ts: Tensor[], dim: number) => Tensor = () => {
  throw new Error("cat not wired");
};
/** Wires torch.cat in (avoids an import cycle with the op modules). */
export function _setCat(f: (ts: Tensor[], dim: number) => Tensor): void {
  Tensor_cat = f;
}

// ---- pooling ---------------------------------------------------------------------------------
//
// Pools run as gathers over the input planes laid out as rows ([batch·C, H·W + 1], the last
// column a sentinel for taps in the padding): each output's k window taps are gathered side
// by side, then the max (the first one on ties: PyTorch's scan order) or the sum is taken
// over them. Backward gathers too: each input position collects the gradient of the (few)
// taps that read it. This gives PyTorch's semantics exactly (ceil_mode, padding,
// count_include_pad, divisor_override, dilation, adaptive bins, tie-breaking,
// return_indices) with kernels every engine backend has, all along the last axis.

/** Which input position each window tap reads: `idx[o·k + t]`, `H·W` for padding. */
interface Taps {
  k: number;
  oh: number;
  ow: number;
  idx: Int32Array;
  /** For backward: `back[j][p]` is the j-th tap (`o·k + t`) reading input position p, else `OH·OW·k`. */
  back: Int32Array[];
  /** Average pools: what each window's sum is divided by. */
  divisor: Float32Array | null;
}

const tapCache = new Map<string, Taps>();

function cached(key: string, make: () => Omit<Taps, "back">, hw: number): Taps {
  let t = tapCache.get(key);
  if (!t) {
    if (tapCache.size > 256) tapCache.clear();
    const base = make();
    t = { ...base, back: inverseTaps(base.idx, hw) };
    tapCache.set(key, t);
  }
  return t;
}

/** For each input position, the taps that read it (as several gather maps). */
function inverseTaps(idx: Int32Array, hw: number): Int32Array[] {
  const count = new Int32Array(hw);
  for (const p of idx) if (p < hw) count[p]++;
  let m = 0;
  for (const c of count) m = Math.max(m, c);
  const none = idx.length;
  const back = Array.from({ length: m }, () => new Int32Array(hw).fill(none));
  count.fill(0);
  idx.forEach((p, j) => {
    if (p < hw) back[count[p]++][p] = j;
  });
  return back;
}

/** Taps of a strided, padded, dilated window (max and average pools). */
function windowTaps(
  h: number,
  w: number,
  k: Pair,
  s: Pair,
  p: Pair,
  d: Pair,
  oh: number,
  ow: number,
  avg: "include" | "exclude" | number | null,
): Taps {
  return cached([h, w, k, s, p, d, oh, ow, avg].join("|"), () => {
    const n = k[0] * k[1];
    const idx = new Int32Array(n * oh * ow);
    const sentinel = h * w;
    const divisor = avg === null ? null : new Float32Array(oh * ow);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const o = y * ow + x;
        for (let a = 0; a < k[0]; a++) {
          const iy = y * s[0] - p[0] + a * d[0];
          for (let b = 0; b < k[1]; b++) {
            const ix = x * s[1] - p[1] + b * d[1];
            idx[o * n + a * k[1] + b] = iy >= 0 && iy < h && ix >= 0 && ix < w ? iy * w + ix : sentinel;
          }
        }
        if (divisor) {
          // PyTorch's avg_pool2d: the window clipped to the padded input, then to the input
          let hs = y * s[0] - p[0];
          let ws = x * s[1] - p[1];
          let he = Math.min(hs + k[0], h + p[0]);
          let we = Math.min(ws + k[1], w + p[1]);
          const poolSize = (he - hs) * (we - ws);
          hs = Math.max(hs, 0);
          ws = Math.max(ws, 0);
          he = Math.min(he, h);
          we = Math.min(we, w);
          divisor[o] = typeof avg === "number" ? avg : avg === "include" ? poolSize : (he - hs) * (we - ws);
        }
      }
    }
    return { k: n, oh, ow, idx, divisor };
  }, h * w);
}

/** Taps of adaptive average pooling: bin i spans [floor(i·H/OH), ceil((i+1)·H/OH)). */
function adaptiveTaps(h: number, w: number, oh: number, ow: number): Taps {
  return cached(["adaptive", h, w, oh, ow].join("|"), () => {
    const start = (i: number, o: number, n: number) => Math.floor((i * n) / o);
    const end = (i: number, o: number, n: number) => Math.ceil(((i + 1) * n) / o);
    let kh = 0;
    let kw = 0;
    for (let i = 0; i < oh; i++) kh = Math.max(kh, end(i, oh, h) - start(i, oh, h));
    for (let j = 0; j < ow; j++) kw = Math.max(kw, end(j, ow, w) - start(j, ow, w));
    const n = kh * kw;
    const idx = new Int32Array(n * oh * ow);
    const divisor = new Float32Array(oh * ow);
    const sentinel = h * w;
    for (let y = 0; y < oh; y++) {
      const hs = start(y, oh, h);
      const he = end(y, oh, h);
      for (let x = 0; x < ow; x++) {
        const ws = start(x, ow, w);
        const we = end(x, ow, w);
        const o = y * ow + x;
        divisor[o] = (he - hs) * (we - ws);
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const iy = hs + a;
            const ix = ws + b;
            idx[o * n + a * kw + b] = iy < he && ix < we ? iy * w + ix : sentinel;
          }
        }
      }
    }
    return { k: n, oh, ow, idx, divisor };
  }, h * w);
}

/** Where pools run: on the host for `cpu` tensors (the engine's gathers are slow there), else the engine. */
export const _poolPath: { host: boolean } = { host: true };

/**
 * Runs a pool over the last two dims of `x` (any leading dims): "max" (with the argmax
 * kept for backward and `return_indices`) or "avg" (sum over the taps / divisor).
 */
function tapPool(
  kind: "max" | "avg",
  x: Tensor,
  taps: Taps,
  name: string,
  withIndices = false,
): Tensor | [Tensor, Tensor] {
  return _poolPath.host && x.device.type === "cpu" && jsKernels()
    ? hostPool(kind, x, taps, name, withIndices)
    : enginePool(kind, x, taps, name, withIndices);
}

/**
 * The pool as PyTorch's CPU kernel loops it: per plane and output, the taps in window
 * order; max keeps the first largest value (a NaN wins), its position is the argmax.
 */
function hostPool(
  kind: "max" | "avg",
  x: Tensor,
  taps: Taps,
  name: string,
  withIndices: boolean,
): Tensor | [Tensor, Tensor] {
  const shape = x._shape.slice();
  const r = shape.length;
  const hw = shape[r - 2] * shape[r - 1];
  const lead = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const { k, oh, ow, idx } = taps;
  const ohw = oh * ow;
  const outShape = [...shape.slice(0, -2), oh, ow];
  const arg = kind === "max" ? new Int32Array(lead * ohw) : null;
  const geo: PoolTaps = { idx, k, lead, hw, ohw, divisor: taps.divisor };
  const dev = x.device;
  // on the backend's memory directly (x's values are never copied out)
  const out = run(name, () => {
    const xv = x._read();
    return wrap(
      pool(xv.dtype === "float32" ? xv : temp(tf.cast(xv, "float32")), geo, outShape, arg),
      x.dtype,
      dev,
    );
  });
  if (needsGrad(x)) {
    record(name, [x], out, (gs) => [
      run(name, () => wrap(poolGrad(gs[0]!._read(), geo, shape, arg), x.dtype, dev)),
    ]);
  }
  if (!withIndices) return out;
  return [out, run(name, () => wrap(tf.tensor(arg!, outShape, "int32"), int64, dev))];
}

/** The same pool with engine kernels (gathers), for devices whose data the host cannot read. */
function enginePool(
  kind: "max" | "avg",
  x: Tensor,
  taps: Taps,
  name: string,
  withIndices = false,
): Tensor | [Tensor, Tensor] {
  const shape = x._shape.slice();
  const r = shape.length;
  const h = shape[r - 2];
  const w = shape[r - 1];
  const lead = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const { k, oh, ow } = taps;
  const ohw = oh * ow;
  const outShape = [...shape.slice(0, -2), oh, ow];
  const dev = x.device;
  let argmax: Tensor | null = null;
  let indices: Tensor | null = null;
  const out = run(name, () => {
    const planes = temp(tf.reshape(x._read(), [lead, h * w]));
    const fill = temp(tf.fill([lead, 1], kind === "max" ? -Infinity : 0));
    const rows = temp(tf.concat([planes, fill], 1));
    const idxT = temp(tf.tensor1d(taps.idx, "int32"));
    const g = temp(tf.reshape(temp(tf.gather(rows, idxT, 1)), [lead, ohw, k]));
    let y: tf.Tensor;
    if (kind === "max") {
      y = temp(tf.max(g, 2));
      const am = temp(tf.argMax(g, 2)); // the first of equal values: PyTorch's scan order
      argmax = wrap(tf.clone(am), int64, dev);
      if (withIndices) {
        const offsets = temp(tf.mul(temp(tf.range(0, ohw, 1, "int32")), temp(tf.scalar(k, "int32"))));
        const pos = temp(tf.gather(idxT, temp(tf.add(am, offsets))));
        indices = wrap(tf.reshape(pos, outShape), int64, dev);
      }
    } else {
      y = temp(tf.div(temp(tf.sum(g, 2)), temp(tf.tensor1d(taps.divisor!, "float32"))));
    }
    return wrap(tf.reshape(y, outShape), x.dtype, dev);
  });
  if (needsGrad(x)) {
    const am = argmax as Tensor | null;
    record(name, [x], out, (gs) => [
      run(name, () => {
        const gy = temp(tf.reshape(gs[0]!._read(), [lead, ohw, 1]));
        let per: tf.Tensor; // [lead, OHW, k]: the gradient each tap receives
        if (kind === "max") {
          const hot = temp(tf.cast(temp(tf.oneHot(temp(tf.cast(am!._read(), "int32")), k)), "float32"));
          per = temp(tf.mul(hot, gy));
        } else {
          const div = temp(tf.reshape(temp(tf.tensor1d(taps.divisor!, "float32")), [ohw, 1]));
          per = temp(tf.broadcastTo(temp(tf.div(gy, div)), [lead, ohw, k]));
        }
        const perZ = temp(tf.concat([temp(tf.reshape(per, [lead, ohw * k])), temp(tf.zeros([lead, 1]))], 1));
        let dx: tf.Tensor = temp(tf.zeros([lead, h * w]));
        for (const map of taps.back) {
          dx = temp(tf.add(dx, temp(tf.gather(perZ, temp(tf.tensor1d(map, "int32")), 1))));
        }
        return wrap(tf.reshape(dx, shape), x.dtype, dev);
      }),
    ]);
  }
  return withIndices ? [out, indices as unknown as Tensor] : out;
}

function poolArgs(
  name: string,
  input: Tensor,
  kernel: number | number[],
  strideArg: number | number[] | null | undefined,
  padding: number | number[],
  dilation: number | number[] = 1,
  ceil = false,
): { k: Pair; s: Pair; p: Pair; d: Pair; oh: number; ow: number } {
  const k = pair(kernel, "kernel_size");
  const s = strideArg == null || (Array.isArray(strideArg) && strideArg.length === 0)
    ? k
    : pair(strideArg, "stride");
  const p = pair(padding, "padding");
  const d = pair(dilation, "dilation");
  const r = input._shape.length;
  if ((r !== 3 && r !== 4) || input.numel() === 0) {
    throw new RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input");
  }
  for (let i = 0; i < 2; i++) {
    const eff = Math.floor(((k[i] - 1) * d[i] + 1) / 2);
    if (p[i] > eff) {
      throw new RuntimeError(
        `pad should be at most half of effective kernel size, but got pad=${p[i]}, kernel_size=${
          k[i]
        } and dilation=${d[i]}`,
      );
    }
  }
  const [c, h, w] = input._shape.slice(-3);
  const oh = poolOut(h, k[0], s[0], p[0], d[0], ceil);
  const ow = poolOut(w, k[1], s[1], p[1], d[1], ceil);
  if (oh <= 0 || ow <= 0) {
    throw new RuntimeError(
      `Given input size: (${c}x${h}x${w}). Calculated output size: (${c}x${oh}x${ow}). Output size is too small`,
    );
  }
  void name;
  return { k, s, p, d, oh, ow };
}

/** PyTorch's pooling_output_shape. */
function poolOut(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const v = (n + 2 * p - d * (k - 1) - 1) / s;
  let o = (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
  // the last window must start inside the input or its left padding (PyTorch's rule)
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

/**
 * `F.max_pool2d(input, kernel_size, stride=kernel_size, padding=0, dilation=1, ceil_mode=false,
 * return_indices=false)`: with `return_indices`, `[output, indices]` (flat positions in each plane).
 */
export function max_pool2d(input: Tensor, kernel_size: number | number[] | Kw, ...rest: unknown[]): Tensor {
  const [a, kw] = splitKw(isKw(kernel_size) ? [kernel_size] : rest);
  const dilation = (a[2] ?? kw.dilation ?? 1) as number | number[];
  const ceil = Boolean(a[3] ?? kw.ceil_mode ?? false);
  const withIndices = Boolean(a[4] ?? kw.return_indices ?? false);
  const { k, s, p, d, oh, ow } = poolArgs(
    "max_pool2d",
    input,
    (isKw(kernel_size) ? kw.kernel_size : kernel_size) as number | number[],
    (a[0] ?? kw.stride) as number,
    (a[1] ?? kw.padding ?? 0) as number,
    dilation,
    ceil,
  );
  const [h, w] = input._shape.slice(-2);
  const taps = windowTaps(h, w, k, s, p, d, oh, ow, null);
  return tapPool("max", input, taps, "MaxPool2DWithIndicesBackward0", withIndices) as Tensor;
}

/** `F.avg_pool2d(input, kernel_size, stride=kernel_size, padding=0, ceil_mode=false, count_include_pad=true)`. */
export function avg_pool2d(input: Tensor, kernel_size: number | number[] | Kw, ...rest: unknown[]): Tensor {
  const [a, kw] = splitKw(isKw(kernel_size) ? [kernel_size] : rest);
  const ceil = Boolean(a[2] ?? kw.ceil_mode ?? false);
  const include = Boolean(a[3] ?? kw.count_include_pad ?? true);
  const override = (a[4] ?? kw.divisor_override ?? null) as number | null;
  if (override !== null && override <= 0) throw new RuntimeError("divisor must be not zero");
  const { k, s, p, d, oh, ow } = poolArgs(
    "avg_pool2d",
    input,
    (isKw(kernel_size) ? kw.kernel_size : kernel_size) as number | number[],
    (a[0] ?? kw.stride) as number,
    (a[1] ?? kw.padding ?? 0) as number,
    1,
    ceil,
  );
  const [h, w] = input._shape.slice(-2);
  const taps = windowTaps(h, w, k, s, p, d, oh, ow, override ?? (include ? "include" : "exclude"));
  return tapPool("avg", input, taps, "AvgPool2DBackward0") as Tensor;
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
  return tapPool("avg", input, adaptiveTaps(h, w, oh, ow), "AdaptiveAvgPool2DBackward0") as Tensor;
}

// wired by nn.ts; no op here stacks since the pools gather their windows
// deno-lint-ignore no-unused-vars
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

/** `F.leaky_relu(input, negative_slope=0.01, inplace=false)`. */
export function leaky_relu(input: Tensor, ...rest: unknown[]): Tensor {
  const [a, kw] = splitKw(rest);
  const slope = Number(a[0] ?? kw.negative_slope ?? 0.01);
  if (a[1] ?? kw.inplace ?? false) {
    // in place, PyTorch's node saves the result (LeakyReluBackward1)
    return applyInPlace(input, (old) => leakyRelu(old, slope, true));
  }
  return leakyRelu(input, slope, false);
}

function leakyRelu(input: Tensor, slope: number, inplace: boolean): Tensor {
  const out = run("leaky_relu", () => wrap(tf.leakyRelu(input._read(), slope), input.dtype, input.device));
  if (needsGrad(input)) {
    record(inplace ? "LeakyReluBackward1" : "LeakyReluBackward0", [input], out, (gs, s) => {
      const pos = s[0].gt(0).float();
      return [gs[0]!.mul(pos.add(pos.neg().add(1).mul(slope)))];
    }, [inplace ? out : input]);
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
    const v = temp(alongDim(input._read(), d, (t) => tf.softmax(t)));
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
    const v = temp(alongDim(input._read(), d, (t) => tf.logSoftmax(t)));
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

/** `F.dropout(input, p=0.5, training=true, inplace=false)`: a seeded mask (reproducible; not PyTorch's MKL stream). */
export function dropout(input: Tensor, ...rest: unknown[]): Tensor {
  const [a, kw] = splitKw(rest);
  const prob = Number(a[0] ?? kw.p ?? 0.5);
  const train = Boolean(a[1] ?? kw.training ?? true);
  const inplace = Boolean(a[2] ?? kw.inplace ?? false);
  if (prob < 0 || prob > 1) {
    throw new ValueError(`dropout probability has to be between 0 and 1, but got ${prob}`);
  }
  if (!train || prob === 0) return input;
  const keep = 1 - prob;
  const maskValues = default_generator.bernoulli(input.numel(), keep);
  if (inplace) {
    // `input.mul_(mask / (1 - p))`: autograd sees an in-place multiply, as in PyTorch
    const scaled = run("dropout", () => {
      const mask = temp(tf.tensor(maskValues, input._shape, "float32"));
      return wrap(tf.mul(mask, keep === 0 ? 0 : 1 / keep), float32, input.device);
    });
    return input.mul_(scaled);
  }
  const out = run("dropout", () => {
    const mask = temp(tf.tensor(maskValues, input._shape, "float32"));
    const scale = keep === 0 ? 0 : 1 / keep;
    return wrap(tf.mul(input._read(), temp(tf.mul(mask, scale))), input.dtype, input.device);
  });
  if (needsGrad(input)) {
    const shape = input._shape.slice();
    // PyTorch's CPU dropout is `input * mask / (1 - p)` (native_dropout is for GPUs)
    record("MulBackward0", [input], out, (gs) => {
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
  ...rest: unknown[]
): Tensor {
  const [a, kw] = splitKw(rest);
  const weight = (a[0] !== undefined ? a[0] : kw.weight ?? null) as Tensor | null;
  const bias = (a[1] !== undefined ? a[1] : kw.bias ?? null) as Tensor | null;
  const training = Boolean(a[2] ?? kw.training ?? false);
  // a 0-d tensor momentum (BatchNorm's 1/num_batches_tracked on webgpu) stays on the device
  const momentum = (a[3] !== undefined ? a[3] : kw.momentum !== undefined ? kw.momentum : 0.1) as
    | number
    | Tensor
    | null;
  const eps = Number(a[4] ?? kw.eps ?? 1e-5);
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
  for (
    const [t, what] of [[running_mean, "running_mean"], [running_var, "running_var"], [weight, "weight"], [
      bias,
      "bias",
    ]] as [Tensor | null, string][]
  ) {
    if (t && t.numel() !== c) throw new RuntimeError(`${what} should contain ${c} elements not ${t.numel()}`);
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
    const m0 = momentum ?? 0.1;
    run("batch_norm_update", () => {
      const mom = typeof m0 === "number" ? m0 : m0._read();
      const keep = typeof mom === "number" ? 1 - mom : temp(tf.sub(1, mom));
      const unbiased = temp(tf.mul(varr._read(), count / Math.max(count - 1, 1)));
      const rm = temp(tf.add(temp(tf.mul(running_mean._read(), keep)), temp(tf.mul(mean._read(), mom))));
      const rv = temp(tf.add(temp(tf.mul(running_var._read(), keep)), temp(tf.mul(unbiased, mom))));
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
  if (input._storage.slot.gpu) return embeddingOnDevice(input, weight, padding_idx);
  const idx = input._host("embedding");
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

/**
 * `embedding` with indices on a device that cannot read back synchronously (webgpu): the
 * indices stay there; the gradient sums rows per index with the engine's segment sum. An
 * out-of-range index is not reported there (README, Differences): its row reads as zeros.
 */
function embeddingOnDevice(input: Tensor, weight: Tensor, padding_idx: number | null): Tensor {
  const n = weight._shape[0];
  const m = input.numel();
  const shape = [...input._shape, weight._shape[1]];
  const out = run("embedding", () => {
    const ix = temp(tf.reshape(temp(tf.cast(input._read(), "int32")), [m]));
    const rows = temp(tf.gather(weight._read(), ix));
    return wrap(tf.reshape(rows, shape), weight.dtype, weight.device);
  });
  if (needsGrad(weight)) {
    const wshape = weight._shape.slice();
    const pad = padding_idx === null ? null : padding_idx < 0 ? padding_idx + n : padding_idx;
    record("EmbeddingBackward0", [weight], out, (gs) => [
      run("embedding_backward", () => {
        const ix = temp(tf.reshape(temp(tf.cast(input._read(), "int32")), [m]));
        let g = temp(tf.reshape(gs[0]!._read(), [m, wshape[1]]));
        if (pad !== null) {
          const keep = temp(tf.cast(temp(tf.notEqual(ix, temp(tf.scalar(pad, "int32")))), "float32"));
          g = temp(tf.mul(g, temp(tf.reshape(keep, [m, 1]))));
        }
        return wrap(tf.unsortedSegmentSum(g, ix as tf.Tensor1D, n), float32, weight.device);
      }),
    ]);
  }
  return out;
}

import { IndexError as IndexError_ } from "../errors.ts";
