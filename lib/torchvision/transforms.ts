/**
 * `torchvision.transforms`: callable objects (`transform(img)`), created with or without `new`,
 * taking PyTorch's arguments positionally or as a trailing options object
 * (`RandomCrop(32, { padding: 4 })`).
 *
 * Random transforms draw from the global generator exactly as torchvision does
 * (`torch.randint(0, n, (1,))` for crop offsets, `torch.rand(1) < p` for flips), so after
 * `torch.manual_seed(s)` they make the same choices as PyTorch.
 * @module
 */
import { Tensor } from "../tensor/tensor.ts";
import { default_generator } from "../random/generator.ts";
import { TorchTypeError, ValueError } from "../errors.ts";
import { CallableObject, pyFloat, pyNum, pyTuple } from "../data/callable.ts";
import { callable } from "../nn/callable.ts";
import { isKw } from "../tensor/dispatch.ts";
import { type Image, isImage } from "./image.ts";
import * as F from "./functional.ts";

// deno-lint-ignore no-explicit-any
type Fn = (x: any) => any;

/** Fills named parameters from positional arguments and a trailing options object, as Python does. */
function bind(
  cls: string,
  names: string[],
  given: unknown[],
  defaults: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  let args = given;
  if (args.length > 0 && isKw(args[args.length - 1])) {
    const kw = args[args.length - 1] as Record<string, unknown>;
    args = args.slice(0, -1);
    for (const [k, v] of Object.entries(kw)) {
      if (!names.includes(k)) {
        throw new TorchTypeError(`${cls}.__init__() got an unexpected keyword argument '${k}'`);
      }
      out[k] = v;
    }
    for (let i = 0; i < args.length; i++) {
      if (names[i] in kw) {
        throw new TorchTypeError(`${cls}.__init__() got multiple values for argument '${names[i]}'`);
      }
    }
  }
  if (args.length > names.length) {
    throw new TorchTypeError(
      `${cls}.__init__() takes ${names.length + 1} positional arguments but ${args.length + 1} were given`,
    );
  }
  args.forEach((v, i) => (out[names[i]] = v));
  for (const n of names) {
    if (!(n in out)) {
      throw new TorchTypeError(`${cls}.__init__() missing 1 required positional argument: '${n}'`);
    }
  }
  return out;
}

function reprValue(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return pyNum(v);
  if (Array.isArray(v)) return pyTuple(v as number[]);
  return String(v);
}

