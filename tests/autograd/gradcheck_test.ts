/**
 * Finite-difference gradient checks: for every differentiable op of the
 * tensor core, over several shapes and broadcasting cases, the analytic
 * gradient that backward computes equals central differences of the forward
 * op, in float32. A few ops are also checked one order up (gradients built
 * with create_graph, differentiated again).
 *
 * Tolerances for float32: eps = 1e-2 on inputs kept away from kinks and
 * discontinuities (|x| ≥ 0.5 for abs/relu/sign, distinct values for max/min,
 * off-integer values for floor/round/remainder), and |analytic − numeric| ≤
 * 2e-3 + 1e-2·max(|analytic|, |numeric|). The loss is Σ out·r for a fixed
 * non-uniform r, accumulated in float64.
 */
import assert from "node:assert/strict";
import { Tensor, torch } from "../../mod.ts";
import { fromValues } from "../../lib/tensor/creation.ts";
import { float32 } from "../../lib/tensor/dtype.ts";

// ---- inputs ---------------------------------------------------------------------------------

/** A small deterministic stream (mulberry32), independent of torch's generator. */
function stream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Input domains that keep the checked ops smooth within ±eps. */
type Kind =
  | "any" // (-2, 2)
  | "pos" // (0.5, 1.5)
  | "unit" // (-0.8, 0.8)
  | "away" // ±(0.5, 1.5): away from 0
  | "offint" // k + (0.2, 0.4): away from integers and halves
  | "distinct"; // a shuffled grid 0.3 apart: no ties

function values(kind: Kind, n: number, rnd: () => number): number[] {
  const out: number[] = [];
  if (kind === "distinct") {
    const grid = [...Array(n).keys()].map((i) => (i - n / 2) * 0.3 + 0.05);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [grid[i], grid[j]] = [grid[j], grid[i]];
    }
    return grid;
  }
  for (let i = 0; i < n; i++) {
    const u = rnd();
    if (kind === "any") out.push(u * 4 - 2);
    else if (kind === "pos") out.push(0.5 + u);
    else if (kind === "unit") out.push(u * 1.6 - 0.8);
    else if (kind === "away") out.push((rnd() < 0.5 ? -1 : 1) * (0.5 + u));
    else out.push(Math.floor(rnd() * 6) - 3 + 0.2 + 0.2 * u);
  }
  return out;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

// ---- the checker ---------------------------------------------------------------------------

interface Spec {
  shape: number[];
  kind?: Kind;
}

interface Options {
  eps?: number;
  rtol?: number;
  atol?: number;
}

function flat(t: Tensor): number[] {
  const v = t.tolist();
  return Array.isArray(v) ? (v as unknown[]).flat(Infinity) as number[] : [v as number];
}

/** Σ out·r in float64. */
function dotWith(out: Tensor, r: number[]): number {
  const o = flat(out);
  let s = 0;
  for (let i = 0; i < o.length; i++) s += o[i] * r[i];
  return s;
}

/**
 * Checks `f`'s analytic gradients against central differences. `f` must be a
 * function of its inputs only (it may make views, copies and in-place changes
 * of intermediate results).
 */
