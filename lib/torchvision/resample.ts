/**
 * Image resampling, reproducing the two libraries torchvision calls:
 *
 * - Pillow's `Image.resize` for `Image` inputs (Pillow 9's `Resample.c`: separable convolution with
 *   the filter widened by the scale (antialiasing), 22-bit fixed-point weights on 8-bit pixels,
 *   horizontal pass then vertical; NEAREST goes through Pillow's affine scaler). Bit-exact.
 * - PyTorch's `interpolate` for tensors (`nearest`, `bilinear`, `bicubic` with
 *   `align_corners=False`, and the antialiased bilinear/bicubic), in float32 (equal to PyTorch
 *   within float rounding: its kernels may fuse multiply-adds).
 * @module
 */

/** Pillow's resampling filters (torchvision's InterpolationMode values). */
export type PilFilter = "nearest" | "box" | "bilinear" | "hamming" | "bicubic" | "lanczos";

interface Filter {
  f: (x: number) => number;
  support: number;
}

const F32_054 = Math.fround(0.54);
const F32_046 = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}

const FILTERS: Record<Exclude<PilFilter, "nearest">, Filter> = {
  box: { f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0), support: 0.5 },
  bilinear: {
    f: (x) => {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
    support: 1,
  },
  hamming: {
    f: (x) => {
      if (x < 0) x = -x;
      if (x === 0) return 1;
      if (x >= 1) return 0;
      x *= Math.PI;
      return (Math.sin(x) / x) * (F32_054 + F32_046 * Math.cos(x));
    },
    support: 1,
  },
  bicubic: { f: (x) => cubic(x, -0.5), support: 2 },
  lanczos: { f: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0), support: 3 },
};

function cubic(x: number, a: number): number {
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Coeffs {
  ksize: number;
  /** per output index: first input index, count */
  bounds: Int32Array;
  /** per output index: ksize weights */
  kk: Float64Array;
}

/** Pillow's `precompute_coeffs` (for the whole input: box = [0, inSize]). */
function precompute(inSize: number, outSize: number, filter: Filter): Coeffs {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Float64Array(outSize * ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let ww = 0;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const o = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = filter.f((x + xmin - center + 0.5) * ss);
      kk[o + x] = w;
      ww += w;
    }
    if (ww !== 0) { for (let x = 0; x < xmax; x++) kk[o + x] /= ww; }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Pillow's `normalize_coeffs_8bpc`: weights as 22-bit fixed point, rounded half away from zero. */
function fixedPoint(kk: Float64Array): Int32Array {
  const out = new Int32Array(kk.length);
  for (let i = 0; i < kk.length; i++) {
    const v = kk[i];
    out[i] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
  }
  return out;
}

function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Pillow's `Image.resize(size, filter)` on interleaved 8-bit pixels (`c` channels per pixel).
 *
 * @example
 * ```ts
 * import { pilResize } from "./resample.ts";
 * const out = pilResize(new Uint8Array([0, 100, 200, 255]), 4, 1, 1, 2, 1, "bilinear");
 * ```
 */
export function pilResize(
  src: Uint8Array,
  w: number,
  h: number,
  c: number,
  outW: number,
  outH: number,
  filter: PilFilter,
): Uint8Array {
  if (outW === w && outH === h) return src.slice();
  if (filter === "nearest") return pilNearest(src, w, h, c, outW, outH);
  const f = FILTERS[filter];
  let cur = src;
  const vert = precompute(h, outH, f);
  let vBounds = vert.bounds;
  if (outW !== w) {
    const hor = precompute(w, outW, f);
    const k = fixedPoint(hor.kk);
    // only the rows the vertical pass reads
    const yFirst = vert.bounds[0];
    const yLast = vert.bounds[(outH - 1) * 2] + vert.bounds[(outH - 1) * 2 + 1];
    const rows = yLast - yFirst;
    const tmp = new Uint8Array(rows * outW * c);
    for (let y = 0; y < rows; y++) {
      const rowIn = (y + yFirst) * w * c;
      const rowOut = y * outW * c;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = hor.bounds[xx * 2];
        const xmax = hor.bounds[xx * 2 + 1];
        const ko = xx * hor.ksize;
        for (let ch = 0; ch < c; ch++) {
          let ss = HALF;
          for (let x = 0; x < xmax; x++) ss += src[rowIn + (x + xmin) * c + ch] * k[ko + x];
          tmp[rowOut + xx * c + ch] = clip8(ss);
        }
      }
    }
    vBounds = vert.bounds.slice();
    for (let i = 0; i < outH; i++) vBounds[i * 2] -= yFirst;
    cur = tmp;
  }
  if (outH === h) return cur === src ? src.slice() : cur;
  const k = fixedPoint(vert.kk);
  const out = new Uint8Array(outH * outW * c);
  const rowLen = outW * c;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = vBounds[yy * 2];
    const ymax = vBounds[yy * 2 + 1];
    const ko = yy * vert.ksize;
    for (let i = 0; i < rowLen; i++) {
      let ss = HALF;
      for (let y = 0; y < ymax; y++) ss += cur[(y + ymin) * rowLen + i] * k[ko + y];
      out[yy * rowLen + i] = clip8(ss);
    }
  }
  return out;
}