/** Base of the transforms: `t(x)` runs `t.forward(x)`. */
class Transform extends CallableObject {
  override __call__(x: unknown): unknown {
    return this.forward(x);
  }
  /** What the transform does. */
  forward(x: unknown): unknown {
    return x;
  }
  /** torchvision's repr. */
  override toString(): string {
    return `${this.constructor.name}()`;
  }
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** Applies transforms one after the other. */
class Compose extends Transform {
  readonly transforms: Fn[];
  constructor(transforms: Fn[]) {
    super();
    if (!Array.isArray(transforms)) throw new TorchTypeError("Compose expects a list of transforms");
    for (const t of transforms) {
      if (typeof t !== "function") {
        throw new TorchTypeError(`Compose: ${reprValue(t)} is not callable`);
      }
    }
    this.transforms = transforms;
  }
  override forward(img: unknown): unknown {
    const ts = this.transforms;
    for (let i = 0; i < ts.length; i++) {
      // ToTensor then Normalize on an image: computed on the pixels, one tensor instead of three
      // (only the built-in classes themselves: a subclass may override forward)
      if (ts[i]?.constructor === ToTensor && ts[i + 1]?.constructor === Normalize && isImage(img)) {
        const stats: [number[], number[]][] = [];
        let j = i + 1;
        for (; ts[j]?.constructor === Normalize && !(ts[j] as Normalize).inplace; j++) {
          stats.push([(ts[j] as Normalize).mean, (ts[j] as Normalize).std]);
        }
        if (stats.length > 0) {
          img = F.to_normalized_tensor(img, stats);
          i = j - 1;
          continue;
        }
      }
      img = ts[i](img);
    }
    return img;
  }
  override toString(): string {
    const body = this.transforms.map((t) => {
      const s = t instanceof Transform ? t.toString() : `<function ${t.name || "<lambda>"}>`;
      return s.split("\n").map((l) => `    ${l}`).join("\n");
    });
    return `Compose(\n${body.join("\n")}\n)`;
  }
}

/** An `Image` as a float tensor `[C, H, W]` in [0, 1]. */
class ToTensor extends Transform {
  override forward(pic: unknown): Tensor {
    return F.to_tensor(pic as Image);
  }
}

/** A float tensor (values in [0, 1]) as an `Image`. */
class ToPILImage extends Transform {
  readonly mode: string | null;
  constructor(...args: unknown[]) {
    super();
    this.mode = bind("ToPILImage", ["mode"], args, { mode: null }).mode as string | null;
  }
  override forward(pic: unknown): Image {
    return F.to_pil_image(pic as Tensor, this.mode);
  }
  override toString(): string {
    return this.mode ? `ToPILImage(mode=${this.mode})` : "ToPILImage()";
  }
}

/** `(x - mean[c]) / std[c]` per channel of a float tensor. */
class Normalize extends Transform {
  readonly mean: number[];
  readonly std: number[];
  readonly inplace: boolean;
  #stats: { device: string; stats: [Tensor, Tensor] } | null = null;
  constructor(...args: unknown[]) {
    super();
    const a = bind("Normalize", ["mean", "std", "inplace"], args, { inplace: false });
    const seq = (v: unknown, name: string): number[] => {
      const xs = typeof v === "number" ? [v] : v;
      if (!Array.isArray(xs) || !xs.every((x) => typeof x === "number")) {
        throw new TorchTypeError(`Normalize: ${name} should be a sequence of numbers`);
      }
      return [...xs];
    };
    this.mean = seq(a.mean, "mean");
    this.std = seq(a.std, "std");
    this.inplace = Boolean(a.inplace);
  }
  override forward(tensor: unknown): Tensor {
    const t = tensor as Tensor;
    let stats: [Tensor, Tensor] | undefined;
    if (t instanceof Tensor && t.is_floating_point()) {
      const dev = String(t.device);
      if (this.#stats?.device !== dev) {
        this.#stats = { device: dev, stats: F.normStats(this.mean, this.std, t) };
      }
      stats = this.#stats.stats;
    }
    return F.normalize(t, this.mean, this.std, this.inplace, stats);
  }
  override toString(): string {
    return `Normalize(mean=${pyTuple(this.mean, pyFloat)}, std=${pyTuple(this.std, pyFloat)})`;
  }
}

/** Resizes to `[h, w]`, or the smaller edge to `size` keeping the aspect ratio. */
class Resize extends Transform {
  readonly size: number | number[];
  readonly interpolation: F.InterpolationMode;
  readonly max_size: number | null;
  readonly antialias: boolean | null;
  constructor(...args: unknown[]) {
    super();
    const a = bind("Resize", ["size", "interpolation", "max_size", "antialias"], args, {
      interpolation: F.InterpolationMode.BILINEAR,
      max_size: null,
      antialias: null,
    });
    const size = a.size;
    if (typeof size !== "number" && !Array.isArray(size)) {
      throw new TorchTypeError(`Size should be int or sequence. Got ${typeof size}`);
    }
    if (Array.isArray(size) && size.length !== 1 && size.length !== 2) {
      throw new ValueError("If size is a sequence, it should have 1 or 2 values");
    }
    this.size = size;
    this.max_size = a.max_size as number | null;
    this.interpolation = F.toInterpolation(a.interpolation);
    this.antialias = a.antialias as boolean | null;
  }
  override forward(img: unknown): F.ImageLike {
    return F.resize(img as F.ImageLike, this.size, this.interpolation, this.max_size, this.antialias);
  }
  override toString(): string {
    return `Resize(size=${reprValue(this.size)}, interpolation=${this.interpolation}, max_size=${
      reprValue(this.max_size)
    }, antialias=${reprValue(this.antialias)})`;
  }
}

/** Crops the centre `[h, w]` (padding with zeros when the image is smaller). */
class CenterCrop extends Transform {
  readonly size: [number, number];
  constructor(size: number | number[]) {
    super();
    this.size = F.setupSize(size, "Please provide only two dimensions (h, w) for size.");
  }
  override forward(img: unknown): F.ImageLike {
    return F.center_crop(img as F.ImageLike, this.size);
  }
  override toString(): string {
    return `CenterCrop(size=${pyTuple(this.size)})`;
  }
}

/** Pads the borders. */
class Pad extends Transform {
  readonly padding: number | number[];
  readonly fill: number | number[];
  readonly padding_mode: F.PaddingMode;
  constructor(...args: unknown[]) {
    super();
    const a = bind("Pad", ["padding", "fill", "padding_mode"], args, { fill: 0, padding_mode: "constant" });
    F.parsePadding(a.padding as number[]);
    if (!["constant", "edge", "reflect", "symmetric"].includes(a.padding_mode as string)) {
      throw new ValueError("Padding mode should be either constant, edge, reflect or symmetric");
    }
    this.padding = a.padding as number | number[];
    this.fill = a.fill as number | number[];
    this.padding_mode = a.padding_mode as F.PaddingMode;
  }
  override forward(img: unknown): F.ImageLike {
    return F.pad(img as F.ImageLike, this.padding, this.fill, this.padding_mode);
  }
  override toString(): string {
    return `Pad(padding=${reprValue(this.padding)}, fill=${
      reprValue(this.fill)
    }, padding_mode=${this.padding_mode})`;
  }
}

/** `torch.randint(low, high, (1,)).item()` on the global generator. */
function randint1(low: number, high: number): number {
  return default_generator.randint(1, low, high)[0];
}

/** `torch.rand(1)` on the global generator (a float32 value). */
function rand1(): number {
  return default_generator.uniform(1)[0];
}

/** Crops a random `[h, w]` window, after optional padding. */
class RandomCrop extends Transform {
  readonly size: [number, number];
  readonly padding: number | number[] | null;
  readonly pad_if_needed: boolean;
  readonly fill: number | number[];
  readonly padding_mode: F.PaddingMode;
  constructor(...args: unknown[]) {
    super();
    const a = bind("RandomCrop", ["size", "padding", "pad_if_needed", "fill", "padding_mode"], args, {
      padding: null,
      pad_if_needed: false,
      fill: 0,
      padding_mode: "constant",
    });
    this.size = F.setupSize(
      a.size as number | number[],
      "Please provide only two dimensions (h, w) for size.",
    );
    this.padding = a.padding as number | number[] | null;
    this.pad_if_needed = Boolean(a.pad_if_needed);
    this.fill = a.fill as number | number[];
    this.padding_mode = a.padding_mode as F.PaddingMode;
  }

