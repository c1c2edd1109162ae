/**
 * Losses: `F.cross_entropy`, `F.nll_loss`, `F.mse_loss`, `F.l1_loss`,
 * `F.binary_cross_entropy(_with_logits)` and their modules.
 *
 * Each loss ends in the node PyTorch ends in: the kernels PyTorch runs as one
 * op record one node here (`NllLossBackward0`, `MseLossBackward0`,
 * `BinaryCrossEntropyBackward0` …); the ones PyTorch composes from tensor
 * ops (probability targets, label smoothing, `l1_loss`) are composed from
 * the facade's ops the same way, so the graph ends in the same node
 * (`DivBackward1`, `AddBackward0`, `MeanBackward0` …).
 * @module
 */
import { tf } from "../engine/backend.ts";
import { IndexError, RuntimeError, ValueError } from "../errors.ts";
import { float32 } from "../tensor/dtype.ts";
import { deviceOf, type Kw, run, scalarTypeName, splitKw, wrap } from "../tensor/dispatch.ts";
import { temp } from "../tensor/storage.ts";
import { jsKernels, logSoftmaxRows, logSoftmaxRowsGrad, nll, nllGrad } from "../engine/kernels.ts";
import { gradMode } from "../autograd/grad_mode.ts";
import { Tensor } from "../tensor/tensor.ts";
import type { device } from "../tensor/device.ts";
import { Size } from "../tensor/size.ts";
import { broadcastShapes } from "../tensor/geometry.ts";
import { needsGrad, record } from "../autograd/node.ts";
import { sumTo } from "../autograd/util.ts";
import { callable } from "./callable.ts";
import { ModuleClass } from "./module.ts";
import { log_softmax } from "./functional.ts";
import { nllOnDevice } from "./nll_device.ts";

type Reduction = "none" | "mean" | "sum";

/** PyTorch's `_Reduction.get_enum`: the reduction name, checked. */
function reductionOf(r: unknown): Reduction {
  if (r === "none" || r === "mean" || r === "sum") return r;
  if (r === "elementwise_mean") {
    console.warn(
      "UserWarning: reduction='elementwise_mean' is deprecated, please use reduction='mean' instead.",
    );
    return "mean";
  }
  throw new ValueError(`${r} is not a valid value for reduction`);
}

/** PyTorch's `_Reduction.legacy_get_string` for the deprecated `size_average` / `reduce`. */
function legacyReduction(size_average: unknown, reduce: unknown): Reduction {
  const sa = size_average ?? true;
  const rd = reduce ?? true;
  const r: Reduction = sa && rd ? "mean" : rd ? "sum" : "none";
  console.warn(
    `UserWarning: size_average and reduce args will be deprecated, please use reduction='${r}' instead.`,
  );
  return r;
}

/** The reduction from `size_average`, `reduce`, `reduction` as PyTorch's Python layer picks it. */
function pickReduction(size_average: unknown, reduce: unknown, reduction: unknown): Reduction {
  if ((size_average ?? null) !== null || (reduce ?? null) !== null) {
    return legacyReduction(size_average, reduce);
  }
  return reductionOf(reduction ?? "mean");
}

/** Positional arguments after (input, target), then keywords, by PyTorch's parameter names. */
function argsOf(rest: unknown[], names: string[]): Kw {
  const [a, kw] = splitKw(rest);
  const out: Kw = { ...kw };
  names.forEach((n, i) => {
    if (a[i] !== undefined) out[n] = a[i];
  });
  return out;
}

