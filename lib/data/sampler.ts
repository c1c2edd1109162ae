/**
 * Samplers: the order in which a DataLoader visits a map-style dataset. `RandomSampler` follows
 * PyTorch's algorithm (see `../shared/notes/PYTORCH_RNG.md`), so after `torch.manual_seed(s)` a
 * shuffling DataLoader visits samples in PyTorch's order.
 * @module
 */
import { default_generator, Generator } from "../random/generator.ts";
import { TorchTypeError, ValueError } from "../errors.ts";
import { len } from "../python.ts";
import { callable } from "../nn/callable.ts";

const INT63 = (1n << 63n) - 1n;

/** Base of samplers: iterable over indices (or batches of indices), maybe with `__len__`. */
class Sampler<T = number> {
  constructor(_data_source?: unknown) {}
  /** Python's `__iter__`. */
  __iter__(): Iterator<T> {
    return this[Symbol.iterator]();
  }
  [Symbol.iterator](): Iterator<T> {
    throw new TypeError(`${this.constructor.name} does not implement [Symbol.iterator]`);
  }
}

/** 0, 1, …, len(data_source) - 1. */
class SequentialSampler extends Sampler<number> {
  constructor(readonly data_source: unknown) {
    super();
  }
  override *[Symbol.iterator](): Iterator<number> {
    const n = len(this.data_source);
    for (let i = 0; i < n; i++) yield i;
  }
  __len__(): number {
    return len(this.data_source);
  }
}

/** Options of {@link RandomSampler}. */
export interface RandomSamplerOptions {
  replacement?: boolean;
  num_samples?: number | null;
  generator?: Generator | null;
}

/**
 * A random order, PyTorch's way: without a generator, each iteration draws a 63-bit seed from
 * the global generator (`torch.empty((), dtype=torch.int64).random_()`), seeds a fresh generator
 * with it and takes `randperm(n)`; with one, `randperm(n, generator)` directly.
 */
class RandomSampler extends Sampler<number> {
  readonly replacement: boolean;
  readonly generator: Generator | null;
  readonly #num_samples: number | null;
  constructor(readonly data_source: unknown, opts: RandomSamplerOptions = {}) {
    super();
    this.replacement = opts.replacement ?? false;
    this.#num_samples = opts.num_samples ?? null;
    this.generator = opts.generator ?? null;
    if (typeof this.replacement !== "boolean") {
      throw new TorchTypeError(
        `replacement should be a boolean value, but got replacement=${this.replacement}`,
      );
    }
    const n = this.num_samples;
    if (!Number.isInteger(n) || n <= 0) {
      throw new ValueError(`num_samples should be a positive integer value, but got num_samples=${n}`);
    }
  }
  /** How many indices one pass yields (the dataset's length unless given). */
  get num_samples(): number {
    return this.#num_samples ?? len(this.data_source);
  }
  override *[Symbol.iterator](): Iterator<number> {
    const n = len(this.data_source);
    let gen = this.generator;
    if (gen === null) {
      gen = new Generator(default_generator.nextUint64() & INT63);
    }
    const num = this.num_samples;
    if (this.replacement) {
      for (let k = 0; k < Math.floor(num / 32); k++) yield* gen.randint(32, 0, n);
      yield* gen.randint(num % 32, 0, n);
    } else {
      for (let k = 0; k < Math.floor(num / n); k++) yield* gen.randperm(n);
      yield* gen.randperm(n).subarray(0, num % n);
    }
  }
  __len__(): number {
    return this.num_samples;
  }
}

/** A random order of the given indices (PyTorch's `SubsetRandomSampler`). */
class SubsetRandomSampler extends Sampler<number> {
  readonly generator: Generator | null;
  constructor(readonly indices: number[], opts: { generator?: Generator | null } = {}) {
    super();
    this.generator = opts.generator ?? null;
  }
  override *[Symbol.iterator](): Iterator<number> {
    const perm = (this.generator ?? default_generator).randperm(this.indices.length);
    for (const i of perm) yield this.indices[i];
  }
  __len__(): number {
    return this.indices.length;
  }
}

/** Groups a sampler's indices into lists of `batch_size` (the last may be short unless `drop_last`). */
class BatchSampler extends Sampler<number[]> {
  constructor(readonly sampler: Iterable<number>, readonly batch_size: number, readonly drop_last: boolean) {
    super();
    if (typeof batch_size !== "number" || !Number.isInteger(batch_size) || batch_size <= 0) {
      throw new ValueError(
        `batch_size should be a positive integer value, but got batch_size=${pyValue(batch_size)}`,
      );
    }
    if (typeof drop_last !== "boolean") {
      throw new ValueError(`drop_last should be a boolean value, but got drop_last=${pyValue(drop_last)}`);
    }
  }
  override *[Symbol.iterator](): Iterator<number[]> {
    const bs = this.batch_size;
    if (this.drop_last) {
      const it = this.sampler[Symbol.iterator]();
      while (true) {
        const batch: number[] = [];
        for (let k = 0; k < bs; k++) {
          const r = it.next();
          if (r.done) return;
          batch.push(r.value);
        }
        yield batch;
      }
    }
    let batch: number[] = [];
    for (const idx of this.sampler) {
      batch.push(idx);
      if (batch.length === bs) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
  __len__(): number {
    const n = len(this.sampler);
    return this.drop_last ? Math.floor(n / this.batch_size) : Math.ceil(n / this.batch_size);
  }
}

/** Python's repr of a plain value, for messages. */
function pyValue(x: unknown): string {
  if (x === null || x === undefined) return "None";
  if (x === true) return "True";
  if (x === false) return "False";
  if (typeof x === "string") return `'${x}'`;
  return String(x);
}

const SamplerPy = callable(Sampler);
type SamplerPy<T = number> = Sampler<T>;
const SequentialSamplerPy = callable(SequentialSampler);
type SequentialSamplerPy = SequentialSampler;
const RandomSamplerPy = callable(RandomSampler);
type RandomSamplerPy = RandomSampler;
const SubsetRandomSamplerPy = callable(SubsetRandomSampler);
type SubsetRandomSamplerPy = SubsetRandomSampler;
const BatchSamplerPy = callable(BatchSampler);
type BatchSamplerPy = BatchSampler;

export {
  BatchSamplerPy as BatchSampler,
  pyValue,
  RandomSamplerPy as RandomSampler,
  SamplerPy as Sampler,
  SequentialSamplerPy as SequentialSampler,
  SubsetRandomSamplerPy as SubsetRandomSampler,
};