  /** torchvision's `get_params`: `[top, left, h, w]`, drawing two integers unless the sizes match. */
  static get_params(img: F.ImageLike, output_size: [number, number]): [number, number, number, number] {
    const [, h, w] = F.get_dimensions(img);
    const [th, tw] = output_size;
    if (h < th || w < tw) {
      throw new ValueError(`Required crop size (${th}, ${tw}) is larger than input image size (${h}, ${w})`);
    }
    if (w === tw && h === th) return [0, 0, h, w];
    const i = randint1(0, h - th + 1);
    const j = randint1(0, w - tw + 1);
    return [i, j, th, tw];
  }

  override forward(input: unknown): F.ImageLike {
    let img = input as F.ImageLike;
    if (this.padding !== null) img = F.pad(img, this.padding, this.fill, this.padding_mode);
    const [, height, width] = F.get_dimensions(img);
    if (this.pad_if_needed && width < this.size[1]) {
      img = F.pad(img, [this.size[1] - width, 0], this.fill, this.padding_mode);
    }
    if (this.pad_if_needed && height < this.size[0]) {
      img = F.pad(img, [0, this.size[0] - height], this.fill, this.padding_mode);
    }
    const [i, j, h, w] = RandomCrop.get_params(img, this.size);
    return F.crop(img, i, j, h, w);
  }
  override toString(): string {
    return `RandomCrop(size=${pyTuple(this.size)}, padding=${reprValue(this.padding)})`;
  }
}

/** Flips left-right with probability `p` (one `torch.rand(1)` draw per call). */
class RandomHorizontalFlip extends Transform {
  readonly p: number;
  constructor(...args: unknown[]) {
    super();
    this.p = bind("RandomHorizontalFlip", ["p"], args, { p: 0.5 }).p as number;
  }
  override forward(img: unknown): unknown {
    return rand1() < Math.fround(this.p) ? F.hflip(img as F.ImageLike) : img;
  }
  override toString(): string {
    return `RandomHorizontalFlip(p=${pyNum(this.p)})`;
  }
}

/** Flips top-bottom with probability `p`. */
class RandomVerticalFlip extends Transform {
  readonly p: number;
  constructor(...args: unknown[]) {
    super();
    this.p = bind("RandomVerticalFlip", ["p"], args, { p: 0.5 }).p as number;
  }
  override forward(img: unknown): unknown {
    return rand1() < Math.fround(this.p) ? F.vflip(img as F.ImageLike) : img;
  }
  override toString(): string {
    return `RandomVerticalFlip(p=${pyNum(this.p)})`;
  }
}

/** Crops a random area and aspect ratio, then resizes to `size` (torchvision's algorithm and draws). */
class RandomResizedCrop extends Transform {
  readonly size: [number, number];
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly interpolation: F.InterpolationMode;
  readonly antialias: boolean | null;
  constructor(...args: unknown[]) {
    super();
    const a = bind("RandomResizedCrop", ["size", "scale", "ratio", "interpolation", "antialias"], args, {
      scale: [0.08, 1.0],
      ratio: [3 / 4, 4 / 3],
      interpolation: F.InterpolationMode.BILINEAR,
      antialias: null,
    });
    this.size = F.setupSize(
      a.size as number | number[],
      "Please provide only two dimensions (h, w) for size.",
    );
    this.scale = a.scale as [number, number];
    this.ratio = a.ratio as [number, number];
    this.interpolation = F.toInterpolation(a.interpolation);
    this.antialias = a.antialias as boolean | null;
  }