function sizeText(s: readonly number[]): string {
  return String(Size.from_(s));
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkLong(target: Tensor): void {
  if (target.dtype.name !== "int64") {
    throw new RuntimeError(`expected scalar type Long but found ${scalarTypeName(target.dtype)}`);
  }
}

function checkFloat(t: Tensor): void {
  if (!t.dtype.is_floating_point) {
    throw new RuntimeError(`Found dtype ${scalarTypeName(t.dtype)} but expected Float`);
  }
}

/**
 * `t * v` or `t / v` with a C++ scalar, as ATen's composite losses write them: PyTorch records
 * `MulBackward1` / `DivBackward1` there (a Python scalar would give `MulBackward0` / `DivBackward0`).
 */
function scalarOp(op: "mul" | "div", t: Tensor, v: number): Tensor {
  const k = op === "mul" ? v : 1 / v;
  const out = run(
    op,
    () => wrap(op === "mul" ? tf.mul(t._read(), v) : tf.div(t._read(), v), float32, t.device),
  );
  if (needsGrad(t)) {
    record(op === "mul" ? "MulBackward1" : "DivBackward1", [t], out, (gs) => [gs[0]!.mul(k)]);
  }
  return out;
}

// ---- nll_loss -----------------------------------------------------------------------------------

/**
 * The negative log likelihood kernel over `x` (N, C, …) or (C,): picks
 * `-w[t]·x[i, t]` for each target, as PyTorch's `nll_loss` / `nll_loss2d`.
 * Records one node named `name`.
 */
function nllKernel(
  x: Tensor,
  target: Tensor,
  weight: Tensor | null,
  ignore: number,
  reduction: Reduction,
  name: string,
): Tensor {
  const rank = x._shape.length;
  const c = rank === 1 ? x._shape[0] : x._shape[1];
  // class dimension last, everything else flattened into rows
  const perm = rank <= 2 ? null : [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
  const rows = rank === 1 ? 1 : x.numel() / c;
  if (x._storage.slot.gpu) return nllOnDevice(x, target, weight, ignore, reduction, name, perm, rows, c);
  const t = target._host();
  const w = weight ? weight._host() : null;
  // each row's class (0 where ignored, with weight 0)
  const cls = new Int32Array(rows);
  const wi = new Float32Array(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const k = Number(t[i]);
    if (k === ignore) continue;
    if (k < 0 || k >= c) throw new IndexError(`Target ${k} is out of bounds.`);
    cls[i] = k;
    wi[i] = w ? Number(w[k]) : 1;
    total += wi[i];
  }
  const gatherIdx = () => Int32Array.from({ length: rows * 2 }, (_, j) => (j & 1 ? cls[j >> 1] : j >> 1));
  const outShape = reduction === "none" ? target._shape.slice() : [];
  const dev = deviceOf(x, target, weight);
  const out = run("nll_loss", () => {
    let xv = x._read();
    // (rows, C) already: one kernel on the backend's memory (the gather, scale and sum below
    // are three ops and two uploads)
    if (!perm && jsKernels(xv)) return wrap(nll(xv, cls, wi, c, reduction, total, outShape), float32, dev);
    if (perm) xv = temp(tf.transpose(xv, perm));
    const x2 = temp(tf.reshape(xv, [rows, c]));
    const picked = temp(tf.gatherND(x2, temp(tf.tensor2d(gatherIdx(), [rows, 2], "int32"))));
    const losses = temp(tf.mul(picked, temp(tf.tensor1d(wi.map((v) => -v), "float32"))));
    if (reduction === "none") return wrap(tf.reshape(losses, outShape), float32, dev);
    const s = temp(tf.sum(losses));
    return wrap(reduction === "sum" ? tf.clone(s) : tf.div(s, total), float32, dev);
  });
  if (needsGrad(x)) {
    const xShape = x._shape.slice();
    const permShape = perm ? perm.map((d) => xShape[d]) : xShape;
    record(name, [x], out, (gs) => [
      run("nll_loss_backward", () => {
        const g = gs[0]!._read();
        // ignored targets get no gradient (zero, even when every target is ignored and the mean is nan)
        const k = Float32Array.from(wi, (v) => (v === 0 ? 0 : reduction === "mean" ? -v / total : -v));
        if (!perm && jsKernels(g)) return wrap(nllGrad(g, cls, k, c, permShape), float32, dev);
        const scale = temp(tf.tensor1d(k, "float32"));
        const upd = temp(tf.mul(scale, reduction === "none" ? temp(tf.reshape(g, [rows])) : g));
        const idx = temp(tf.tensor2d(gatherIdx(), [rows, 2], "int32"));
        let gx = temp(tf.reshape(temp(tf.scatterND(idx, upd, [rows, c])), permShape));
        if (perm) {
          const inv = perm.map((_, i) => perm.indexOf(i));
          gx = temp(tf.transpose(gx, inv));
        }
        return wrap(tf.clone(gx), float32, dev);
      }),
    ]);
  }
  return out;
}

/** PyTorch's `nll_loss_nd`: the shape checks, then the 1-D/2-D, 4-D or flattened kernel. */
function nllLossNd(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  reduction: Reduction,
  ignore: number,
): Tensor {
  const r = input._shape.length;
  if (r < 1) throw new ValueError(`Expected 1 or more dimensions (got ${r})`);
  if (r !== 1 && input._shape[0] !== (target._shape[0] ?? 1)) {
    throw new ValueError(
      `Expected input batch_size (${input._shape[0]}) to match target batch_size (${
        target._shape.length ? target._shape[0] : 1
      }).`,
    );
  }
  const c = r === 1 ? input._shape[0] : input._shape[1];
  if (r <= 2) {
    if (target._shape.length > 1) {
      throw new RuntimeError("0D or 1D target tensor expected, multi-target not supported");
    }
    const noBatch = r === 1 && target._shape.length === 0;
    if (!noBatch && input._shape[0] !== target._shape[0]) {
      throw new RuntimeError(
        `size mismatch (got input: ${shapeStr(input._shape)}, target: ${shapeStr(target._shape)})`,
      );
    }
    if (weight && (weight._shape.length !== 1 || weight.numel() !== c)) {
      throw new RuntimeError(
        `weight tensor should be defined either for all ${c} classes or no classes but got weight tensor of shape: ${
          shapeStr(weight._shape)
        }`,
      );
    }
    checkLong(target);
    return nllKernel(input, target, weight, ignore, reduction, "NllLossBackward0");
  }
  if (r === 4) {
    if (target._shape.length !== 3) {
      throw new RuntimeError(
        `only batches of spatial targets supported (3D tensors) but got targets of dimension: ${target._shape.length}`,
      );
    }
    if (weight && weight.numel() !== c) {
      throw new RuntimeError("weight tensor should be defined either for all or no classes");
    }
    const [n, , h, w] = input._shape;
    const ts = target._shape;
    if (n !== ts[0] || h !== ts[1] || w !== ts[2]) {
      throw new RuntimeError(
        `size mismatch (got input: ${shapeStr(input._shape)} , target: ${shapeStr(target._shape)}`,
      );
    }
    checkLong(target);
    return nllKernel(input, target, weight, ignore, reduction, "NllLoss2DBackward0");
  }
  // 3-D or 5-D and up: PyTorch views it as (N, C, 1, -1) and runs nll_loss2d
  const outSize = [input._shape[0], ...input._shape.slice(2)];
  if (!sameShape(target._shape.slice(1), input._shape.slice(2))) {
    throw new RuntimeError(`Expected target size ${shapeStr(outSize)}, got ${shapeStr(target._shape)}`);
  }
  if (weight && weight.numel() !== c) {
    throw new RuntimeError("weight tensor should be defined either for all or no classes");
  }
  checkLong(target);
  const x4 = input.contiguous().view(input._shape[0], c, 1, -1);
  const t3 = target.contiguous().view(target._shape[0], 1, -1);
  const out = nllKernel(x4, t3, weight, ignore, reduction, "NllLoss2DBackward0");
  return reduction === "none" ? out.view(outSize) : out;
}

/**
 * `F.nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean')`:
 * input holds log-probabilities (N, C) or (N, C, d1, …), target class indices (int64).
 */
export function nll_loss(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = argsOf(rest, ["weight", "size_average", "ignore_index", "reduce", "reduction"]);
  const reduction = pickReduction(o.size_average, o.reduce, o.reduction);
  return nllLossNd(
    input,
    target,
    (o.weight ?? null) as Tensor | null,
    reduction,
    Number(o.ignore_index ?? -100),
  );
}

// ---- cross_entropy ------------------------------------------------------------------------------

/**
 * `F.cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
 * reduction='mean', label_smoothing=0.0)`: log_softmax over the class dim, then the negative log
 * likelihood of class-index targets, or the cross entropy with class-probability targets (a
 * float target of the input's shape).
 */
export function cross_entropy(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = argsOf(rest, [
    "weight",
    "size_average",
    "ignore_index",
    "reduce",
    "reduction",
    "label_smoothing",
  ]);
  const reduction = pickReduction(o.size_average, o.reduce, o.reduction);
  const weight = (o.weight ?? null) as Tensor | null;
  const ignore = Number(o.ignore_index ?? -100);
  const ls = Number(o.label_smoothing ?? 0);
  const classDim = input._shape.length === 1 ? 0 : 1;
  if (sameShape(input._shape, target._shape)) {
    // class probabilities
    if (!target.dtype.is_floating_point) {
      throw new RuntimeError(
        `Expected floating point type for target with class probabilities, got ${
          scalarTypeName(target.dtype)
        }`,
      );
    }
    if (ignore >= 0) throw new RuntimeError("ignore_index is not supported for floating point target");
    if (ls < 0 || ls > 1) throw new RuntimeError(`label_smoothing must be between 0.0 and 1.0. Got: ${ls}`);
    return crossEntropyProb(input, target, weight, reduction, ls, classDim);
  }
  if (ls < 0 || ls > 1) throw new RuntimeError(`label_smoothing must be between 0.0 and 1.0. Got: ${ls}`);
  const logp = logSoftmaxClasses(input) ?? log_softmax(input, classDim);
  if (ls > 0) return crossEntropySmoothed(logp, target, weight, reduction, ignore, ls, classDim);
  return nllLossNd(logp, target, weight, reduction, ignore);
}

/**
 * `log_softmax(input, 1)` of (N, C) or (C,) float32 logits as one kernel on the backend's
 * memory, its gradient another (`F.log_softmax` runs six engine ops forward and four facade
 * ops back); the same node, `LogSoftmaxBackward0`. Null where that does not apply (then
 * `F.log_softmax` runs).
 */
function logSoftmaxClasses(input: Tensor): Tensor | null {
  const rank = input._shape.length;
  const c = input._shape[rank - 1];
  if (rank < 1 || rank > 2 || input.dtype !== float32 || !(c > 0) || input.numel() === 0) return null;
  const out = run("log_softmax", () => {
    const xv = input._read();
    return jsKernels(xv) ? wrap(logSoftmaxRows(xv, c), float32, input.device) : null;
  });
  if (out === null) return null;
  if (needsGrad(input)) {
    record("LogSoftmaxBackward0", [input], out, (gs, s) => {
      const g = gs[0]!;
      const y = s[0];
      // a differentiable backward (create_graph) composes facade ops, as F.log_softmax's does
      const fused = !gradMode.enabled && g.dtype === float32 && run("log_softmax_backward", () => {
        const gv = g._read();
        const yv = y._read();
        return jsKernels(gv, yv) ? wrap(logSoftmaxRowsGrad(gv, yv, c), float32, g.device) : null;
      });
      return [fused || g.sub(y.exp().mul(g.sum(rank - 1, true)))];
    }, [out]);
  }
  return out;
}

/** Weight viewed to broadcast along the class dim. */
function classView(weight: Tensor, rank: number): Tensor {
  if (rank <= 1) return weight;
  const shape = Array.from({ length: rank }, (_, i) => (i === 1 ? weight._shape[0] : 1));
  return weight.view(shape);
}

/** Probability targets: `-(log_softmax(x) · target [· w]).sum(…)`, as PyTorch composes it. */
function crossEntropyProb(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  reduction: Reduction,
  ls: number,
  classDim: number,
): Tensor {
  const c = input._shape[classDim];
  const logp = log_softmax(input, classDim);
  const t = ls > 0 ? target.mul(1 - ls).add(ls / c) : target;
  let prod = logp.mul(t);
  if (weight) prod = prod.mul(classView(weight, input._shape.length));
  if (reduction === "none") return prod.sum(classDim).neg();
  if (reduction === "sum") return prod.sum().neg();
  const loss = prod.sum().neg();
  if (input.numel() === 0) return scalarOp("mul", loss, NaN);
  return scalarOp("div", loss, input.numel() / c);
}

/** Class indices with label smoothing: `(1 - ε)·nll + ε/C · smooth`, as PyTorch composes it. */
function crossEntropySmoothed(
  logp: Tensor,
  target: Tensor,
  weight: Tensor | null,
  reduction: Reduction,
  ignore: number,
  ls: number,
  classDim: number,
): Tensor {
  const nll = nllLossNd(logp, target, weight, reduction, ignore);
  const c = logp._shape[classDim];
  const [keepT, denom] = target._storage.slot.gpu
    ? keptOnDevice(target, weight, ignore, logp.device)
    : keptOnHost(target, weight, ignore, logp.device);
  const smooth = (weight ? logp.mul(classView(weight, logp._shape.length)) : logp).sum(classDim).neg()
    .mul(keepT);
  let ret: Tensor;
  if (reduction === "none") ret = smooth;
  else if (reduction === "sum") ret = smooth.sum();
  else ret = smooth.sum().div(denom);
  return scalarOp("mul", nll, 1 - ls).add(scalarOp("mul", ret, ls / c));
}

/**
 * Which targets count (1, or 0 where ignored) as a float tensor, and the mean's denominator
 * (their weights' sum), from the targets' host values.
 */
function keptOnHost(target: Tensor, weight: Tensor | null, ignore: number, dev: device): [Tensor, number] {
  const t = target._host();
  const keep = Float32Array.from(t, (v) => (Number(v) === ignore ? 0 : 1));
  const keepT = run(
    "cross_entropy",
    () => wrap(tf.tensor(keep, target._shape.slice(), "float32"), float32, dev),
  );
  let denom = 0;
  const w = weight ? weight._host() : null;
  t.forEach((v, i) => {
    if (keep[i]) denom += w ? Number(w[Number(v)]) : 1;
  });
  return [keepT, denom];
}

/** `keptOnHost` for targets on a device that cannot read back synchronously (webgpu): all on the device. */
function keptOnDevice(target: Tensor, weight: Tensor | null, ignore: number, dev: device): [Tensor, Tensor] {
  // per-target weights: 0 where ignored, else weight[target] (or 1)
  const kept = run("cross_entropy", () => {
    const t = temp(tf.cast(target._read(), "int32"));
    const keep = temp(tf.notEqual(t, temp(tf.scalar(ignore, "int32"))));
    let w = temp(tf.cast(keep, "float32"));
    if (weight) {
      const safe = temp(tf.where(keep, t, temp(tf.zerosLike(t))));
      w = temp(tf.mul(w, temp(tf.gather(weight._read(), safe))));
    }
    return wrap(tf.clone(w), float32, dev);
  });
  const keepT = run("cross_entropy", () => wrap(tf.notEqual(kept._read(), 0), float32, dev));
  return [keepT, kept.sum()];
}

// ---- regression losses --------------------------------------------------------------------------

function warnBroadcast(input: Tensor, target: Tensor): void {
  if (!sameShape(input._shape, target._shape)) {
    console.warn(
      `UserWarning: Using a target size (${sizeText(target._shape)}) that is different to the input size (${
        sizeText(input._shape)
      }). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
    );
  }
}

/** `F.mse_loss(input, target, size_average=None, reduce=None, reduction='mean')`: one MseLossBackward0 node. */
export function mse_loss(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = argsOf(rest, ["size_average", "reduce", "reduction"]);
  const legacy = (o.size_average ?? null) !== null || (o.reduce ?? null) !== null;
  const reduction0 = legacy ? legacyReduction(o.size_average, o.reduce) : null;
  warnBroadcast(input, target);
  const shape = broadcastShapes(input._shape, target._shape);
  const reduction = reduction0 ?? reductionOf(o.reduction ?? "mean");
  const n = shape.reduce((a, b) => a * b, 1);
  const dev = deviceOf(input, target);
  const out = run("mse_loss", () => {
    const d = temp(tf.sub(temp(tf.broadcastTo(input._read(), shape)), castF(target)));
    const sq = temp(tf.square(d));
    if (reduction === "none") return wrap(tf.clone(sq), float32, dev);
    return wrap(reduction === "sum" ? tf.sum(sq) : tf.mean(sq), float32, dev);
  });
  if (needsGrad(input, target)) {
    const inShape = input._shape.slice();
    const tShape = target._shape.slice();
    record("MseLossBackward0", [input, target], out, (gs, s, needs) => {
      const [xs, ts] = s;
      const g = run("mse_loss_backward", () => {
        const d = temp(tf.sub(temp(tf.broadcastTo(xs._read(), shape)), castF(ts)));
        let k = temp(tf.mul(d, reduction === "mean" ? 2 / n : 2));
        k = temp(tf.mul(k, gs[0]!._read()));
        return wrap(tf.clone(k), float32, dev);
      });
      return [needs[0] ? sumTo(g, inShape) : null, needs[1] ? sumTo(g.neg(), tShape) : null];
    }, [input, target]);
  }
  return out;
}

function castF(t: Tensor): tf.Tensor {
  const v = t._read();
  return v.dtype === "float32" ? v : temp(tf.cast(v, "float32"));
}

/** `F.l1_loss(input, target, size_average=None, reduce=None, reduction='mean')`: `(input - target).abs()`, reduced. */
export function l1_loss(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = argsOf(rest, ["size_average", "reduce", "reduction"]);
  const legacy = (o.size_average ?? null) !== null || (o.reduce ?? null) !== null;
  const reduction0 = legacy ? legacyReduction(o.size_average, o.reduce) : null;
  warnBroadcast(input, target);
  broadcastShapes(input._shape, target._shape);
  const reduction = reduction0 ?? reductionOf(o.reduction ?? "mean");
  const d = input.sub(target).abs();
  return reduction === "none" ? d : reduction === "sum" ? d.sum() : d.mean();
}

// ---- binary cross entropy -----------------------------------------------------------------------

function expandWeight(weight: Tensor | null, shape: number[]): Tensor | null {
  if (!weight) return null;
  const s = broadcastShapes(shape, weight._shape);
  return sameShape(s, weight._shape) ? weight : weight.expand(s);
}

/**
 * `F.binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction='mean')`:
 * `-w·(t·log(x) + (1 - t)·log(1 - x))` with the logs clamped at -100, one BinaryCrossEntropyBackward0 node.
 */
export function binary_cross_entropy(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = argsOf(rest, ["weight", "size_average", "reduce", "reduction"]);
  const reduction = pickReduction(o.size_average, o.reduce, o.reduction);
  if (!sameShape(input._shape, target._shape)) {
    throw new ValueError(
      `Using a target size (${sizeText(target._shape)}) that is different to the input size (${
        sizeText(input._shape)
      }) is deprecated. Please ensure they have the same size.`,
    );
  }
  const weight = expandWeight((o.weight ?? null) as Tensor | null, target._shape.slice());
  checkFloat(target);
  const dev = deviceOf(input, target, weight);
  const out = run("binary_cross_entropy", () => {
    const x = input._read();
    const bad = temp(tf.logicalOr(temp(tf.less(x, 0)), temp(tf.greater(x, 1))));
    const nan = temp(tf.isNaN(x));
    // webgpu cannot read back synchronously: there an input outside [0, 1] gives nan (README, Differences)
    if (x.size && !input._storage.slot.gpu && temp(tf.any(temp(tf.logicalOr(bad, nan)))).dataSync()[0]) {
      throw new RuntimeError("all elements of input should be between 0 and 1");
    }
    const t = target._read();
    const logx = temp(tf.maximum(temp(tf.log(x)), -100));
    const log1mx = temp(tf.maximum(temp(tf.log1p(temp(tf.neg(x)))), -100));
    // (t - 1)·log(1 - x) - t·log(x)
    let l = temp(tf.sub(temp(tf.mul(temp(tf.sub(t, 1)), log1mx)), temp(tf.mul(t, logx))));
    if (weight) l = temp(tf.mul(l, weight._read()));
    return reduce(l, reduction, dev);
  });
  if (needsGrad(input, target)) {
    record("BinaryCrossEntropyBackward0", [input, target, weight], out, (gs, s, needs) => {
      const [xs, ts] = s;
      const ws = s[2] ?? null;
      const n = xs.numel();
      const gx = needs[0]
        ? run("binary_cross_entropy_backward", () => {
          const x = xs._read();
          const denom = temp(tf.maximum(temp(tf.mul(temp(tf.sub(1, x)), x)), 1e-12));
          let r = temp(tf.div(temp(tf.sub(x, ts._read())), denom));
          r = temp(tf.mul(r, gs[0]!._read()));
          if (ws) r = temp(tf.mul(r, ws._read()));
          if (reduction === "mean") r = temp(tf.div(r, n));
          return wrap(tf.clone(r), float32, dev);
        })
        : null;
      const gt = needs[1]
        ? run("binary_cross_entropy_target_backward", () => {
          const x = xs._read();
          const logx = temp(tf.maximum(temp(tf.log(x)), -100));
          const log1mx = temp(tf.maximum(temp(tf.log1p(temp(tf.neg(x)))), -100));
          let r = temp(tf.mul(temp(tf.sub(log1mx, logx)), gs[0]!._read()));
          if (ws) r = temp(tf.mul(r, ws._read()));
          if (reduction === "mean") r = temp(tf.div(r, n));
          return wrap(tf.clone(r), float32, dev);
        })
        : null;
      return [gx, gt, null];
    }, weight ? [input, target, weight] : [input, target]);
  }
  return out;
}

function reduce(l: tf.Tensor, reduction: Reduction, dev: ReturnType<typeof deviceOf>): Tensor {
  if (reduction === "none") return wrap(tf.clone(l), float32, dev);
  return wrap(reduction === "sum" ? tf.sum(l) : tf.mean(l), float32, dev);
}

/**
 * `F.binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
 * reduction='mean', pos_weight=None)`: the sigmoid and the binary cross entropy in one stable
 * step, one BinaryCrossEntropyWithLogitsBackward0 node.
 */
export function binary_cross_entropy_with_logits(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = argsOf(rest, ["weight", "size_average", "reduce", "reduction", "pos_weight"]);
  const reduction = pickReduction(o.size_average, o.reduce, o.reduction);
  if (!sameShape(input._shape, target._shape)) {
    throw new ValueError(
      `Target size (${sizeText(target._shape)}) must be the same as input size (${sizeText(input._shape)})`,
    );
  }
  const weight = (o.weight ?? null) as Tensor | null;
  const pw = (o.pos_weight ?? null) as Tensor | null;
  if (!target.dtype.is_floating_point) {
    throw new RuntimeError(
      `result type Float can't be cast to the desired output type ${scalarTypeName(target.dtype)}`,
    );
  }
  const shape = input._shape.slice();
  if (weight) broadcastShapes(shape, weight._shape);
  if (pw) broadcastShapes(shape, pw._shape);
  const dev = deviceOf(input, target, weight, pw);
  const out = run("binary_cross_entropy_with_logits", () => {
    const x = input._read();
    const t = target._read();
    // softplus(-x) = log(1 + exp(-x)), computed stably as max(-x, 0) + log(exp(-m) + exp(-x - m))
    const m = temp(tf.relu(temp(tf.neg(x))));
    const sp = temp(
      tf.add(
        m,
        temp(
          tf.log(temp(tf.add(temp(tf.exp(temp(tf.neg(m)))), temp(tf.exp(temp(tf.sub(temp(tf.neg(x)), m))))))),
        ),
      ),
    );
    const lin = temp(tf.mul(temp(tf.sub(1, t)), x));
    let l: tf.Tensor;
    if (pw) {
      const lw = temp(tf.add(temp(tf.mul(temp(tf.sub(pw._read(), 1)), t)), 1));
      l = temp(tf.add(lin, temp(tf.mul(lw, sp))));
    } else l = temp(tf.add(lin, sp));
    if (weight) l = temp(tf.mul(l, weight._read()));
    return reduce(l, reduction, dev);
  });
  if (needsGrad(input, target)) {
    const outShape = broadcastShapes(
      broadcastShapes(shape, weight ? weight._shape : []),
      pw ? pw._shape : [],
    );
    record(
      "BinaryCrossEntropyWithLogitsBackward0",
      [input, target, weight, pw],
      out,
      (gs, s, needs) => {
        const [xs, ts] = s;
        const ws = weight ? s[2] : null;
        const ps = pw ? s[weight ? 3 : 2] : null;
        const n = outShape.reduce((a, b) => a * b, 1);
        const grads = run("binary_cross_entropy_with_logits_backward", () => {
          const x = xs._read();
          const t = ts._read();
          const g = gs[0]!._read();
          const post = (r: tf.Tensor) => {
            r = temp(tf.mul(r, g));
            if (ws) r = temp(tf.mul(r, ws._read()));
            if (reduction === "mean") r = temp(tf.div(r, n));
            return wrap(tf.clone(r), float32, dev);
          };
          let gx: Tensor | null = null;
          let gt: Tensor | null = null;
          if (needs[0]) {
            const sig = temp(tf.sigmoid(x));
            if (ps) {
              const pt = temp(tf.mul(ps._read(), t));
              gx = post(temp(tf.sub(temp(tf.mul(temp(tf.sub(temp(tf.add(pt, 1)), t)), sig)), pt)));
            } else gx = post(temp(tf.sub(sig, t)));
          }
          if (needs[1]) {
            // d/dt: -x + (pos_weight - 1)·softplus(-x)
            if (ps) {
              const sp = temp(tf.softplus(temp(tf.neg(x))));
              gt = post(temp(tf.sub(temp(tf.mul(temp(tf.sub(ps._read(), 1)), sp)), x)));
            } else gt = post(temp(tf.neg(x)));
          }
          return [gx, gt];
        });
        return [
          grads[0] ? sumTo(grads[0], shape) : null,
          grads[1] ? sumTo(grads[1], shape) : null,
          null,
          null,
        ];
      },
      [input, target, ...(weight ? [weight] : []), ...(pw ? [pw] : [])],
    );
  }
  return out;
}

