/**
 * `torchvision.utils.make_grid` and `save_image` (PNG), and `imshow`: a tensor image drawn in the
 * terminal with 24-bit colour half blocks (`▀`: the top pixel is the foreground colour, the one
 * below the background), two pixel rows per text line.
 * @module
 */
import { Tensor } from "../tensor/tensor.ts";
import { float32 } from "../tensor/dtype.ts";
import { torch } from "../torch.ts";
import { TorchTypeError, ValueError } from "../errors.ts";
import { isKw } from "../tensor/dispatch.ts";
import { hostValues, typedTensor, typeName } from "../data/host.ts";
import { Image, isImage, writeFileAtomic } from "./image.ts";
import { encodePNG } from "./png.ts";
import { pilResize } from "./resample.ts";

/** Options of {@link make_grid}, torchvision's keyword arguments. */
export interface MakeGridOptions {
  nrow?: number;
  padding?: number;
  normalize?: boolean;
  value_range?: [number, number] | null;
  scale_each?: boolean;
  pad_value?: number;
}

const GRID_ARGS = ["nrow", "padding", "normalize", "value_range", "scale_each", "pad_value"] as const;

function gridOptions(rest: unknown[]): MakeGridOptions {
  const o: Record<string, unknown> = {};
  const last = rest[rest.length - 1];
  const pos = isKw(last) ? rest.slice(0, -1) : rest;
  pos.forEach((v, i) => (o[GRID_ARGS[i]] = v));
  if (isKw(last)) Object.assign(o, last);
  return o as MakeGridOptions;
}

/**
 * Tiles a batch of images `(B, C, H, W)` (or a list of `(C, H, W)`) into one image `(C, H', W')`,
 * `nrow` per row with `padding` pixels of `pad_value` between them; one-channel images become
 * three-channel. `normalize` rescales to [0, 1] by `value_range` (default: the min and max).
 *
 * @example
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { make_grid } from "./utils.ts";
 * make_grid(torch.rand(4, 3, 32, 32)).shape; // torch.Size([3, 36, 138])
 * ```
 */
export function make_grid(tensor: Tensor | Tensor[], ...rest: unknown[]): Tensor {
  const o = gridOptions(rest);
  const nrow = o.nrow ?? 8;
  const padding = o.padding ?? 2;
  const padValue = o.pad_value ?? 0;
  if (Array.isArray(tensor)) tensor = torch.stack(tensor, 0);
  if (!(tensor instanceof Tensor)) {
    throw new TorchTypeError(`tensor or list of tensors expected, got ${typeName(tensor)}`);
  }
  let shape = [...tensor.shape];
  let values = hostValues(tensor);
  if (shape.length === 2) shape = [1, ...shape];
  if (shape.length === 3) shape = [1, ...shape];
  if (shape.length !== 4) {
    throw new ValueError(
      `make_grid expects images of shape (B, C, H, W), (C, H, W) or (H, W), got ${tensor.shape}`,
    );
  }
  let [b, c, h, w] = shape;
  if (c === 1) {
    // single-channel images become three-channel
    const out = new (values.constructor as Float32ArrayConstructor)(b * 3 * h * w);
    for (let i = 0; i < b; i++) {
      const src = values.subarray(i * h * w, (i + 1) * h * w);
      for (let k = 0; k < 3; k++) out.set(src as Float32Array, (i * 3 + k) * h * w);
    }
    values = out;
    c = 3;
  }
  if (o.normalize) {
    if (o.value_range != null && (!Array.isArray(o.value_range) || o.value_range.length !== 2)) {
      throw new TorchTypeError(
        "value_range has to be a tuple (min, max) if specified. min and max are numbers",
      );
    }
    const f = Float32Array.from(values);
    const norm = (lo: number, hi: number, a: number, z: number) => {
      const l = Math.fround(lo);
      const d = Math.fround(Math.max(hi - lo, 1e-5));
      for (let i = a; i < z; i++) {
        const x = Math.min(Math.max(f[i], l), Math.fround(hi));
        f[i] = Math.fround(Math.fround(x - l) / d);
      }
    };
    const range = (a: number, z: number) => {
      if (o.value_range) return norm(o.value_range[0], o.value_range[1], a, z);
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = a; i < z; i++) {
        if (f[i] < lo) lo = f[i];
        if (f[i] > hi) hi = f[i];
      }
      norm(lo, hi, a, z);
    };
    if (o.scale_each) { for (let i = 0; i < b; i++) range(i * c * h * w, (i + 1) * c * h * w); }
    else range(0, f.length);
    values = f;
  }
  const dt = o.normalize ? float32 : tensor.dtype;
  if (b === 1) return typedTensor(values, [c, h, w], dt);
  const xmaps = Math.min(nrow, b);
  const ymaps = Math.ceil(b / xmaps);
  const H = h + padding;
  const W = w + padding;
  const gh = H * ymaps + padding;
  const gw = W * xmaps + padding;
  const grid = new (values.constructor as Float32ArrayConstructor)(c * gh * gw).fill(padValue);
  let k = 0;
  for (let y = 0; y < ymaps && k < b; y++) {
    for (let x = 0; x < xmaps && k < b; x++, k++) {
      for (let ch = 0; ch < c; ch++) {
        for (let r = 0; r < h; r++) {
          const src = ((k * c + ch) * h + r) * w;
          const dst = (ch * gh + y * H + padding + r) * gw + x * W + padding;
          grid.set(values.subarray(src, src + w) as Float32Array, dst);
        }
      }
    }
  }
  return typedTensor(grid, [c, gh, gw], dt);
}