  /** torchvision's `get_params`: `[top, left, h, w]`. */
  static get_params(img: F.ImageLike, scale: number[], ratio: number[]): [number, number, number, number] {
    const [, height, width] = F.get_dimensions(img);
    const area = height * width;
    const logRatio = [
      Math.fround(Math.log(Math.fround(ratio[0]))),
      Math.fround(Math.log(Math.fround(ratio[1]))),
    ];
    for (let k = 0; k < 10; k++) {
      const targetArea = area * default_generator.uniform(1, scale[0], scale[1])[0];
      const aspect = Math.fround(Math.exp(default_generator.uniform(1, logRatio[0], logRatio[1])[0]));
      const w = F.pyRound(Math.sqrt(targetArea * aspect));
      const h = F.pyRound(Math.sqrt(targetArea / aspect));
      if (0 < w && w <= width && 0 < h && h <= height) {
        const i = randint1(0, height - h + 1);
        const j = randint1(0, width - w + 1);
        return [i, j, h, w];
      }
    }
    const inRatio = width / height;
    let w: number;
    let h: number;
    if (inRatio < Math.min(...ratio)) {
      w = width;
      h = F.pyRound(w / Math.min(...ratio));
    } else if (inRatio > Math.max(...ratio)) {
      h = height;
      w = F.pyRound(h * Math.max(...ratio));
    } else {
      w = width;
      h = height;
    }
    return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
  }

  override forward(img: unknown): F.ImageLike {
    const [i, j, h, w] = RandomResizedCrop.get_params(img as F.ImageLike, this.scale, this.ratio);
    const cropped = F.crop(img as F.ImageLike, i, j, h, w);
    return F.resize(cropped, this.size, this.interpolation, null, this.antialias);
  }
  override toString(): string {
    const r = (x: number) => pyFloat(Math.round(x * 1e4) / 1e4);
    return `RandomResizedCrop(size=${pyTuple(this.size)}, scale=${pyTuple(this.scale, r)}, ratio=${
      pyTuple(this.ratio, r)
    }, interpolation=${this.interpolation}), antialias=${reprValue(this.antialias)})`;
  }
}

/** Wraps a function as a transform. */
class Lambda extends Transform {
  readonly lambd: Fn;
  constructor(lambd: Fn) {
    super();
    if (typeof lambd !== "function") {
      throw new TorchTypeError(`Argument lambd should be callable, got '${typeof lambd}'`);
    }
    this.lambd = lambd;
  }
  override forward(img: unknown): unknown {
    return this.lambd(img);
  }
}

const TransformPy = callable(Transform);
type TransformPy = Transform;
const ComposePy = callable(Compose);
type ComposePy = Compose;
const ToTensorPy = callable(ToTensor);
type ToTensorPy = ToTensor;
const ToPILImagePy = callable(ToPILImage);
type ToPILImagePy = ToPILImage;
const NormalizePy = callable(Normalize);
type NormalizePy = Normalize;
const ResizePy = callable(Resize);
type ResizePy = Resize;
const CenterCropPy = callable(CenterCrop);
type CenterCropPy = CenterCrop;
const PadPy = callable(Pad);
type PadPy = Pad;
const RandomCropPy = callable(RandomCrop);
type RandomCropPy = RandomCrop;
const RandomHorizontalFlipPy = callable(RandomHorizontalFlip);
type RandomHorizontalFlipPy = RandomHorizontalFlip;
const RandomVerticalFlipPy = callable(RandomVerticalFlip);
type RandomVerticalFlipPy = RandomVerticalFlip;
const RandomResizedCropPy = callable(RandomResizedCrop);
type RandomResizedCropPy = RandomResizedCrop;
const LambdaPy = callable(Lambda);
type LambdaPy = Lambda;

export {
  CenterCropPy as CenterCrop,
  ComposePy as Compose,
  LambdaPy as Lambda,
  NormalizePy as Normalize,
  PadPy as Pad,
  RandomCropPy as RandomCrop,
  RandomHorizontalFlipPy as RandomHorizontalFlip,
  RandomResizedCropPy as RandomResizedCrop,
  RandomVerticalFlipPy as RandomVerticalFlip,
  ResizePy as Resize,
  ToPILImagePy as ToPILImage,
  ToTensorPy as ToTensor,
  TransformPy as Transform,
};
export { F as functional };
export const InterpolationMode = F.InterpolationMode;
