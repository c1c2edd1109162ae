/**
 * `torchvision.transforms.functional`: the operations behind the transform classes, on an
 * {@link Image} (computed as Pillow computes them) or on a tensor `[..., C, H, W]` (as torchvision's
 * tensor path computes them).
 *
 * Tensor results of `pad`, `resize`, `hflip`, `vflip` and out-of-bounds `crop` are new tensors
 * computed from the values (no autograd history); in-bounds `crop` is a view, as in PyTorch.
 * @module
 */
import { Tensor } from "../tensor/tensor.ts";
import { float32 } from "../tensor/dtype.ts";
import { torch } from "../torch.ts";
import { RuntimeError, TorchTypeError, ValueError } from "../errors.ts";
import { floatTensor, hostValues, typedTensor, typeName } from "../data/host.ts";
import { Image, isImage, PIL_FILTERS } from "./image.ts";
import { type PilFilter, pilResize, torchResize } from "./resample.ts";

/** An image as transforms take it. */
export type ImageLike = Image | Tensor;

/** torchvision's `InterpolationMode` (its values are the names). */
export const InterpolationMode = {
  NEAREST: "nearest",
  BILINEAR: "bilinear",
  BICUBIC: "bicubic",
  BOX: "box",
  HAMMING: "hamming",
  LANCZOS: "lanczos",
} as const;
/** One of {@link InterpolationMode}'s values. */
export type InterpolationMode = typeof InterpolationMode[keyof typeof InterpolationMode];

/** Accepts an InterpolationMode value or one of Pillow's integer constants (deprecated in torchvision). */
export function toInterpolation(x: unknown): InterpolationMode {
  if (typeof x === "number" && x in PIL_FILTERS) return PIL_FILTERS[x];
  if (typeof x === "string" && Object.values(InterpolationMode).includes(x as InterpolationMode)) {
    return x as InterpolationMode;
  }
  throw new TorchTypeError("Argument interpolation should be a InterpolationMode");
}

function checkImageTensor(t: Tensor): void {
  if (t.dim() < 2) throw new TorchTypeError("Tensor is not a torch image.");
}

function notImage(x: unknown, what = "img"): never {
  throw new TorchTypeError(`${what} should be PIL Image or Tensor. Got ${typeName(x)}`);
}

/** `[channels, height, width]` of an image or image tensor. */
export function get_dimensions(img: ImageLike): [number, number, number] {
  if (isImage(img)) return [img.channels, img.height, img.width];
  if (img instanceof Tensor) {
    checkImageTensor(img);
    const s = img.shape;
    return [s.length === 2 ? 1 : s[s.length - 3], s[s.length - 2], s[s.length - 1]];
  }
  notImage(img);
}

/** `[width, height]`. */
export function get_image_size(img: ImageLike): [number, number] {
  const [, h, w] = get_dimensions(img);
  return [w, h];
}

const BYTE_TO_UNIT = (() => {
  const t = new Float32Array(256);
  for (let i = 0; i < 256; i++) t[i] = i / 255; // float32 division, correctly rounded
  return t;
})();

/** `to_tensor(pic)`: an `Image` (HWC bytes) as a float32 tensor `[C, H, W]` in [0, 1]. */
export function to_tensor(pic: Image): Tensor {
  if (!isImage(pic)) {
    throw new TorchTypeError(`pic should be PIL Image or ndarray. Got ${typeName(pic)}`);
  }
  const { width: w, height: h, data } = pic;
  const c = pic.channels;
  const n = w * h;
  const out = new Float32Array(c * n);
  if (c === 1) {
    for (let i = 0; i < n; i++) out[i] = BYTE_TO_UNIT[data[i]];
  } else {
    for (let k = 0; k < c; k++) {
      const o = k * n;
      for (let i = 0, s = k; i < n; i++, s += c) out[o + i] = BYTE_TO_UNIT[data[s]];
    }
  }
  return floatTensor(out, [c, h, w]);
}

/**
 * `normalize(to_tensor(pic), mean, std)` (then any further mean/std pairs) computed on the pixels
 * before one tensor is made: the same float32 arithmetic, without the intermediate tensors.
 */