function gradcheck(
  label: string,
  f: (...xs: Tensor[]) => Tensor,
  specs: Spec[],
  seed: number,
  opts: Options = {},
) {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 1e-2;
  const atol = opts.atol ?? 2e-3;
  const rnd = stream(seed);
  const data = specs.map((s) => Float32Array.from(values(s.kind ?? "any", numel(s.shape), rnd)));
  const make = (i: number, d: Float32Array) => fromValues(d, [...specs[i].shape], float32);
  // analytic
  const leaves = data.map((d, i) => make(i, d).requires_grad_());
  const out = f(...leaves);
  assert.ok(out.requires_grad, `${label}: the result requires grad`);
  const r = values("any", out.numel(), stream(seed + 7919)).map((v) => v + 0.5 * Math.sign(v));
  out.backward(fromValues(Float32Array.from(r), [...out._shape], float32));
  const analytic = leaves.map((l) => (l.grad === null ? new Array(l.numel()).fill(0) : flat(l.grad)));
  leaves.forEach((l, i) => {
    if (l.grad) assert.deepEqual([...l.grad.shape], specs[i].shape, `${label}: grad shape of input ${i}`);
  });
  // numeric
  torch.no_grad(() => {
    data.forEach((d, i) => {
      for (let j = 0; j < d.length; j++) {
        const probe = (delta: number) => {
          const p = Float32Array.from(d);
          p[j] += delta;
          const xs = data.map((dd, k) => make(k, k === i ? p : dd));
          return dotWith(f(...xs), r);
        };
        const h = Math.fround(d[j] + eps) - d[j]; // the step float32 really took
        const numeric = (probe(eps) - probe(-eps)) / (2 * h);
        const a = analytic[i][j];
        const tol = atol + rtol * Math.max(Math.abs(a), Math.abs(numeric));
        assert.ok(
          Math.abs(a - numeric) <= tol,
          `${label}: d/dinput${i}[${j}] analytic ${a} vs numeric ${numeric} (inputs ${[...d]})`,
        );
      }
    });
  });
}

/**
 * Second order: the gradient of Σ (∂(Σ out·r)/∂x)·q, taken with create_graph,
 * against central differences of the first-order gradient.
 */
function gradgradcheck(label: string, f: (...xs: Tensor[]) => Tensor, specs: Spec[], seed: number) {
  const n = specs.length;
  const q = specs.map((s, i) => values("any", numel(s.shape), stream(seed + 31 * i)));
  // g(xs) = Σ_i ⟨∂L/∂x_i, q_i⟩ with L = Σ out·r: its gradient is a Hessian-vector product
  const firstOrder = (...xs: Tensor[]) => {
    const out = f(...xs);
    const r = fromValues(
      Float32Array.from(values("any", out.numel(), stream(seed + 1))),
      [...out._shape],
      float32,
    );
    const gs = torch.autograd.grad(out.mul(r).sum(), xs, { create_graph: true, allow_unused: true });
    let total: Tensor | null = null;
    gs.forEach((g, i) => {
      if (g === null) return;
      const term = g.mul(fromValues(Float32Array.from(q[i]), [...specs[i].shape], float32)).sum();
      total = total === null ? term : total.add(term);
    });
    return total!;
  };
  // the numeric side differentiates the analytic first-order gradient, which needs grad mode
  const rnd = stream(seed);
  const data = specs.map((s) => Float32Array.from(values(s.kind ?? "any", numel(s.shape), rnd)));
  const make = (i: number, d: Float32Array, grad: boolean) => {
    const t = fromValues(d, [...specs[i].shape], float32);
    return grad ? t.requires_grad_() : t;
  };
  const leaves = data.map((d, i) => make(i, d, true));
  const hv = torch.autograd.grad(firstOrder(...leaves), leaves, { allow_unused: true });
  const eps = 1e-2;
  for (let i = 0; i < n; i++) {
    const d = data[i];
    for (let j = 0; j < d.length; j++) {
      const probe = (delta: number) => {
        const p = Float32Array.from(d);
        p[j] += delta;
        const xs = data.map((dd, k) => make(k, k === i ? p : dd, true));
        return firstOrder(...xs).item() as number;
      };
      const h = Math.fround(d[j] + eps) - d[j];
      const numeric = (probe(eps) - probe(-eps)) / (2 * h);
      const a = hv[i] === null ? 0 : flat(hv[i]!)[j];
      const tol = 5e-3 + 2e-2 * Math.max(Math.abs(a), Math.abs(numeric));
      assert.ok(
        Math.abs(a - numeric) <= tol,
        `${label}: d²/dinput${i}[${j}] analytic ${a} vs numeric ${numeric}`,
      );
    }
  }
}

// ---- the ops ---------------------------------------------------------------------------------

type F = (...xs: Tensor[]) => Tensor;
/** `torch.<op>(scalar, tensor)` forms (typed loosely: the namespace spreads them in). */
const fn = torch as unknown as Record<string, (a: unknown, b: unknown) => Tensor>;