/** Bytes of a float image as `save_image` makes them: `x * 255 + 0.5`, clamped, truncated. */
function toBytes(v: ArrayLike<number>, isFloat: boolean): Uint8Array {
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = isFloat ? Math.fround(Math.fround(v[i] * 255) + 0.5) : v[i];
    out[i] = x >= 255 ? 255 : x > 0 ? Math.trunc(x) : 0; // NaN -> 0
  }
  return out;
}

function chwToHwc(v: Uint8Array, c: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(v.length);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i * c + k] = v[k * h * w + i];
  return out;
}

/**
 * Saves a tensor image, or a batch as a grid, to a PNG file: `save_image(tensor, fp, format?, opts?)`
 * where `opts` takes {@link make_grid}'s options (and `format`). Written to a temporary file first,
 * then renamed.
 */
export function save_image(
  tensor: Tensor | Tensor[],
  fp: string,
  format?: string | null | (MakeGridOptions & { format?: string | null }),
  opts: MakeGridOptions = {},
): void {
  let fmt: string | null = null;
  if (isKw(format)) [fmt, opts] = [(format as { format?: string }).format ?? null, format];
  else fmt = (format as string | null | undefined) ?? null;
  const { format: _, ...grid } = opts as MakeGridOptions & { format?: string };
  if (typeof fp !== "string") throw new TorchTypeError("fp should be a file path (a string)");
  if ((fmt && fmt.toLowerCase() !== "png") || (!fmt && !/\.png$/i.test(fp))) {
    throw new ValueError(`only PNG is supported here: use a file name ending in .png (got ${fp})`);
  }
  const g = make_grid(tensor, grid);
  const [c, h, w] = g.shape;
  if (c !== 1 && c !== 3 && c !== 4) throw new ValueError(`cannot save an image with ${c} channels`);
  const bytes = toBytes(hostValues(g), g.dtype === float32);
  writeFileAtomic(fp, encodePNG(chwToHwc(bytes, c, h, w), w, h, c as 1 | 3 | 4));
}

/** Where {@link imshow} writes: anything with Deno's `writeSync`. */
export interface Writer {
  writeSync(p: Uint8Array): number;
  isTerminal?(): boolean;
}

/** Options of {@link imshow}. */
export interface ImshowOptions {
  /** Where to draw (default `Deno.stdout`). */
  stream?: Writer;
  /** Widest drawing in columns (default: the terminal's width when drawing to one, else the image's). */
  width?: number;
  /** Enlarge by this integer factor first (nearest neighbour). */
  scale?: number;
}