export function to_normalized_tensor(pic: Image, stats: [number[], number[]][]): Tensor {
  const { width: w, height: h, data } = pic;
  const c = pic.channels;
  const n = w * h;
  const f32 = Math.fround;
  for (const [mean, std] of stats) {
    for (const v of [mean, std]) {
      if (v.length !== 1 && v.length !== c) {
        throw new RuntimeError(
          `output with shape [${c}, ${h}, ${w}] doesn't match the broadcast shape [${v.length}, ${h}, ${w}]`,
        );
      }
    }
    if (std.some((x) => f32(x) === 0)) {
      throw new ValueError(
        "std evaluated to zero after conversion to torch.float32, leading to division by zero.",
      );
    }
  }
  const out = new Float32Array(c * n);
  for (let k = 0; k < c; k++) {
    const lut = Float32Array.from(BYTE_TO_UNIT);
    for (const [mean, std] of stats) {
      const m = f32(mean.length === 1 ? mean[0] : mean[k]);
      const sd = f32(std.length === 1 ? std[0] : std[k]);
      for (let i = 0; i < 256; i++) lut[i] = f32(f32(lut[i] - m) / sd);
    }
    const o = k * n;
    for (let i = 0, s = k; i < n; i++, s += c) out[o + i] = lut[data[s]];
  }
  return floatTensor(out, [c, h, w]);
}

/**
 * `to_pil_image(pic, mode)`: a float tensor `[C, H, W]` or `[H, W]` (values in [0, 1]) as an
 * `Image`, through PyTorch's `pic.mul(255).byte()` (so out-of-range values wrap as there).
 */
export function to_pil_image(pic: Tensor | Image, mode?: string | null): Image {
  if (isImage(pic)) {
    if (mode && mode !== pic.mode) return pic.convert(mode as "L" | "RGB");
    return pic;
  }
  if (!(pic instanceof Tensor)) {
    throw new TorchTypeError(`pic should be Tensor or ndarray. Got ${typeName(pic)}.`);
  }
  if (pic.dim() !== 2 && pic.dim() !== 3) {
    throw new ValueError(`pic should be 2/3 dimensional. Got ${pic.dim()} dimensions.`);
  }
  const t = pic.dim() === 2 ? pic.unsqueeze(0) : pic;
  const c = t.size(0);
  if (c > 4) {
    throw new ValueError(`pic should not have > 4 channels. Got ${c} channels.`);
  }
  const want = c === 1 ? "L" : c === 3 ? "RGB" : null;
  if (want === null) throw new ValueError(`${c}-channel images are not supported here (only L and RGB)`);
  if (mode && mode !== want) {
    throw new ValueError(`Incorrect mode (${mode}) supplied for input type with ${c} channels`);
  }
  const h = t.size(1);
  const w = t.size(2);
  const v = hostValues(t);
  const isFloat = t.dtype === float32;
  if (!isFloat && !(v instanceof Int32Array)) {
    throw new TorchTypeError(`Input type ${t.dtype} is not supported`);
  }
  const n = h * w;
  const out = new Uint8Array(n * c);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < n; i++) {
      const x = isFloat ? Math.fround(v[k * n + i] * 255) : v[k * n + i];
      out[i * c + k] = Number.isFinite(x) ? Math.trunc(x) & 255 : 0;
    }
  }
  return new Image(out, w, h, want);
}

/** Mean and std as `[C, 1, 1]` tensors for a tensor of `like`'s device. */
export function normStats(mean: number[], std: number[], like: Tensor): [Tensor, Tensor] {
  if (std.some((s) => Math.fround(s) === 0)) {
    throw new ValueError(
      `std evaluated to zero after conversion to ${like.dtype}, leading to division by zero.`,
    );
  }
  const dev = like.device;
  const m = torch.tensor(Float32Array.from(mean), { device: dev }).view(-1, 1, 1);
  const s = torch.tensor(Float32Array.from(std), { device: dev }).view(-1, 1, 1);
  return [m, s];
}

/**
 * `normalize(tensor, mean, std, inplace=False)`: `(tensor - mean[c]) / std[c]` per channel.
 * Differentiable; `inplace` writes into `tensor`.
 */
