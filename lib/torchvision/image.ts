/**
 * `Image`: what a torchvision dataset item is before `ToTensor()`, this project's stand-in for a
 * PIL image. 8-bit pixels, row-major, channels interleaved (HWC, as `np.asarray(pil_image)`),
 * mode `"L"` (grayscale) or `"RGB"`. Transforms take an `Image` or a tensor, as torchvision's take a
 * PIL image or a tensor, and on an `Image` they compute what Pillow computes.
 *
 * @example
 * ```ts
 * import { Image } from "./image.ts";
 * const img = new Image(new Uint8Array(2 * 3 * 3), 3, 2, "RGB"); // 3 wide, 2 high
 * img.size; // [3, 2] (width, height), as PIL
 * ```
 * @module
 */
import { ValueError } from "../errors.ts";
import { encodePNG } from "./png.ts";
import { type PilFilter, pilResize } from "./resample.ts";
import { callable } from "../nn/callable.ts";

/** Pixel layouts: 8-bit grayscale or 8-bit RGB. */
export type ImageMode = "L" | "RGB";

const BANDS: Record<ImageMode, number> = { L: 1, RGB: 3 };

/** Pillow's resampling constants (`Image.NEAREST` …), as torchvision still accepts them. */
export const PIL_FILTERS: Record<number, PilFilter> = {
  0: "nearest",
  1: "lanczos",
  2: "bilinear",
  3: "bicubic",
  4: "box",
  5: "hamming",
};

class Image {
  /** Pillow's constants. */
  static readonly NEAREST = 0;
  static readonly LANCZOS = 1;
  static readonly BILINEAR = 2;
  static readonly BICUBIC = 3;
  static readonly BOX = 4;
  static readonly HAMMING = 5;
  static readonly FLIP_LEFT_RIGHT = 0;
  static readonly FLIP_TOP_BOTTOM = 1;

  /** HWC pixels, `height * width * channels` bytes. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly mode: ImageMode;

  constructor(data: Uint8Array, width: number, height: number, mode: ImageMode = "RGB") {
    if (!(mode in BANDS)) throw new ValueError(`unrecognized image mode '${mode}' (supported: L, RGB)`);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
      throw new ValueError(`bad image size ${width}x${height}`);
    }
    const want = width * height * BANDS[mode];
    if (!(data instanceof Uint8Array) || data.length !== want) {
      throw new ValueError(
        `an ${mode} image of ${width}x${height} needs ${want} bytes, got ${(data as Uint8Array)?.length}`,
      );
    }
    this.data = data;
    this.width = width;
    this.height = height;
    this.mode = mode;
  }

  /** A new image filled with `color` (a gray level, or `[r, g, b]`), as `Image.new`. */
  // deno-lint-ignore no-misused-new -- PIL's name: a static factory, not a constructor signature
  static new(mode: ImageMode, size: [number, number], color: number | number[] = 0): Image {
    const [w, h] = size;
    const c = BANDS[mode];
    const fill = typeof color === "number" ? Array(c).fill(color) : color;
    if (fill.length !== c) throw new ValueError(`color needs ${c} values for mode ${mode}`);
    const data = new Uint8Array(w * h * c);
    for (let i = 0; i < w * h; i++) for (let k = 0; k < c; k++) data[i * c + k] = fill[k];
    return new Image(data, w, h, mode);
  }

  /**
   * An image from HWC bytes and a shape `[h, w]` (mode L) or `[h, w, 3]` (mode RGB), as
   * `Image.fromarray(ndarray)`. The bytes are copied.
   */
  static fromarray(data: Uint8Array | ArrayLike<number>, shape: number[], mode?: ImageMode): Image {
    const [h, w, c = 1] = shape;
    const m: ImageMode = mode ?? (c === 3 ? "RGB" : "L");
    if (shape.length < 2 || shape.length > 3 || BANDS[m] !== c) {
      throw new ValueError(`Cannot handle this data shape (${shape.join(", ")}) for mode ${m}`);
    }
    return new Image(Uint8Array.from(data), w, h, m);
  }

  /** `[width, height]`, as PIL's `size`. */
  get size(): [number, number] {
    return [this.width, this.height];
  }

  /** Channels per pixel (1 or 3). */
  get channels(): number {
    return BANDS[this.mode];
  }

  /** Band names, as PIL: `["R", "G", "B"]` or `["L"]`. */
  getbands(): string[] {
    return this.mode === "RGB" ? ["R", "G", "B"] : ["L"];
  }

  /** A copy. */
  copy(): Image {
    return new Image(this.data.slice(), this.width, this.height, this.mode);
  }

