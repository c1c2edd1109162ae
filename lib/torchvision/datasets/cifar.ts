/**
 * `torchvision.datasets.CIFAR10`, from the official *binary* archive
 * (`cifar-10-binary.tar.gz` → `cifar-10-batches-bin/`), or from a `cifar-10-batches-py/` folder
 * that torchvision already downloaded (read with a safe pickle reader, never by running code).
 *
 * Items are `[image, target]`: an {@link Image} (32×32 RGB) and the class index, through
 * `transform` / `target_transform`. `data` is the whole split as HWC bytes (torchvision: a numpy
 * array of shape (N, 32, 32, 3)), `targets` the labels.
 * @module
 */
import { IndexError, RuntimeError, TorchTypeError } from "../../errors.ts";
import { callable } from "../../nn/callable.ts";
import { Image } from "../image.ts";
import {
  check_integrity,
  download_and_extract_archive,
  DownloadError,
  extract_archive,
  note,
} from "./download.ts";
import { field, NDArray, readPickle } from "./pickle.ts";
import { type Any, rootAndOptions, VisionDataset, type VisionOptions } from "./vision.ts";

/** Options of {@link CIFAR10}: torchvision's, plus where to get the archive. */
export interface CIFAR10Options extends VisionOptions {
  /** The training split (50,000 images) or the test split (10,000). Default true. */
  train?: boolean;
  /** Download and extract the archive into `root` unless the batches are already there. */
  download?: boolean;
  /** Where to download from (default: the official URL). */
  url?: string;
  /** The archive's expected MD5 (default: the official archive's); `null` skips the check. */
  md5?: string | null;
  /** A local copy of `cifar-10-binary.tar.gz` to extract instead of downloading. */
  archive?: string;
}

const RECORD = 3073;
const PIXELS = 3072;
const PER_BATCH = 10000;
const BATCH_BYTES = RECORD * PER_BATCH;