const UNARY_SHAPES = [[], [5], [2, 3], [2, 1, 3]];
const UNARY: [string, Kind, F][] = [
  ["exp", "any", (x) => x.exp()],
  ["log", "pos", (x) => x.log()],
  ["log2", "pos", (x) => x.log2()],
  ["log10", "pos", (x) => x.log10()],
  ["log1p", "pos", (x) => x.log1p()],
  ["expm1", "any", (x) => x.expm1()],
  ["sqrt", "pos", (x) => x.sqrt()],
  ["rsqrt", "pos", (x) => x.rsqrt()],
  ["sin", "any", (x) => x.sin()],
  ["cos", "any", (x) => x.cos()],
  ["tan", "unit", (x) => x.tan()],
  ["asin", "unit", (x) => x.asin()],
  ["acos", "unit", (x) => x.acos()],
  ["atan", "any", (x) => x.atan()],
  ["sinh", "any", (x) => x.sinh()],
  ["cosh", "any", (x) => x.cosh()],
  ["tanh", "any", (x) => x.tanh()],
  ["sigmoid", "any", (x) => x.sigmoid()],
  ["erf", "any", (x) => x.erf()],
  ["reciprocal", "away", (x) => x.reciprocal()],
  ["abs", "away", (x) => x.abs()],
  ["neg", "any", (x) => x.neg()],
  ["square", "any", (x) => x.square()],
  ["sign", "away", (x) => x.sign()],
  ["relu", "away", (x) => x.relu()],
  ["floor", "offint", (x) => x.floor()],
  ["ceil", "offint", (x) => x.ceil()],
  ["trunc", "offint", (x) => x.trunc()],
  ["round", "offint", (x) => x.round()],
  ["frac", "offint", (x) => x.frac()],
  ["clone", "any", (x) => x.clone()],
  ["pow_scalar", "pos", (x) => x.pow(2.5)],
  ["pow_scalar_neg", "pos", (x) => x.pow(-1.5)],
  ["pow_scalar_int", "any", (x) => x.pow(3)],
  ["scalar_base_pow", "any", (x) => fn.pow(1.7, x)],
  ["add_scalar", "any", (x) => x.add(2.5)],
  ["rsub_scalar", "any", (x) => fn.sub(2, x)],
  ["mul_scalar", "any", (x) => x.mul(-3)],
  ["div_scalar", "any", (x) => x.div(4)],
  ["rdiv_scalar", "away", (x) => fn.div(2, x)],
  ["remainder_scalar", "offint", (x) => x.remainder(1.5)],
  ["fmod_scalar", "offint", (x) => x.fmod(1.5)],
  ["clamp", "offint", (x) => x.clamp(-1, 1)],
  ["clamp_min", "offint", (x) => x.clamp({ min: 0 })],
  ["clamp_max", "offint", (x) => x.clamp(null, 0)],
  ["where_scalar", "away", (x) => torch.where(x.gt(0), x.mul(x), -1) as Tensor],
];

const BINARY_SHAPES: [number[], number[]][] = [
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[2, 1], [1, 3]],
  [[3], []],
  [[2, 3, 1], [4]],
];
const BINARY: [string, Kind, Kind, F][] = [
  ["add", "any", "any", (a, b) => a.add(b)],
  ["add_alpha", "any", "any", (a, b) => a.add(b, { alpha: -2 })],
  ["sub", "any", "any", (a, b) => a.sub(b)],
  ["sub_alpha", "any", "any", (a, b) => a.sub(b, { alpha: 3 })],
  ["mul", "any", "any", (a, b) => a.mul(b)],
  ["div", "any", "away", (a, b) => a.div(b)],
  ["true_divide", "any", "away", (a, b) => a.true_divide(b)],
  ["pow", "pos", "any", (a, b) => a.pow(b)],
  ["maximum", "distinct", "distinct", (a, b) => a.maximum(b.add(0.1))],
  ["minimum", "distinct", "distinct", (a, b) => a.minimum(b.add(0.1))],
  ["max_other", "distinct", "distinct", (a, b) => a.max(b.add(0.1))],
  ["atan2", "any", "away", (a, b) => a.atan2(b)],
  ["remainder", "offint", "pos", (a, b) => a.mul(0.1).remainder(b)],
  ["fmod", "offint", "pos", (a, b) => a.mul(0.1).fmod(b)],
  ["where", "any", "any", (a, b) => torch.where(a.gt(0), a, b) as Tensor],
  ["clamp_tensor_min", "offint", "offint", (a, b) => a.clamp(b.add(0.5))],
  ["clamp_tensor_both", "offint", "offint", (a, b) => a.clamp(b.sub(1.5), b.add(1.5))],
];