  /** The pixel at (x, y): a number (L) or `[r, g, b]`. */
  getpixel([x, y]: [number, number]): number | number[] {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) {
      throw new RangeError("image index out of range");
    }
    const c = this.channels;
    const o = (y * this.width + x) * c;
    return c === 1 ? this.data[o] : Array.from(this.data.subarray(o, o + c));
  }

  /** PIL's `crop((left, upper, right, lower))`: areas outside the image are zero. */
  crop([left, upper, right, lower]: [number, number, number, number]): Image {
    const w = Math.max(0, right - left);
    const h = Math.max(0, lower - upper);
    const c = this.channels;
    const out = new Uint8Array(w * h * c);
    const x0 = Math.max(left, 0);
    const x1 = Math.min(right, this.width);
    if (x1 > x0) {
      for (let y = Math.max(upper, 0); y < Math.min(lower, this.height); y++) {
        const src = this.data.subarray((y * this.width + x0) * c, (y * this.width + x1) * c);
        out.set(src, ((y - upper) * w + (x0 - left)) * c);
      }
    }
    return new Image(out, w, h, this.mode);
  }

  /** PIL's `resize((width, height), resample)`; the default filter is BICUBIC, as Pillow 9's. */
  resize([w, h]: [number, number], resample: number | PilFilter = Image.BICUBIC): Image {
    const filter = typeof resample === "number" ? PIL_FILTERS[resample] : resample;
    if (!filter) throw new ValueError(`unknown resampling filter ${resample}`);
    if (!(w > 0 && h > 0)) throw new ValueError("height and width must be > 0");
    const data = pilResize(this.data, this.width, this.height, this.channels, w, h, filter);
    return new Image(data, w, h, this.mode);
  }

  /** PIL's `transpose(Image.FLIP_LEFT_RIGHT | Image.FLIP_TOP_BOTTOM)`. */
  transpose(method: number): Image {
    const { width: w, height: h } = this;
    const c = this.channels;
    const out = new Uint8Array(this.data.length);
    if (method === Image.FLIP_LEFT_RIGHT) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const s = (y * w + x) * c;
          const d = (y * w + (w - 1 - x)) * c;
          for (let k = 0; k < c; k++) out[d + k] = this.data[s + k];
        }
      }
    } else if (method === Image.FLIP_TOP_BOTTOM) {
      const row = w * c;
      for (let y = 0; y < h; y++) out.set(this.data.subarray(y * row, (y + 1) * row), (h - 1 - y) * row);
    } else throw new ValueError(`unsupported transpose method ${method}`);
    return new Image(out, w, h, this.mode);
  }

  /** The image as `L` or `RGB` (ITU-R 601-2 luma for RGB → L, as Pillow). */
  convert(mode: ImageMode): Image {
    if (mode === this.mode) return this.copy();
    const n = this.width * this.height;
    if (mode === "RGB") {
      const out = new Uint8Array(n * 3);
      for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = this.data[i];
      return new Image(out, this.width, this.height, "RGB");
    }
    if (mode !== "L") throw new ValueError(`unrecognized image mode '${mode}'`);
    const out = new Uint8Array(n);
    const d = this.data;
    // Pillow: L = (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16
    for (let i = 0; i < n; i++) {
      out[i] = (d[i * 3] * 19595 + d[i * 3 + 1] * 38470 + d[i * 3 + 2] * 7471 + 0x8000) >>> 16;
    }
    return new Image(out, this.width, this.height, "L");
  }

  /** The image as PNG bytes. */
  toPNG(): Uint8Array {
    return encodePNG(this.data, this.width, this.height, this.channels as 1 | 3);
  }

  /** Writes the image to `path` as PNG (the only format here), atomically. */
  save(path: string): void {
    if (!/\.png$/i.test(path)) {
      throw new ValueError(`only PNG files can be written here; use a name ending in .png (got ${path})`);
    }
    writeFileAtomic(path, this.toPNG());
  }

  /** PIL's repr, without the address. */
  toString(): string {
    return `<PIL.Image.Image image mode=${this.mode} size=${this.width}x${this.height}>`;
  }
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** Writes `bytes` to `path` through a temporary file in the same folder, renamed when complete. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    Deno.writeFileSync(tmp, bytes);
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* it was never written */ }
    throw e;
  }
}

/** Whether `x` is an {@link Image}. */
export function isImage(x: unknown): x is Image {
  return x instanceof Image;
}

const ImagePy = callable(Image);
type ImagePy = Image;
export { ImagePy as Image };