export function normalize(
  tensor: Tensor,
  mean: number[],
  std: number[],
  inplace = false,
  stats?: [Tensor, Tensor],
): Tensor {
  if (!(tensor instanceof Tensor)) {
    throw new TorchTypeError(`img should be Tensor Image. Got ${typeName(tensor)}`);
  }
  checkImageTensor(tensor);
  if (!tensor.is_floating_point()) {
    throw new TorchTypeError(`Input tensor should be a float tensor. Got ${tensor.dtype}.`);
  }
  if (tensor.dim() < 3) {
    throw new ValueError(
      `Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = ${tensor.shape}`,
    );
  }
  const c = tensor.size(-3);
  for (const v of [mean, std]) {
    if (v.length !== 1 && v.length !== c) {
      const shape = [...tensor.shape];
      const b = [...shape];
      b[b.length - 3] = v.length;
      throw new RuntimeError(
        `output with shape [${shape.join(", ")}] doesn't match the broadcast shape [${b.join(", ")}]`,
      );
    }
  }
  const [m, s] = stats ?? normStats(mean, std, tensor);
  return inplace ? tensor.sub_(m).div_(s) : tensor.sub(m).div(s);
}

// ---- host-side geometry on tensors ------------------------------------------------------------

interface Planes {
  data: Float32Array | Int32Array | Uint8Array;
  lead: number[];
  planes: number;
  h: number;
  w: number;
}

function planesOf(t: Tensor): Planes {
  checkImageTensor(t);
  const s = [...t.shape];
  const h = s[s.length - 2];
  const w = s[s.length - 1];
  const lead = s.slice(0, -2);
  return { data: hostValues(t), lead, planes: lead.reduce((a, b) => a * b, 1), h, w };
}

function fromPlanes(
  t: Tensor,
  data: Float32Array | Int32Array | Uint8Array,
  lead: number[],
  h: number,
  w: number,
): Tensor {
  return typedTensor(data, [...lead, h, w], t.dtype);
}

function emptyLike(
  data: Float32Array | Int32Array | Uint8Array,
  n: number,
): Float32Array | Int32Array | Uint8Array {
  return data instanceof Float32Array
    ? new Float32Array(n)
    : data instanceof Int32Array
    ? new Int32Array(n)
    : new Uint8Array(n);
}

/** Horizontal flip. */
export function hflip(img: ImageLike): ImageLike {
  if (isImage(img)) return img.transpose(Image.FLIP_LEFT_RIGHT);
  if (!(img instanceof Tensor)) notImage(img);
  const { data, lead, planes, h, w } = planesOf(img);
  const out = emptyLike(data, data.length);
  for (let r = 0; r < planes * h; r++) {
    const o = r * w;
    for (let x = 0; x < w; x++) out[o + x] = data[o + w - 1 - x];
  }
  return fromPlanes(img, out, lead, h, w);
}

/** Vertical flip. */
export function vflip(img: ImageLike): ImageLike {
  if (isImage(img)) return img.transpose(Image.FLIP_TOP_BOTTOM);
  if (!(img instanceof Tensor)) notImage(img);
  const { data, lead, planes, h, w } = planesOf(img);
  const out = emptyLike(data, data.length);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < h; y++) {
      out.set(data.subarray((p * h + y) * w, (p * h + y + 1) * w), (p * h + h - 1 - y) * w);
    }
  }
  return fromPlanes(img, out, lead, h, w);
}

/** Padding modes of {@link pad}. */
export type PaddingMode = "constant" | "edge" | "reflect" | "symmetric";

/** `[left, top, right, bottom]` from torchvision's padding forms (int, [all], [lr, tb], [l, t, r, b]). */
export function parsePadding(padding: number | number[]): [number, number, number, number] {
  if (typeof padding === "number") {
    if (!Number.isInteger(padding)) throw new TorchTypeError("Got inappropriate padding arg");
    return [padding, padding, padding, padding];
  }
  if (!Array.isArray(padding)) throw new TorchTypeError("Got inappropriate padding arg");
  if (![1, 2, 4].includes(padding.length)) {
    throw new ValueError(
      `Padding must be an int or a 1, 2, or 4 element tuple, not a ${padding.length} element tuple`,
    );
  }
  if (padding.length === 1) return [padding[0], padding[0], padding[0], padding[0]];
  if (padding.length === 2) return [padding[0], padding[1], padding[0], padding[1]];
  return [padding[0], padding[1], padding[2], padding[3]];
}

/** Source index for output index `i` of a padded axis of length n (i counted from -before), or -1. */
function padIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case "constant":
      return -1;
    case "edge":
      return i < 0 ? 0 : n - 1;
    case "reflect": {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const j = ((i % period) + period) % period;
      return j < n ? j : period - j;
    }
    case "symmetric": {
      const period = 2 * n;
      const j = ((i % period) + period) % period;
      return j < n ? j : period - 1 - j;
    }
  }
}

/**
 * `pad(img, padding, fill=0, padding_mode="constant")`: padding is an int, `[all]`,
 * `[left/right, top/bottom]` or `[left, top, right, bottom]`; negative values crop.
 */
export function pad(
  img: ImageLike,
  padding: number | number[],
  fill: number | number[] = 0,
  padding_mode: PaddingMode = "constant",
): ImageLike {
  if (!isImage(img) && !(img instanceof Tensor)) notImage(img);
  if (!["constant", "edge", "reflect", "symmetric"].includes(padding_mode)) {
    throw new ValueError("Padding mode should be either constant, edge, reflect or symmetric");
  }
  const [l, t, r, b] = parsePadding(padding);
  if (isImage(img)) {
    const c = img.channels;
    const fills = typeof fill === "number" ? Array(c).fill(Math.trunc(fill)) : fill.map(Math.trunc);
    if (fills.length !== c) {
      throw new ValueError(
        `The number of elements in 'fill' does not match the number of channels of the image (${fills.length} != ${c})`,
      );
    }
    const { width: w, height: h, data } = img;
    const ow = w + l + r;
    const oh = h + t + b;
    if (ow < 0 || oh < 0) throw new ValueError("padding crops the whole image");
    const out = new Uint8Array(ow * oh * c);
    for (let y = 0; y < oh; y++) {
      const sy = padIndex(y - t, h, padding_mode);
      for (let x = 0; x < ow; x++) {
        const sx = padIndex(x - l, w, padding_mode);
        const d = (y * ow + x) * c;
        if (sy < 0 || sx < 0) { for (let k = 0; k < c; k++) out[d + k] = fills[k]; }
        else {
          const s = (sy * w + sx) * c;
          for (let k = 0; k < c; k++) out[d + k] = data[s + k];
        }
      }
    }
    return new Image(out, ow, oh, img.mode);
  }
  if (typeof fill !== "number") throw new TorchTypeError("Got inappropriate fill arg");
  const { data, lead, planes, h, w } = planesOf(img);
  const ow = w + l + r;
  const oh = h + t + b;
  if (ow < 0 || oh < 0) throw new ValueError("padding crops the whole image");
  const out = emptyLike(data, planes * ow * oh);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < oh; y++) {
      const sy = padIndex(y - t, h, padding_mode);
      for (let x = 0; x < ow; x++) {
        const sx = padIndex(x - l, w, padding_mode);
        out[(p * oh + y) * ow + x] = sy < 0 || sx < 0 ? fill : data[(p * h + sy) * w + sx];
      }
    }
  }
  return fromPlanes(img, out, lead, oh, ow);
}

/** `crop(img, top, left, height, width)`: outside the image is zero (tensors: a view when inside). */
export function crop(img: ImageLike, top: number, left: number, height: number, width: number): ImageLike {
  if (isImage(img)) return img.crop([left, top, left + width, top + height]);
  if (!(img instanceof Tensor)) notImage(img);
  const [, h, w] = get_dimensions(img);
  const right = left + width;
  const bottom = top + height;
  if (left < 0 || top < 0 || right > w || bottom > h) {
    const padding = [
      Math.max(-left + Math.min(0, right), 0),
      Math.max(-top + Math.min(0, bottom), 0),
      Math.max(right - Math.max(w, left), 0),
      Math.max(bottom - Math.max(h, top), 0),
    ];
    const t0 = Math.max(top, 0);
    const l0 = Math.max(left, 0);
    const inner = img.narrow(-2, Math.min(t0, h), Math.max(0, Math.min(bottom, h) - Math.min(t0, h)))
      .narrow(-1, Math.min(l0, w), Math.max(0, Math.min(right, w) - Math.min(l0, w)));
    return pad(inner, padding, 0);
  }
  return img.narrow(-2, top, height).narrow(-1, left, width);
}

/** Python's `round()` (half to even). */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** `[h, w]` from an int or a 1- or 2-sequence. */
export function setupSize(size: number | number[], msg: string): [number, number] {
  if (typeof size === "number") return [Math.trunc(size), Math.trunc(size)];
  if (Array.isArray(size) && size.length === 1) return [size[0], size[0]];
  if (!Array.isArray(size) || size.length !== 2) throw new ValueError(msg);
  return [size[0], size[1]];
}

/** `center_crop(img, output_size)`: pads with zeros first when the crop is larger than the image. */
export function center_crop(img: ImageLike, output_size: number | number[]): ImageLike {
  const [ch, cw] = typeof output_size === "number"
    ? [Math.trunc(output_size), Math.trunc(output_size)]
    : output_size.length === 1
    ? [output_size[0], output_size[0]]
    : [output_size[0], output_size[1]];
  let [, h, w] = get_dimensions(img);
  if (cw > w || ch > h) {
    const padding = [
      cw > w ? Math.floor((cw - w) / 2) : 0,
      ch > h ? Math.floor((ch - h) / 2) : 0,
      cw > w ? Math.floor((cw - w + 1) / 2) : 0,
      ch > h ? Math.floor((ch - h + 1) / 2) : 0,
    ];
    img = pad(img, padding, 0);
    [, h, w] = get_dimensions(img);
    if (cw === w && ch === h) return img;
  }
  const top = Math.trunc(pyRound((h - ch) / 2));
  const left = Math.trunc(pyRound((w - cw) / 2));
  return crop(img, top, left, ch, cw);
}

/** torchvision's `_compute_resized_output_size`: `[new_h, new_w]`. */
export function resizedSize(h: number, w: number, size: number[], max_size: number | null): [number, number] {
  if (size.length === 1) {
    const [short, long] = w <= h ? [w, h] : [h, w];
    const requested = size[0];
    let newShort = requested;
    let newLong = Math.trunc((requested * long) / short);
    if (max_size !== null && max_size !== undefined) {
      if (max_size <= requested) {
        throw new ValueError(
          `max_size = ${max_size} must be strictly greater than the requested size for the smaller edge size = ${
            size[0]
          }`,
        );
      }
      if (newLong > max_size) {
        newShort = Math.trunc((max_size * newShort) / newLong);
        newLong = max_size;
      }
    }
    return w <= h ? [newLong, newShort] : [newShort, newLong];
  }
  return [size[0], size[1]];
}

/**
 * `resize(img, size, interpolation=BILINEAR, max_size=None, antialias=None)`: `size` is `[h, w]`,
 * or an int (or `[s]`) for the smaller edge. Images go through Pillow's filters (always
 * antialiased); tensors through `interpolate` (antialiased only with `antialias: true`).
 */
export function resize(
  img: ImageLike,
  size: number | number[],
  interpolation: InterpolationMode | number = "bilinear",
  max_size: number | null = null,
  antialias: boolean | null = null,
): ImageLike {
  const mode = toInterpolation(interpolation);
  if (Array.isArray(size)) {
    if (size.length !== 1 && size.length !== 2) {
      throw new ValueError(
        `Size must be an int or a 1 or 2 element tuple/list, not a ${size.length} element tuple/list`,
      );
    }
    if (max_size !== null && size.length !== 1) {
      throw new ValueError(
        "max_size should only be passed if size specifies the length of the smaller edge, i.e. size should be an int or a sequence of length 1 in torchscript mode.",
      );
    }
  } else if (typeof size !== "number") {
    throw new TorchTypeError(`Size should be int or sequence. Got ${typeName(size)}`);
  }
  const [, h, w] = get_dimensions(img);
  const [oh, ow] = resizedSize(h, w, typeof size === "number" ? [size] : size, max_size);
  if (oh === h && ow === w) return img;
  if (!(oh > 0 && ow > 0)) throw new ValueError(`resize to ${oh}x${ow}: sizes must be positive`);
  if (isImage(img)) {
    const data = pilResize(img.data, w, h, img.channels, ow, oh, mode as PilFilter);
    return new Image(data, ow, oh, img.mode);
  }
  const t = img as Tensor;
  if (mode !== "nearest" && mode !== "bilinear" && mode !== "bicubic") {
    throw new ValueError(`Interpolation mode '${mode}' is unsupported with Tensor input`);
  }
  if (antialias && mode === "nearest") {
    throw new ValueError("Antialias option is supported for bilinear and bicubic interpolation modes only");
  }
  const { data, lead, planes } = planesOf(t);
  const src = data instanceof Float32Array ? data : Float32Array.from(data);
  const out = torchResize(src, planes, h, w, oh, ow, mode, antialias ?? false);
  if (t.dtype !== float32) {
    // torchvision computes integer images in float32, then rounds (half to even) and casts back
    const ints = new Int32Array(out.length);
    for (let i = 0; i < out.length; i++) ints[i] = pyRound(out[i]);
    return fromPlanes(t, ints, lead, oh, ow);
  }
  return fromPlanes(t, out, lead, oh, ow);
}