const REDUCTIONS: [string, number[], Kind, F][] = [
  ["sum", [2, 3], "any", (x) => x.sum()],
  ["sum_dim", [2, 3, 2], "any", (x) => x.sum(1)],
  ["sum_dims_keepdim", [2, 3, 2], "any", (x) => x.sum([0, 2], true)],
  ["mean", [2, 3], "any", (x) => x.mean()],
  ["mean_dim", [2, 3, 2], "any", (x) => x.mean(-1)],
  ["mean_dims_keepdim", [2, 3, 2], "any", (x) => x.mean([0, 1], true)],
  ["prod", [2, 3], "away", (x) => x.prod()],
  ["prod_dim", [3, 4], "away", (x) => x.prod(1)],
  ["prod_dim_keepdim", [3, 4], "away", (x) => x.prod(0, true)],
  ["std", [2, 3], "any", (x) => x.std()],
  ["std_dim", [3, 4], "any", (x) => x.std(1)],
  ["std_biased_keepdim", [3, 4], "any", (x) => x.std(0, { unbiased: false, keepdim: true })],
  ["var", [2, 3], "any", (x) => x.var()],
  ["var_dim", [3, 4], "any", (x) => x.var(0)],
  ["var_correction", [3, 4], "any", (x) => x.var(1, { correction: 0, keepdim: true })],
  ["max", [3, 4], "distinct", (x) => x.max()],
  ["min", [3, 4], "distinct", (x) => x.min()],
  ["max_dim", [3, 4], "distinct", (x) => x.max(1).values],
  ["min_dim_keepdim", [3, 4], "distinct", (x) => x.min(0, true)[0]],
  ["amax", [3, 4], "distinct", (x) => x.amax(1)],
  ["amin_dims", [2, 3, 2], "distinct", (x) => x.amin([0, 2])],
];

const MATMUL: [string, number[], number[], F][] = [
  ["mm", [3, 4], [4, 2], (a, b) => a.mm(b)],
  ["matmul_2d", [3, 4], [4, 2], (a, b) => a.matmul(b)],
  ["mv", [3, 4], [4], (a, b) => a.mv(b)],
  ["dot", [4], [4], (a, b) => a.dot(b)],
  ["matmul_1d_1d", [4], [4], (a, b) => a.matmul(b)],
  ["matmul_1d_2d", [3], [3, 4], (a, b) => a.matmul(b)],
  ["matmul_2d_1d", [3, 4], [4], (a, b) => a.matmul(b)],
  ["bmm", [2, 3, 4], [2, 4, 2], (a, b) => a.bmm(b)],
  ["matmul_3d_3d", [2, 3, 4], [2, 4, 2], (a, b) => a.matmul(b)],
  ["matmul_3d_2d", [2, 3, 4], [4, 2], (a, b) => a.matmul(b)],
  ["matmul_2d_3d", [3, 4], [2, 4, 2], (a, b) => a.matmul(b)],
  ["matmul_3d_1d", [2, 3, 4], [4], (a, b) => a.matmul(b)],
  ["matmul_1d_3d", [3], [2, 3, 4], (a, b) => a.matmul(b)],
  ["matmul_bcast", [2, 1, 2, 3], [3, 3, 2], (a, b) => a.matmul(b)],
  ["matmul_transposed", [4, 3], [2, 4], (a, b) => a.t().matmul(b.t())],
  ["outer", [3], [4], (a, b) => torch.outer(a, b)],
];