// ---- modules ------------------------------------------------------------------------------------

/** PyTorch's `_Loss`: holds `reduction` (from `reduction`, or the legacy `size_average`/`reduce`). */
class Loss extends ModuleClass {
  reduction: Reduction;
  constructor(o: Kw) {
    super();
    this.reduction = (o.size_average ?? null) !== null || (o.reduce ?? null) !== null
      ? legacyReduction(o.size_average, o.reduce)
      : (o.reduction ?? "mean") as Reduction;
  }
}

/** PyTorch's `_WeightedLoss`: a `weight` buffer besides. */
class WeightedLoss extends Loss {
  declare weight: Tensor | null;
  constructor(o: Kw) {
    super(o);
    this.register_buffer("weight", (o.weight ?? null) as Tensor | null);
  }
}

/** `nn.CrossEntropyLoss(weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0)`. */
class CrossEntropyLoss extends WeightedLoss {
  ignore_index: number;
  label_smoothing: number;
  constructor(...rest: unknown[]) {
    const o = argsOf(rest, [
      "weight",
      "size_average",
      "ignore_index",
      "reduce",
      "reduction",
      "label_smoothing",
    ]);
    super(o);
    this.ignore_index = Number(o.ignore_index ?? -100);
    this.label_smoothing = Number(o.label_smoothing ?? 0);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return cross_entropy(input, target, {
      weight: this.weight,
      ignore_index: this.ignore_index,
      reduction: this.reduction,
      label_smoothing: this.label_smoothing,
    });
  }
}

