/**
 * Pretrained weight entries (`ResNet18_Weights.DEFAULT` …): where the
 * official checkpoint lives, its hash, and its metadata. Loading looks in
 * PyTorch's own cache first, then downloads (hash-checked); offline, the
 * error says plainly what to do.
 * @module
 */
import { RuntimeError, ValueError } from "../../errors.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { checkpointPath, download_url_to_file } from "../../hub.ts";
import { createHash } from "node:crypto";

function sha256HexSync(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
import categories from "./imagenet_categories.json" with { type: "json" };

/** Reads a checkpoint file into a state dict (wired to `torch.load` by the torch namespace). */
export const checkpointLoader: { load: ((bytes: Uint8Array) => Record<string, Tensor>) | null } = {
  load: null,
};

/** Metadata of a weights entry (the parts learners look at). */
export interface WeightsMeta {
  categories: string[];
  num_params: number;
  metrics: Record<string, number>;
}

/** One pretrained checkpoint, as torchvision's `Weights` enum member. */
export class WeightsEntry {
  constructor(
    readonly enumName: string,
    readonly name: string,
    readonly url: string,
    readonly meta: WeightsMeta,
  ) {}

  /** The file name (`resnet18-f37072fd.pth`); its suffix is the SHA-256 prefix. */
  get file_name(): string {
    return this.url.slice(this.url.lastIndexOf("/") + 1);
  }

  /** `ResNet18_Weights.IMAGENET1K_V1` */
  toString(): string {
    return `${this.enumName}.${this.name}`;
  }

  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** Where the checkpoint is (or would be) cached. */
  cache_path(): string {
    return checkpointPath(this.file_name);
  }

  #downloadSync(path: string, progress: boolean): void {
    const dir = path.slice(0, path.lastIndexOf("/"));
    const offline = `Cannot load ${this}: ${this.file_name} is not in ${dir} and downloading it failed`;
    const hint =
      `Put a copy there (one PyTorch downloaded works), or build the model with weights: null for a random init.`;
    if (!syncDownloader.download) throw new RuntimeError(`${offline}: no downloader. ${hint}`);
    const tmp = `${this.file_name}.${crypto.randomUUID().slice(0, 8)}.unverified`;
    try {
      syncDownloader.download(this.url, dir, tmp, progress);
      const m = /-([0-9a-f]{8,})\.pth$/.exec(this.file_name);
      const digest = sha256HexSync(Deno.readFileSync(`${dir}/${tmp}`));
      if (m && !digest.startsWith(m[1])) {
        throw new RuntimeError(`invalid hash value (expected "${m[1]}", got "${digest}")`);
      }
      Deno.renameSync(`${dir}/${tmp}`, path);
    } catch (e) {
      try {
        Deno.removeSync(`${dir}/${tmp}`);
      } catch { /* nothing was written */ }
      throw new RuntimeError(`${offline} (${e instanceof Error ? e.message : e}). ${hint}`);
    }
  }

  /** Whether the checkpoint is already on disk. */
  is_cached(): boolean {
    try {
      return Deno.statSync(this.cache_path()).isFile;
    } catch {
      return false;
    }
  }

  /** Downloads the checkpoint into the cache if it is not there. */
  async download(opts: { progress?: boolean } = {}): Promise<string> {
    const path = this.cache_path();
    if (this.is_cached()) return path;
    const m = /-([0-9a-f]{8,})\.pth$/.exec(this.file_name);
    await download_url_to_file(this.url, path, {
      hash_prefix: m ? m[1] : null,
      progress: opts.progress ?? true,
    });
    return path;
  }

  /**
   * The state dict, read from PyTorch's cache; a missing checkpoint is
   * downloaded first (progress bar, SHA-256 prefix checked), as torchvision
   * does. Offline, the error says where to put the file instead.
   */
  get_state_dict(opts: { progress?: boolean } = {}): Record<string, Tensor> {
    const path = this.cache_path();
    if (!this.is_cached()) this.#downloadSync(path, opts.progress ?? true);
    if (!checkpointLoader.load) {
      throw new RuntimeError("Cannot load checkpoints: torch.load is not available");
    }
    return checkpointLoader.load(Deno.readFileSync(path));
  }
}

/** Downloads `url` synchronously into `dir/name` (wired to torchvision's download worker). */
export const syncDownloader: {
  download: ((url: string, dir: string, name: string, progress: boolean) => void) | null;
} = { download: null };

/** A torchvision weights enum: its entries and `DEFAULT`. */
export class WeightsEnum {
  readonly entries: Record<string, WeightsEntry> = {};
  constructor(
    readonly name: string,
    entries: [string, string, number, Record<string, number>][],
    defaultName: string,
  ) {
    for (const [n, url, params, metrics] of entries) {
      this.entries[n] = new WeightsEntry(name, n, url, { categories, num_params: params, metrics });
    }
    this.entries.DEFAULT = this.entries[defaultName];
  }
  /** `"IMAGENET1K_V1"`, `"DEFAULT"` or `"ResNet18_Weights.DEFAULT"` to an entry. */
  resolve(s: string): WeightsEntry {
    const key = s.includes(".") ? s.slice(s.indexOf(".") + 1) : s;
    const e = this.entries[key];
    if (!e) throw new ValueError(`Invalid weights name '${s}' for ${this.name}`);
    return e;
  }
}

function enumOf(name: string, entries: [string, string, number, Record<string, number>][], dflt: string) {
  const e = new WeightsEnum(name, entries, dflt);
  return Object.assign(e, e.entries) as WeightsEnum & Record<string, WeightsEntry> & {
    DEFAULT: WeightsEntry;
  };
}

export const ResNet18_Weights = enumOf("ResNet18_Weights", [
  ["IMAGENET1K_V1", "https://download.pytorch.org/models/resnet18-f37072fd.pth", 11689512, {
    "acc@1": 69.758,
    "acc@5": 89.078,
  }],
], "IMAGENET1K_V1");

export const ResNet34_Weights = enumOf("ResNet34_Weights", [
  ["IMAGENET1K_V1", "https://download.pytorch.org/models/resnet34-b627a593.pth", 21797672, {
    "acc@1": 73.314,
    "acc@5": 91.42,
  }],
], "IMAGENET1K_V1");

export const ResNet50_Weights = enumOf("ResNet50_Weights", [
  ["IMAGENET1K_V1", "https://download.pytorch.org/models/resnet50-0676ba61.pth", 25557032, {
    "acc@1": 76.13,
    "acc@5": 92.862,
  }],
  ["IMAGENET1K_V2", "https://download.pytorch.org/models/resnet50-11ad3fa6.pth", 25557032, {
    "acc@1": 80.858,
    "acc@5": 95.434,
  }],
], "IMAGENET1K_V2");