/** Pillow's NEAREST resize: its affine scaler, sampling pixel centres with accumulated steps. */
function pilNearest(
  src: Uint8Array,
  w: number,
  h: number,
  c: number,
  outW: number,
  outH: number,
): Uint8Array {
  const ax = w / outW;
  const ay = h / outH;
  const xin = new Int32Array(outW).fill(-1);
  let xo = ax * 0.5;
  for (let x = 0; x < outW; x++) {
    const xi = xo < 0 ? -1 : Math.trunc(xo);
    if (xi >= 0 && xi < w) xin[x] = xi;
    xo += ax;
  }
  const out = new Uint8Array(outW * outH * c);
  let yo = ay * 0.5;
  for (let y = 0; y < outH; y++) {
    const yi = yo < 0 ? -1 : Math.trunc(yo);
    if (yi >= 0 && yi < h) {
      for (let x = 0; x < outW; x++) {
        if (xin[x] < 0) continue;
        const s = (yi * w + xin[x]) * c;
        const d = (y * outW + x) * c;
        for (let ch = 0; ch < c; ch++) out[d + ch] = src[s + ch];
      }
    }
    yo += ay;
  }
  return out;
}

/** Tensor interpolation modes torchvision's `resize` passes to `interpolate`. */
export type TorchMode = "nearest" | "bilinear" | "bicubic";

const fr = Math.fround;

/** One output index's source taps and weights along one axis. */
interface Taps {
  idx: Int32Array; // n * taps
  w: Float32Array; // n * taps
  taps: number;
}

function linearTaps(inSize: number, outSize: number): Taps {
  const idx = new Int32Array(outSize * 2);
  const w = new Float32Array(outSize * 2);
  const scale = fr(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    let i0: number, i1: number, l0: number, l1: number;
    if (inSize === outSize) {
      i0 = i1 = o;
      l0 = 1;
      l1 = 0;
    } else {
      let real = fr(scale * (o + 0.5) - 0.5);
      if (real < 0) real = 0;
      i0 = Math.trunc(real);
      i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
      l1 = Math.min(Math.max(fr(real - i0), 0), 1);
      l0 = fr(1 - l1);
    }
    idx[o * 2] = i0;
    idx[o * 2 + 1] = i1;
    w[o * 2] = l0;
    w[o * 2 + 1] = l1;
  }
  return { idx, w, taps: 2 };
}

function nearestTaps(inSize: number, outSize: number): Taps {
  const idx = new Int32Array(outSize);
  const w = new Float32Array(outSize).fill(1);
  const scale = fr(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    if (outSize === inSize) idx[o] = o;
    else if (outSize === 2 * inSize) idx[o] = o >> 1;
    else idx[o] = Math.min(Math.floor(fr(o * scale)), inSize - 1);
  }
  return { idx, w, taps: 1 };
}

function cubicTaps(inSize: number, outSize: number): Taps {
  const A = -0.75;
  const cc1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const cc2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  const idx = new Int32Array(outSize * 4);
  const w = new Float32Array(outSize * 4);
  const scale = fr(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    const real = fr(scale * (o + 0.5) - 0.5);
    const i = Math.floor(real);
    const t = fr(real - i);
    const ws = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
    for (let k = 0; k < 4; k++) {
      idx[o * 4 + k] = Math.min(Math.max(i - 1 + k, 0), inSize - 1);
      w[o * 4 + k] = ws[k];
    }
  }
  return { idx, w, taps: 4 };
}

/** PyTorch's antialiased weights (`_upsample_*_aa`): Pillow's filter widened by the scale, in float. */
function aaTaps(inSize: number, outSize: number, mode: "bilinear" | "bicubic"): Taps {
  const filter = mode === "bilinear" ? FILTERS.bilinear : { f: (x: number) => cubic(x, -0.5), support: 2 };
  const c = precompute(inSize, outSize, filter);
  const idx = new Int32Array(outSize * c.ksize);
  const w = new Float32Array(outSize * c.ksize);
  for (let o = 0; o < outSize; o++) {
    const xmin = c.bounds[o * 2];
    const n = c.bounds[o * 2 + 1];
    for (let k = 0; k < c.ksize; k++) {
      idx[o * c.ksize + k] = Math.min(xmin + k, inSize - 1);
      w[o * c.ksize + k] = k < n ? c.kk[o * c.ksize + k] : 0;
    }
  }
  return { idx, w, taps: c.ksize };
}

function tapsFor(inSize: number, outSize: number, mode: TorchMode, antialias: boolean): Taps {
  if (mode === "nearest") return nearestTaps(inSize, outSize);
  if (antialias) return aaTaps(inSize, outSize, mode);
  return mode === "bilinear" ? linearTaps(inSize, outSize) : cubicTaps(inSize, outSize);
}

/**
 * PyTorch's `interpolate(x, size=(outH, outW), mode, align_corners=False, antialias)` on
 * `planes` row-major planes of h×w float32 values.
 */
export function torchResize(
  src: Float32Array,
  planes: number,
  h: number,
  w: number,
  outH: number,
  outW: number,
  mode: TorchMode,
  antialias = false,
): Float32Array {
  const tx = tapsFor(w, outW, mode, antialias);
  const ty = tapsFor(h, outH, mode, antialias);
  const out = new Float32Array(planes * outH * outW);
  const row = new Float64Array(ty.taps);
  for (let p = 0; p < planes; p++) {
    const so = p * h * w;
    const oo = p * outH * outW;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        // PyTorch evaluates rows first (inner dimension), then combines them along the height.
        for (let ky = 0; ky < ty.taps; ky++) {
          const r = so + ty.idx[oy * ty.taps + ky] * w;
          let acc = 0;
          for (let kx = 0; kx < tx.taps; kx++) {
            acc = fr(acc + fr(src[r + tx.idx[ox * tx.taps + kx]] * tx.w[ox * tx.taps + kx]));
          }
          row[ky] = acc;
        }
        let v = 0;
        for (let ky = 0; ky < ty.taps; ky++) v = fr(v + fr(row[ky] * ty.w[oy * ty.taps + ky]));
        out[oo + oy * outW + ox] = v;
      }
    }
  }
  return out;
}