/** HWC bytes of what `imshow` accepts, with its size. */
function imageBytes(img: Tensor | Image): { px: Uint8Array; h: number; w: number; c: number } {
  if (isImage(img)) return { px: img.data, h: img.height, w: img.width, c: img.channels };
  if (!(img instanceof Tensor)) {
    throw new TorchTypeError(`imshow expects a Tensor or an Image, got ${typeName(img)}`);
  }
  const s = [...img.shape];
  const bad = () =>
    new TorchTypeError(
      `Invalid shape (${
        s.join(", ")
      }) for image data: imshow takes (3, H, W), (1, H, W), (H, W, 3) or (H, W)` +
        (s.length === 4 ? "; for a batch, draw imshow(torchvision.utils.make_grid(images))" : ""),
    );
  let h: number, w: number, c: number, chw: boolean;
  if (s.length === 2) [h, w, c, chw] = [s[0], s[1], 1, true];
  else if (s.length === 3 && (s[0] === 1 || s[0] === 3)) [c, h, w, chw] = [s[0], s[1], s[2], true];
  else if (s.length === 3 && (s[2] === 1 || s[2] === 3)) [h, w, c, chw] = [s[0], s[1], s[2], false];
  else throw bad();
  if (h === 0 || w === 0) throw bad();
  const v = hostValues(img);
  const isFloat = img.dtype === float32;
  const px = new Uint8Array(h * w * c);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < c; k++) {
      // matplotlib clips floats to [0, 1] and integers to [0, 255]
      const x = chw ? v[k * h * w + i] : v[i * c + k];
      const y = isFloat ? (x > 0 ? (x < 1 ? x * 255 : 255) : 0) : (x > 0 ? (x < 255 ? x : 255) : 0);
      px[i * c + k] = Math.round(y);
    }
  }
  return { px, h, w, c };
}

function terminalColumns(stream: Writer): number | null {
  try {
    if (stream === Deno.stdout && Deno.stdout.isTerminal()) return Deno.consoleSize().columns;
  } catch { /* not a terminal */ }
  return null;
}

/**
 * Draws an image in the terminal: a tensor `(3, H, W)`, `(1, H, W)`, `(H, W, 3)` or `(H, W)`
 * (floats in [0, 1], integers in [0, 255], clipped as matplotlib clips), or an `Image`. Each text
 * line shows two pixel rows with 24-bit colours. Images wider than the terminal are scaled down.
 *
 * @example
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { imshow, make_grid } from "./utils.ts";
 * const out: Uint8Array[] = [];
 * imshow(make_grid(torch.rand(4, 3, 8, 8)), { stream: { writeSync: (b) => (out.push(b), b.length) } });
 * ```
 */
export function imshow(img: Tensor | Image, opts: ImshowOptions = {}): void {
  const stream = opts.stream ?? Deno.stdout;
  let { px, h, w, c } = imageBytes(img);
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1) {
    throw new ValueError(`scale must be a positive integer, got ${scale}`);
  }
  if (scale > 1) {
    px = pilResize(px, w, h, c, w * scale, h * scale, "nearest");
    [w, h] = [w * scale, h * scale];
  }
  const maxCols = opts.width ?? terminalColumns(stream) ?? w;
  if (!(maxCols >= 1)) throw new ValueError(`width must be positive, got ${maxCols}`);
  if (w > maxCols) {
    const nw = Math.floor(maxCols);
    const nh = Math.max(1, Math.round((h * nw) / w));
    px = pilResize(px, w, h, c, nw, nh, "bilinear");
    [w, h] = [nw, nh];
  }
  const rgb = (y: number, x: number) => {
    const o = (y * w + x) * c;
    return c === 1 ? `${px[o]};${px[o]};${px[o]}` : `${px[o]};${px[o + 1]};${px[o + 2]}`;
  };
  const lines: string[] = [];
  for (let y = 0; y < h; y += 2) {
    let line = "";
    let fg = "";
    let bg = "";
    for (let x = 0; x < w; x++) {
      const top = rgb(y, x);
      if (top !== fg) {
        line += `\x1b[38;2;${top}m`;
        fg = top;
      }
      if (y + 1 < h) {
        const bottom = rgb(y + 1, x);
        if (bottom !== bg) {
          line += `\x1b[48;2;${bottom}m`;
          bg = bottom;
        }
      } else if (bg !== "none") {
        line += "\x1b[49m";
        bg = "none";
      }
      line += "▀";
    }
    lines.push(line + "\x1b[0m\n");
  }
  stream.writeSync(new TextEncoder().encode(lines.join("")));
}

/** The `torchvision.utils` namespace. */
export const utils = { make_grid, save_image, imshow };
