/**
 * `torchvision.datasets.FakeData`: random images, the same for the same index, made as
 * torchvision makes them (a generator seeded `index + random_offset`, `randn(image_size)` then
 * `randint(0, num_classes, (1,))`, turned into an image by `ToPILImage`). The global generator is
 * left untouched, as torchvision restores it. Useful offline in place of a real dataset.
 * @module
 */
import { IndexError, TorchTypeError, ValueError } from "../../errors.ts";
import { callable } from "../../nn/callable.ts";
import { Generator } from "../../random/generator.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { longTensor } from "../../data/host.ts";
import { isKw } from "../../tensor/dispatch.ts";
import { Image } from "../image.ts";
import { type Any, VisionDataset, type VisionOptions } from "./vision.ts";

/** Options of {@link FakeData}, torchvision's keyword arguments. */
export interface FakeDataOptions extends VisionOptions {
  size?: number;
  image_size?: number[];
  num_classes?: number;
  random_offset?: number;
}

const NAMES = [
  "size",
  "image_size",
  "num_classes",
  "transform",
  "target_transform",
  "random_offset",
] as const;

class FakeData extends VisionDataset<Any, Any> {
  readonly size: number;
  readonly image_size: number[];
  readonly num_classes: number;
  readonly random_offset: number;

  /** `FakeData(size=1000, image_size=(3, 224, 224), num_classes=10, transform, target_transform, random_offset=0)`. */
  constructor(...args: unknown[]) {
    const o: FakeDataOptions = {};
    const last = args[args.length - 1];
    const pos = isKw(last) ? args.slice(0, -1) : args;
    pos.forEach((v, i) => ((o as Record<string, unknown>)[NAMES[i]] = v));
    if (isKw(last)) Object.assign(o, last);
    super("", o);
    this.size = o.size ?? 1000;
    this.image_size = [...(o.image_size ?? [3, 224, 224])];
    this.num_classes = o.num_classes ?? 10;
    this.random_offset = o.random_offset ?? 0;
    if (!Number.isInteger(this.size) || this.size < 0) {
      throw new ValueError(`size should be a non-negative integer, got ${this.size}`);
    }
    const [c, h, w] = this.image_size;
    if (this.image_size.length !== 3 || !(c === 1 || c === 3) || !(h > 0 && w > 0)) {
      throw new ValueError(
        `image_size should be [channels, height, width] with 1 or 3 channels, got [${
          this.image_size.join(", ")
        }]`,
      );
    }
    if (!Number.isInteger(this.num_classes) || this.num_classes <= 0) {
      throw new ValueError(`num_classes should be a positive integer, got ${this.num_classes}`);
    }
  }

  override __getitem__(index: number): [Any, Any] {
    if (!Number.isInteger(index)) throw new TorchTypeError(`FakeData indices must be integers, got ${index}`);
    if (index >= this.size) throw new IndexError("FakeData index out of range");
    const [c, h, w] = this.image_size;
    const gen = new Generator(BigInt(index + this.random_offset));
    const values = gen.normal(c * h * w);
    const target = gen.randint(1, 0, this.num_classes)[0];
    // ToPILImage: pic.mul(255).byte(), CHW -> HWC
    const n = h * w;
    const px = new Uint8Array(n * c);
    for (let k = 0; k < c; k++) {
      for (let i = 0; i < n; i++) {
        const x = Math.fround(values[k * n + i] * 255);
        px[i * c + k] = Number.isFinite(x) ? Math.trunc(x) & 255 : 0;
      }
    }
    let img: unknown = new Image(px, w, h, c === 3 ? "RGB" : "L");
    if (this.transform) img = this.transform(img);
    let t: unknown = target;
    if (this.target_transform) {
      // torchvision hands target_transform a 0-d int64 tensor and returns `.item()` of its result
      t = this.target_transform(longTensor([target], []));
      if (t instanceof Tensor) t = t.item();
    }
    return [img, t];
  }

  __len__(): number {
    return this.size;
  }

  override toString(): string {
    return super.toString().replace(/\n {4}Root location: [^\n]*/, "");
  }
}

const FakeDataPy = callable(FakeData);
type FakeDataPy = FakeData;
export { FakeDataPy as FakeData };