function join(...parts: string[]): string {
  return parts.map((p, i) => (i > 0 ? p.replace(/^\/+/, "") : p.replace(/\/+$/, "") || "/")).join("/");
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function size(path: string): number | null {
  try {
    const st = Deno.statSync(path);
    return st.isFile ? st.size : null;
  } catch {
    return null;
  }
}

/** Official batch files of the binary layout. */
const BIN_TRAIN = [
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
];
const BIN_TEST = ["test_batch.bin"];
const PY_TRAIN = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"];
const PY_TEST = ["test_batch"];

class CIFAR10 extends VisionDataset<Any, Any> {
  /** The folder the binary archive extracts to. */
  static readonly base_folder = "cifar-10-batches-bin";
  /** The folder torchvision's own (python) download extracts to. */
  static readonly py_folder = "cifar-10-batches-py";
  static readonly url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
  static readonly filename = "cifar-10-binary.tar.gz";
  static readonly tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530";
  static readonly default_classes = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
  ];

  readonly train: boolean;
  /** All images of the split, HWC bytes: image i is `data.subarray(i * 3072, (i + 1) * 3072)`. */
  readonly data: Uint8Array;
  /** The label of each image. */
  readonly targets: number[];
  /** Class names, from the batches' metadata. */
  readonly classes: string[];
  readonly class_to_idx: Record<string, number>;
  /** Which layout was read: `"bin"` or `"py"`. */
  readonly source: "bin" | "py";

  constructor(root?: string | CIFAR10Options, opts?: CIFAR10Options) {
    const [r, o] = rootAndOptions<CIFAR10Options>(root, opts);
    super(r, o);
    this.train = o.train ?? true;
    const md5 = o.md5 === undefined ? CIFAR10.tgz_md5 : o.md5;
    if (o.archive !== undefined && o.archive !== null) {
      if (!this._check_integrity()) this.#fromArchive(o.archive, md5);
    } else if (o.download) {
      if (this._check_integrity() || this.#pyComplete()) note("Files already downloaded and verified");
      else this.#download(o.url ?? CIFAR10.url, md5);
    }
    if (this._check_integrity()) {
      this.source = "bin";
      [this.data, this.targets] = this.#loadBin();
      this.classes = this.#metaBin();
    } else if (this.#pyComplete()) {
      this.source = "py";
      [this.data, this.targets] = this.#loadPy();
      this.classes = this.#metaPy();
    } else {
      throw new RuntimeError(this.#missing());
    }
    this.class_to_idx = Object.fromEntries(this.classes.map((c, i) => [c, i]));
  }

  get #bin(): string {
    return join(this.root, CIFAR10.base_folder);
  }
  get #py(): string {
    return join(this.root, CIFAR10.py_folder);
  }

  /** Whether every batch file of the binary layout is there with its full size. */
  _check_integrity(): boolean {
    return [...BIN_TRAIN, ...BIN_TEST].every((f) => size(join(this.#bin, f)) === BATCH_BYTES);
  }

  #pyComplete(): boolean {
    const files = this.train ? PY_TRAIN : PY_TEST;
    return [...files, "batches.meta"].every((f) => size(join(this.#py, f)) !== null);
  }

  /** The clearest reason the data cannot be read. */
  #missing(): string {
    const hint = "You can use download=True to download it (here: { download: true })";
    if (!isDir(this.root)) return `Dataset not found: the root folder ${this.root} does not exist. ${hint}`;
    const files = this.train ? BIN_TRAIN : BIN_TEST;
    for (const f of [...BIN_TRAIN, ...BIN_TEST]) {
      const p = join(this.#bin, f);
      const s = size(p);
      if (s !== null && s !== BATCH_BYTES) {
        return `Dataset corrupted: ${p} is ${
          s < BATCH_BYTES ? "truncated" : "too long"
        }: ${s} bytes, expected ` +
          `${BATCH_BYTES} (${PER_BATCH} records of ${RECORD} bytes). Delete ${this.#bin} and download again ` +
          `({ download: true }), or extract a good archive ({ archive: path })`;
      }
    }
    const missing = files.map((f) => join(this.#bin, f)).find((p) => size(p) === null);
    return `Dataset not found or corrupted: ${missing ?? this.#bin} is missing. ${hint}`;
  }

  #download(url: string, md5: string | null): void {
    try {
      download_and_extract_archive(url, this.root, { filename: CIFAR10.filename, md5 });
    } catch (e) {
      if (e instanceof DownloadError && e.kind === "network") {
        throw new RuntimeError(
          `Failed to download CIFAR-10 from ${url}: ${e.message.replace(/\.$/, "")}.\n` +
            `Without network access you can:\n` +
            `  - train on random images of the same shape: torchvision.datasets.FakeData({ size: 50000, ` +
            `image_size: [3, 32, 32], num_classes: 10, transform })\n` +
            `  - or use a local copy of the archive: torchvision.datasets.CIFAR10("${this.root}", ` +
            `{ archive: "/path/to/cifar-10-binary.tar.gz", md5: null, transform }) ` +
            `(md5: null skips the checksum, or give the copy's MD5)`,
        );
      }
      throw e;
    }
  }

  #fromArchive(archive: string, md5: string | null): void {
    if (size(archive) === null) throw new RuntimeError(`CIFAR-10 archive not found: ${archive}`);
    if (md5 && !check_integrity(archive, md5)) {
      throw new RuntimeError(
        `MD5 mismatch for ${archive}: expected ${md5} (${
          md5 === CIFAR10.tgz_md5 ? "the official archive's" : "given"
        })` +
          `; pass md5: null to skip the check, or the copy's own MD5`,
      );
    }
    try {
      Deno.mkdirSync(this.root, { recursive: true });
      extract_archive(archive, { to_path: this.root });
    } catch (e) {
      if (e instanceof DownloadError) throw new RuntimeError(e.message);
      throw e;
    }
  }

  #loadBin(): [Uint8Array, number[]] {
    const files = this.train ? BIN_TRAIN : BIN_TEST;
    const n = files.length * PER_BATCH;
    const data = new Uint8Array(n * PIXELS);
    const targets = new Array<number>(n);
    files.forEach((f, b) => {
      const path = join(this.#bin, f);
      const buf = Deno.readFileSync(path);
      if (buf.length !== BATCH_BYTES) {
        throw new RuntimeError(
          `Dataset corrupted: ${path} is truncated: ${buf.length} bytes, expected ${BATCH_BYTES}`,
        );
      }
      for (let r = 0; r < PER_BATCH; r++) {
        const src = r * RECORD;
        const label = buf[src];
        if (label > 9) {
          throw new RuntimeError(
            `${path}: record ${r} has label ${label}; this is not a CIFAR-10 batch file`,
          );
        }
        const i = b * PER_BATCH + r;
        targets[i] = label;
        chwToHwc(buf, src + 1, data, i * PIXELS);
      }
    });
    return [data, targets];
  }

  #metaBin(): string[] {
    try {
      const text = Deno.readTextFileSync(join(this.#bin, "batches.meta.txt"));
      const names = text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
      return names.length === 10 ? names : [...CIFAR10.default_classes];
    } catch {
      return [...CIFAR10.default_classes];
    }
  }

  #loadPy(): [Uint8Array, number[]] {
    const files = this.train ? PY_TRAIN : PY_TEST;
    const parts: [Uint8Array, number[]][] = files.map((f) => {
      const path = join(this.#py, f);
      let entry: unknown;
      try {
        entry = readPickle(Deno.readFileSync(path));
      } catch (e) {
        throw new RuntimeError(`Dataset corrupted: cannot read ${path}: ${(e as Error).message}`);
      }
      const arr = field(entry, "data", path);
      const labels = (entry as Record<string, unknown>).labels ??
        (entry as Record<string, unknown>).fine_labels;
      if (
        !(arr instanceof NDArray) || arr.dtype.replace(/^[|<=]/, "") !== "u1" || arr.shape.length !== 2 ||
        arr.shape[1] !== PIXELS || arr.fortran
      ) {
        throw new RuntimeError(`Dataset corrupted: ${path}: 'data' is not a uint8 array of shape (N, 3072)`);
      }
      if (arr.data.length !== arr.shape[0] * PIXELS) {
        throw new RuntimeError(`Dataset corrupted: ${path} is truncated`);
      }
      if (
        !Array.isArray(labels) || labels.length !== arr.shape[0] || !labels.every((l) => Number.isInteger(l))
      ) {
        throw new RuntimeError(`Dataset corrupted: ${path}: 'labels' does not match 'data'`);
      }
      return [arr.data, labels as number[]];
    });
    const n = parts.reduce((a, [, l]) => a + l.length, 0);
    const data = new Uint8Array(n * PIXELS);
    const targets: number[] = [];
    let i = 0;
    for (const [raw, labels] of parts) {
      for (let r = 0; r < labels.length; r++, i++) chwToHwc(raw, r * PIXELS, data, i * PIXELS);
      targets.push(...labels);
    }
    return [data, targets];
  }

  #metaPy(): string[] {
    const path = join(this.#py, "batches.meta");
    try {
      const meta = readPickle(Deno.readFileSync(path));
      const names = field(meta, "label_names", path);
      if (Array.isArray(names)) return names.map(String);
    } catch (e) {
      throw new RuntimeError(
        `Dataset metadata file not found or corrupted (${path}: ${
          (e as Error).message
        }). You can use download=True to download it`,
      );
    }
    return [...CIFAR10.default_classes];
  }

  /** Item `index`: `[image, target]` after the transforms. Negative indices count from the end. */
  override __getitem__(index: number): [Any, Any] {
    const n = this.targets.length;
    if (!Number.isInteger(index)) throw new TorchTypeError(`only integers are valid indices (got ${index})`);
    if (index < -n || index >= n) {
      throw new IndexError(`index ${index} is out of bounds for axis 0 with size ${n}`);
    }
    const i = index < 0 ? index + n : index;
    const img = new Image(this.data.slice(i * PIXELS, (i + 1) * PIXELS), 32, 32, "RGB");
    return this._apply(img, this.targets[i]);
  }

  __len__(): number {
    return this.targets.length;
  }

  override extra_repr(): string {
    return `Split: ${this.train ? "Train" : "Test"}`;
  }
}

/** One 32×32 record from planar R, G, B (1024 bytes each) to interleaved RGB. */
function chwToHwc(src: Uint8Array, s: number, dst: Uint8Array, d: number): void {
  for (let p = 0; p < 1024; p++) {
    const o = d + p * 3;
    dst[o] = src[s + p];
    dst[o + 1] = src[s + 1024 + p];
    dst[o + 2] = src[s + 2048 + p];
  }
}

const CIFAR10Py = callable(CIFAR10);
type CIFAR10Py = CIFAR10;
export { CIFAR10Py as CIFAR10 };