const VIEWS: [string, number[], F][] = [
  ["view", [2, 3, 2], (x) => x.view(3, 4)],
  ["view_infer", [2, 6], (x) => x.view(-1, 3)],
  ["reshape", [2, 3, 2], (x) => x.reshape(4, 3)],
  ["reshape_copy", [3, 4], (x) => x.t().reshape(12)],
  ["flatten", [2, 3, 2], (x) => x.flatten(1)],
  ["t", [3, 4], (x) => x.t()],
  ["T", [2, 3, 4], (x) => x.T],
  ["mT", [2, 3, 4], (x) => x.mT],
  ["transpose", [2, 3, 4], (x) => x.transpose(0, 2)],
  ["permute", [2, 3, 4], (x) => x.permute(2, 0, 1)],
  ["unsqueeze", [3, 4], (x) => x.unsqueeze(1)],
  ["squeeze", [3, 1, 4], (x) => x.squeeze()],
  ["squeeze_dim", [3, 1, 4], (x) => x.squeeze(1)],
  ["expand", [3, 1], (x) => x.expand(2, 3, 4)],
  ["expand_as", [4], (x) => x.expand_as(torch.zeros(3, 4))],
  ["narrow", [5, 3], (x) => x.narrow(0, 1, 3)],
  ["select", [3, 4], (x) => x.select(1, 2)],
  ["split", [5, 3], (x) => x.split(2)[1]],
  ["split_sizes_mix", [5, 3], (x) => x.split([2, 3])[0].sum(0).mul(x.split([2, 3])[1])],
  ["chunk", [4, 3], (x) => x.chunk(2, 1)[0]],
  ["unbind", [3, 4], (x) => x.unbind(1)[2].mul(x.unbind(1)[0])],
  ["contiguous", [3, 4], (x) => x.t().contiguous()],
  ["repeat", [2, 3], (x) => x.repeat(2, 1, 2)],
  ["index_int", [3, 4], (x) => x[1]],
  ["index_slice_step", [5, 4], (x) => x.index("1::2", ":3")],
  ["index_ellipsis_none", [2, 3, 4], (x) => x.index("...", null, 1)],
  ["index_list", [4, 3], (x) => x.index([0, 2, 0])],
  ["index_tensor_2d", [4, 3], (x) => x.index(":", torch.tensor([[0, 2], [1, 1]]))],
  ["index_pairs", [3, 4], (x) => x.index([0, 2, 2], [3, 1, 1])],
  [
    "index_mask",
    [3, 4],
    (x) =>
      x.index(
        torch.tensor([[true, false, true, true], [false, false, true, false], [true, true, true, false]]),
      ),
  ],
  ["cat", [2, 3], (x) => torch.cat([x, x.mul(2), torch.ones(1, 3)])],
  ["cat_dim1", [2, 3], (x) => torch.cat([x.exp(), x], 1)],
  ["stack", [2, 3], (x) => torch.stack([x, x.sin()], 2)],
  [
    "view_chain",
    [2, 3, 4],
    (x) => x.permute(2, 0, 1).reshape(4, 6).t().index("1:5").unsqueeze(0).expand(2, 4, 4),
  ],
];

const CATS: [string, number[], number[], F][] = [
  ["cat_two", [2, 3], [1, 3], (a, b) => torch.cat([a, b])],
  ["cat_two_dim1", [2, 3], [2, 2], (a, b) => torch.cat([a, b], 1)],
  ["stack_two", [2, 3], [2, 3], (a, b) => torch.stack([a, b], 1)],
];

/** In-place ops on non-leaves and on views of them (CopySlices), index assignment, copy_/fill_. */
const INPLACE: [string, number[][], F][] = [
  ["add_", [[2, 3], [3]], (x, w) => x.mul(1).add_(w)],
  ["mul_", [[2, 3], [2, 3]], (x, w) => x.clone().mul_(w)],
  ["div_", [[2, 3], [3]], (x, w) => x.clone().div_(w)],
  ["unary_chain_", [[2, 3]], (x) => x.clone().neg_().mul_(2).exp_()],
  ["pow_", [[2, 3]], (x) => x.abs().add(0.5).pow_(1.5)],
  ["clamp_", [[2, 3]], (x) => x.mul(1).clamp_(-0.9, 0.9)],
  ["view_mul_", [[3, 4], [4]], (x, w) => {
    const y = x.clone();
    y[1].mul_(w);
    return y;
  }],
  ["view_of_view_add_", [[3, 4]], (x) => {
    const y = x.mul(2);
    y.t().index("1:3").add_(x.t().index("1:3").square());
    return y;
  }],
  ["view_inplace_read_view", [[3, 4]], (x) => {
    const y = x.mul(2);
    const v = y.index(":", "1:3");
    v.sigmoid_();
    return v;
  }],
  ["setitem_scalar", [[3, 4]], (x) => {
    const y = x.mul(x);
    y.index_put_([1, ":2"], 5);
    return y;
  }],
  ["setitem_tensor", [[3, 4], [4]], (x, w) => {
    const y = x.clone();
    y[2] = w.mul(3);
    return y.mul(y);
  }],
  ["setitem_index_list", [[4, 3], [2, 3]], (x, w) => {
    const y = x.clone();
    y.index_put_([[3, 0]], w);
    return y.exp();
  }],
  ["setitem_mask", [[3, 4]], (x) => {
    const y = x.clone();
    y.index_put_([x.detach().gt(0)], 0);
    return y.mul(x);
  }],
  ["copy_", [[2, 3], [3]], (x, w) => x.clone().copy_(w)],
  ["fill_tensor", [[2, 3], []], (x, w) => x.mul(1).fill_(w).mul(x)],
  ["zero_then_add_", [[2, 3]], (x) => x.clone().zero_().add_(x)],
];

/** The same values with column-major strides (a non-contiguous view of a copy). */
function strided(x: Tensor): Tensor {
  return x.ndim >= 2 ? x.transpose(0, 1).contiguous().transpose(0, 1) : x;
}

// ---- the tests -------------------------------------------------------------------------------

Deno.test("gradcheck: unary ops and scalar operands", async (t) => {
  let seed = 1;
  for (const [name, kind, f] of UNARY) {
    await t.step(name, () => {
      for (const shape of UNARY_SHAPES) {
        gradcheck(`${name} ${JSON.stringify(shape)}`, f, [{ shape, kind }], seed++);
      }
      // a non-contiguous input
      gradcheck(`${name} of a transposed view`, (x) => f(x.t()), [{ shape: [3, 2], kind }], seed++);
    });
  }
});

Deno.test("gradcheck: binary ops with broadcasting", async (t) => {
  let seed = 1000;
  for (const [name, ka, kb, f] of BINARY) {
    await t.step(name, () => {
      for (const [sa, sb] of BINARY_SHAPES) {
        gradcheck(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, f, [
          { shape: sa, kind: ka },
          { shape: sb, kind: kb },
        ], seed++);
        gradcheck(`${name} ${JSON.stringify(sb)} ${JSON.stringify(sa)}`, f, [
          { shape: sb, kind: ka },
          { shape: sa, kind: kb },
        ], seed++);
      }
      // the same tensor on both sides (the second kept in a safe range: |x| + 0.6)
      gradcheck(`${name} (x, x)`, (x) => f(x, x.abs().add(0.6)), [{ shape: [2, 3], kind: ka }], seed++);
    });
  }
});

Deno.test("gradcheck: reductions", async (t) => {
  let seed = 2000;
  for (const [name, shape, kind, f] of REDUCTIONS) {
    await t.step(name, () => {
      gradcheck(name, f, [{ shape, kind }], seed++);
      gradcheck(`${name} of a non-contiguous input`, (x) => f(strided(x.mul(2))), [{ shape, kind }], seed++);
    });
  }
});