/** `nn.NLLLoss(weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean')`. */
class NLLLoss extends WeightedLoss {
  ignore_index: number;
  constructor(...rest: unknown[]) {
    const o = argsOf(rest, ["weight", "size_average", "ignore_index", "reduce", "reduction"]);
    super(o);
    this.ignore_index = Number(o.ignore_index ?? -100);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return nll_loss(input, target, {
      weight: this.weight,
      ignore_index: this.ignore_index,
      reduction: this.reduction,
    });
  }
}

/** `nn.MSELoss(size_average=None, reduce=None, reduction='mean')`. */
class MSELoss extends Loss {
  constructor(...rest: unknown[]) {
    super(argsOf(rest, ["size_average", "reduce", "reduction"]));
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return mse_loss(input, target, { reduction: this.reduction });
  }
}

/** `nn.L1Loss(size_average=None, reduce=None, reduction='mean')`. */
class L1Loss extends Loss {
  constructor(...rest: unknown[]) {
    super(argsOf(rest, ["size_average", "reduce", "reduction"]));
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return l1_loss(input, target, { reduction: this.reduction });
  }
}

/** `nn.BCELoss(weight=None, size_average=None, reduce=None, reduction='mean')`. */
class BCELoss extends WeightedLoss {
  constructor(...rest: unknown[]) {
    super(argsOf(rest, ["weight", "size_average", "reduce", "reduction"]));
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binary_cross_entropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** `nn.BCEWithLogitsLoss(weight=None, size_average=None, reduce=None, reduction='mean', pos_weight=None)`. */
class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;
  constructor(...rest: unknown[]) {
    const o = argsOf(rest, ["weight", "size_average", "reduce", "reduction", "pos_weight"]);
    super(o);
    this.register_buffer("weight", (o.weight ?? null) as Tensor | null);
    this.register_buffer("pos_weight", (o.pos_weight ?? null) as Tensor | null);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binary_cross_entropy_with_logits(input, target, {
      weight: this.weight,
      pos_weight: this.pos_weight,
      reduction: this.reduction,
    });
  }
}

/** The loss functions of `F`. */
export const functional = {
  cross_entropy,
  nll_loss,
  mse_loss,
  l1_loss,
  binary_cross_entropy,
  binary_cross_entropy_with_logits,
};

/** The loss modules of `nn`, each constructible with or without `new`. */
export const modules = {
  CrossEntropyLoss: callable(CrossEntropyLoss),
  NLLLoss: callable(NLLLoss),
  MSELoss: callable(MSELoss),
  L1Loss: callable(L1Loss),
  BCELoss: callable(BCELoss),
  BCEWithLogitsLoss: callable(BCEWithLogitsLoss),
};

/** The loss classes themselves (unwrapped), for `instanceof` and subclassing. */
export { BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss };
