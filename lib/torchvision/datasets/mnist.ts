/**
 * `torchvision.datasets.MNIST` and `FashionMNIST`, from the standard IDX files in
 * `root/<Name>/raw/` (`train-images-idx3-ubyte`, … ; a `.gz` beside a missing file is read too).
 * Items are `[image, target]`: a 28×28 {@link Image} of mode `L` and the class index.
 * `data` holds the images as bytes (torchvision: a uint8 tensor (N, 28, 28), a dtype the engine
 * lacks), `targets` the labels as an int64 tensor, as in torchvision.
 * @module
 */
import { gunzipSync } from "node:zlib";
import { IndexError, RuntimeError, TorchTypeError } from "../../errors.ts";
import { callable } from "../../nn/callable.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { longTensor } from "../../data/host.ts";
import { Image } from "../image.ts";
import { download_and_extract_archive, DownloadError, exists, note } from "./download.ts";
import { type Any, rootAndOptions, VisionDataset, type VisionOptions } from "./vision.ts";

/** Options of {@link MNIST}. */
export interface MNISTOptions extends VisionOptions {
  train?: boolean;
  download?: boolean;
  /** Mirrors to try, in order (default: torchvision's). */
  mirrors?: string[];
  /** Expected MD5 of each `.gz` file by name (default: torchvision's); `null` skips the checks. */
  md5?: Record<string, string> | null;
}

/** An IDX file's dimensions and bytes (uint8 data only, as MNIST's). */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX file (`magic 0 0 type ndim`, big-endian int32 dimensions, data). Only unsigned
 * bytes (type 0x08) are accepted, as torchvision's MNIST reader requires.
 */
export function read_sn3_pascalvincent(buf: Uint8Array, path = "IDX file"): IdxArray {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new RuntimeError(`${path}: not an IDX file (bad magic number)`);
  }
  const type = buf[2];
  const nd = buf[3];
  if (type !== 0x08) throw new RuntimeError(`${path}: IDX type 0x${type.toString(16)} is not uint8`);
  if (buf.length < 4 + 4 * nd) throw new RuntimeError(`${path}: truncated IDX header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < nd; i++) shape.push(dv.getInt32(4 + 4 * i, false));
  const n = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * nd;
  if (buf.length - start < n) {
    throw new RuntimeError(
      `${path} is truncated: ${buf.length - start} data bytes, expected ${n} for shape (${shape.join(", ")})`,
    );
  }
  return { shape, data: buf.subarray(start, start + n) };
}

function readRaw(path: string): Uint8Array | null {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  try {
    return new Uint8Array(gunzipSync(Deno.readFileSync(path + ".gz")));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new RuntimeError(`${path}.gz: cannot decompress (${(e as Error).message})`);
  }
}

class MNIST extends VisionDataset<Any, Any> {
  static mirrors = ["http://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"];
  static resources: [string, string][] = [
    ["train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"],
    ["train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"],
    ["t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"],
    ["t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"],
  ];
  static classes = [
    "0 - zero",
    "1 - one",
    "2 - two",
    "3 - three",
    "4 - four",
    "5 - five",
    "6 - six",
    "7 - seven",
    "8 - eight",
    "9 - nine",
  ];

  readonly train: boolean;
  /** The images, `N * 28 * 28` bytes. */
  readonly data: Uint8Array;
  /** The labels (int64). */
  readonly targets: Tensor;
  readonly classes: string[];
  readonly class_to_idx: Record<string, number>;
  readonly #labels: Uint8Array;
  readonly #h: number;
  readonly #w: number;

  constructor(root?: string | MNISTOptions, opts?: MNISTOptions) {
    const [r, o] = rootAndOptions<MNISTOptions>(root, opts);
    super(r, o);
    this.train = o.train ?? true;
    const cls = this.constructor as typeof MNIST;
    this.classes = [...cls.classes];
    this.class_to_idx = Object.fromEntries(this.classes.map((c, i) => [c, i]));
    if (o.download) this.download(o.mirrors ?? cls.mirrors, o.md5 === undefined ? undefined : o.md5);
    if (!this._check_exists()) {
      throw new RuntimeError(
        `Dataset not found: no ${this.raw_folder}/${
          this.#file("images")
        }. You can use download=True to download it (here: { download: true })`,
      );
    }
    const imgPath = `${this.raw_folder}/${this.#file("images")}`;
    const lblPath = `${this.raw_folder}/${this.#file("labels")}`;
    const images = read_sn3_pascalvincent(readRaw(imgPath)!, imgPath);
    const labels = read_sn3_pascalvincent(readRaw(lblPath)!, lblPath);
    if (images.shape.length !== 3) {
      throw new RuntimeError(`${imgPath}: expected 3 dimensions, got ${images.shape.length}`);
    }
    if (labels.shape.length !== 1) {
      throw new RuntimeError(`${lblPath}: expected 1 dimension, got ${labels.shape.length}`);
    }
    if (images.shape[0] !== labels.shape[0]) {
      throw new RuntimeError(
        `${imgPath} has ${images.shape[0]} images but ${lblPath} has ${labels.shape[0]} labels`,
      );
    }
    [, this.#h, this.#w] = images.shape;
    this.data = images.data.slice();
    this.#labels = labels.data.slice();
    this.targets = longTensor(Int32Array.from(this.#labels));
  }

  #file(kind: "images" | "labels"): string {
    return `${this.train ? "train" : "t10k"}-${kind}-idx${kind === "images" ? 3 : 1}-ubyte`;
  }

  /** `root/<Name>/raw`. */
  get raw_folder(): string {
    return `${this.root.replace(/\/+$/, "")}/${this.constructor.name}/raw`;
  }

  /** Whether the split's two files (or their `.gz`) are there. */
  _check_exists(): boolean {
    return (["images", "labels"] as const).every((k) => {
      const p = `${this.raw_folder}/${this.#file(k)}`;
      return exists(p) || exists(p + ".gz");
    });
  }

  /** Downloads and extracts the four files, trying each mirror in turn. */
  download(mirrors: string[], md5s?: Record<string, string> | null): void {
    const cls = this.constructor as typeof MNIST;
    const all = cls.resources.every(([f]) => exists(`${this.raw_folder}/${f.replace(/\.gz$/, "")}`));
    if (all) return;
    Deno.mkdirSync(this.raw_folder, { recursive: true });
    for (const [filename, defaultMd5] of cls.resources) {
      const md5 = md5s === null ? null : md5s?.[filename] ?? defaultMd5;
      const errors: string[] = [];
      let ok = false;
      for (const mirror of mirrors) {
        const url = `${mirror}${filename}`;
        try {
          download_and_extract_archive(url, this.raw_folder, { filename, md5 });
          ok = true;
          break;
        } catch (e) {
          if (!(e instanceof DownloadError) || e.kind !== "network") throw e;
          errors.push(`${url}: ${e.message}`);
          note(`Failed to download (trying next):\n${e.message}\n`);
        }
      }
      if (!ok) {
        throw new RuntimeError(
          `Error downloading ${filename}:\n  ${errors.join("\n  ")}\n` +
            `Without network access, torchvision.datasets.FakeData({ size: 60000, image_size: [1, 28, 28], num_classes: 10, transform }) ` +
            `gives random images of the same shape, or place the IDX files in ${this.raw_folder}`,
        );
      }
    }
  }

  override __getitem__(index: number): [Any, Any] {
    const n = this.#labels.length;
    if (!Number.isInteger(index)) throw new TorchTypeError(`only integers are valid indices (got ${index})`);
    if (index < -n || index >= n) {
      throw new IndexError(`index ${index} is out of bounds for dimension 0 with size ${n}`);
    }
    const i = index < 0 ? index + n : index;
    const px = this.#h * this.#w;
    const img = new Image(this.data.slice(i * px, (i + 1) * px), this.#w, this.#h, "L");
    return this._apply(img, this.#labels[i]);
  }

  __len__(): number {
    return this.#labels.length;
  }

  override extra_repr(): string {
    return `Split: ${this.train ? "Train" : "Test"}`;
  }
}

class FashionMNIST extends MNIST {
  static override mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"];
  static override resources: [string, string][] = [
    ["train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"],
    ["train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"],
    ["t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"],
    ["t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"],
  ];
  static override classes = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
  ];
}

const MNISTPy = callable(MNIST);
type MNISTPy = MNIST;
const FashionMNISTPy = callable(FashionMNIST);
type FashionMNISTPy = FashionMNIST;
export { FashionMNISTPy as FashionMNIST, MNISTPy as MNIST };