Deno.test("gradcheck: matrix products", async (t) => {
  let seed = 3000;
  for (const [name, sa, sb, f] of MATMUL) {
    await t.step(name, () => {
      gradcheck(name, f, [{ shape: sa }, { shape: sb }], seed++);
      // one side without grad
      gradcheck(`${name} (left only)`, (a) => f(a, torch.ones(sb).mul(0.7)), [{ shape: sa }], seed++);
      gradcheck(`${name} (right only)`, (b) => f(torch.ones(sa).mul(-0.3), b), [{ shape: sb }], seed++);
    });
  }
});

Deno.test("gradcheck: views, indexing, cat/stack/split", async (t) => {
  let seed = 4000;
  for (const [name, shape, f] of VIEWS) {
    await t.step(name, () => {
      gradcheck(name, f, [{ shape }], seed++);
      // the view of an intermediate, used twice
      gradcheck(`${name} of an intermediate`, (x) => f(x.mul(1.5)).mul(f(x.sin())), [{ shape }], seed++);
    });
  }
  for (const [name, sa, sb, f] of CATS) {
    await t.step(name, () => gradcheck(name, f, [{ shape: sa }, { shape: sb }], seed++));
  }
});

Deno.test("gradcheck: in-place ops, CopySlices, index assignment", async (t) => {
  let seed = 5000;
  for (const [name, shapes, f] of INPLACE) {
    await t.step(
      name,
      () => gradcheck(name, f, shapes.map((shape) => ({ shape, kind: "away" as Kind })), seed++),
    );
  }
});

Deno.test("gradgradcheck: second derivatives through create_graph", async (t) => {
  const cases: [string, Spec[], F][] = [
    ["exp", [{ shape: [3] }], (x) => x.exp()],
    ["log", [{ shape: [3], kind: "pos" }], (x) => x.log()],
    ["sqrt", [{ shape: [3], kind: "pos" }], (x) => x.sqrt()],
    ["sin_cos", [{ shape: [3] }], (x) => x.sin().mul(x.cos())],
    ["tanh", [{ shape: [3] }], (x) => x.tanh()],
    ["sigmoid", [{ shape: [3] }], (x) => x.sigmoid()],
    ["pow_scalar", [{ shape: [3], kind: "pos" }], (x) => x.pow(3)],
    ["pow_tensor", [{ shape: [3], kind: "pos" }, { shape: [3] }], (a, b) => a.pow(b)],
    ["mul_div", [{ shape: [2, 3] }, { shape: [3], kind: "away" }], (a, b) => a.mul(a).div(b)],
    ["reciprocal", [{ shape: [3], kind: "away" }], (x) => x.reciprocal()],
    ["matmul", [{ shape: [2, 3] }, { shape: [3, 2] }], (a, b) => a.matmul(b).tanh()],
    ["batched_matmul", [{ shape: [2, 2, 3] }, { shape: [3, 2] }], (a, b) => a.matmul(b).square()],
    ["sum_mean", [{ shape: [2, 3] }], (x) => x.square().sum(1, true).mul(x.mean(0))],
    ["std_var", [{ shape: [2, 3] }], (x) => x.std(1).add(x.var())],
    ["prod", [{ shape: [2, 3], kind: "away" }], (x) => x.prod(1)],
    ["max", [{ shape: [2, 3], kind: "distinct" }], (x) => x.square().amax(1).add(x.max())],
    ["views_index", [{ shape: [3, 4] }], (x) => x.t()[1].mul(x.index([0, 2, 2], [1, 1, 3]))],
    ["cat_stack", [{ shape: [2, 3] }], (x) => torch.cat([x.square(), torch.stack([x, x.exp()]).sum(0)])],
    [
      "clamp_where",
      [{ shape: [3], kind: "offint" }],
      (x) => torch.where(x.gt(0), x.square(), x.clamp(-1, 1).exp()) as Tensor,
    ],
    ["inplace_view", [{ shape: [2, 3] }], (x) => {
      const y = x.square();
      y[0].mul_(x[1]);
      return y;
    }],
  ];
  let seed = 6000;
  for (const [name, specs, f] of cases) await t.step(name, () => gradgradcheck(name, f, specs, seed++));
});
