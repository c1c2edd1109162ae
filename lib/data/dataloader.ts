/**
 * `torch.utils.data.DataLoader`: batches a dataset, in order or shuffled, the way PyTorch 1.13
 * does, down to the random numbers it draws:
 *
 * - creating an iterator (`iter(loader)`, or the start of a `for…of`) draws PyTorch's `_base_seed`
 *   (one 64-bit draw from `generator`, else the global generator);
 * - a shuffling loader's `RandomSampler` draws its own seed at the first batch and takes
 *   `randperm(n)` from a fresh generator seeded with it;
 * - random transforms run inside the dataset's `__getitem__` and draw from the global generator.
 *
 * So after `torch.manual_seed(s)`, batches, their order and random augmentations equal PyTorch's.
 * `num_workers > 0` runs in this thread too, but each emulated worker `w` has its own random stream
 * seeded `base_seed + w` and gets batches `w, w + num_workers, …`, as PyTorch's worker processes do:
 * random augmentations then match PyTorch's with the same `num_workers`.
 * @module
 */
import { default_generator, Generator } from "../random/generator.ts";
import { ValueError } from "../errors.ts";
import { len, StopIteration } from "../python.ts";
import { callable } from "../nn/callable.ts";
import { Dataset, getitem, IterableDataset } from "./dataset.ts";
import { BatchSampler, pyValue, RandomSampler, SequentialSampler } from "./sampler.ts";
import { type Collated, default_collate, default_convert } from "./collate.ts";

const INT63 = (1n << 63n) - 1n;

/** What {@link get_worker_info} returns inside an (emulated) worker. */
export interface WorkerInfo {
  id: number;
  num_workers: number;
  seed: bigint;
  dataset: unknown;
}

let currentWorker: WorkerInfo | null = null;

/** Inside a DataLoader worker, its id, count, seed and dataset; `null` in the main program. */
export function get_worker_info(): WorkerInfo | null {
  return currentWorker;
}

/** Options of {@link DataLoader}, PyTorch's keyword arguments. */
export interface DataLoaderOptions<T = unknown> {
  /** Samples per batch (default 1); `null` turns batching off. */
  batch_size?: number | null;
  /** Reshuffle at every epoch (default false). */
  shuffle?: boolean | null;
  /** The order of indices (exclusive with `shuffle`). */
  sampler?: Iterable<number> | null;
  /** Yields lists of indices (exclusive with batch_size, shuffle, sampler, drop_last). */
  batch_sampler?: Iterable<number[]> | null;
  /** Emulated worker processes (see the module notes); 0 loads in the main program. */
  num_workers?: number;
  /** Merges a list of samples into a batch (default `default_collate`). */
  collate_fn?: ((batch: T[]) => unknown) | null;
  /** Accepted; there is no pinned memory here. */
  pin_memory?: boolean;
  /** Drop the last batch when it is short. */
  drop_last?: boolean;
  /** Accepted; must be >= 0. */
  timeout?: number;
  /** Called with the worker id at the start of each emulated worker. */
  worker_init_fn?: ((worker_id: number) => void) | null;
  /** The generator for shuffling and the base seed (default: the global one). */
  generator?: Generator | null;
  /** Batches each emulated worker fetches ahead (only its random-number timing is emulated). */
  prefetch_factor?: number;
  /** Accepted (needs num_workers > 0, as in PyTorch). */
  persistent_workers?: boolean;
  /** Accepted. */
  multiprocessing_context?: unknown;
  /** Accepted. */
  pin_memory_device?: string;
}

type AnyDataset<T> = Dataset<T> | ArrayLike<T>;

/** A worker's random stream, kept between the batches it fetches. */
interface WorkerState {
  info: WorkerInfo;
  rng: Uint8Array;
  started: boolean;
  iter: Iterator<unknown> | null; // its own copy of an iterable dataset's stream
  done: boolean;
}

/**
 * Combines a dataset and a sampler, and iterates over batches.
 *
 * @example
 * ```ts
 * import { torch, len, iter, next } from "../../mod.ts";
 * import { DataLoader } from "./dataloader.ts";
 * import { TensorDataset } from "./dataset.ts";
 * const ds = TensorDataset(torch.arange(10), torch.arange(10).mul(2));
 * const loader = DataLoader(ds, { batch_size: 4, shuffle: true });
 * len(loader); // 3
 * for (const [x, y] of loader) { x.shape; } // [4], [4], [2]
 * const [x, y] = next(iter(loader));
 * ```
 */
class DataLoader<T = unknown, B = Collated<T>> {
  readonly dataset: AnyDataset<T>;
  readonly batch_size: number | null;
  readonly drop_last: boolean;
  readonly sampler: Iterable<number> | null;
  readonly batch_sampler: Iterable<number[]> | null;
  readonly num_workers: number;
  readonly collate_fn: (batch: T[]) => unknown;
  readonly pin_memory: boolean;
  readonly timeout: number;
  readonly worker_init_fn: ((worker_id: number) => void) | null;
  readonly generator: Generator | null;
  readonly prefetch_factor: number;
  readonly persistent_workers: boolean;
  /** True for an IterableDataset (a stream rather than indices). */
  readonly _iterable: boolean;

  constructor(dataset: AnyDataset<T>, opts: DataLoaderOptions<T> = {}) {
    const num_workers = opts.num_workers ?? 0;
    const timeout = opts.timeout ?? 0;
    const prefetch = opts.prefetch_factor;
    let batch_size = opts.batch_size === undefined ? 1 : opts.batch_size;
    let drop_last = opts.drop_last ?? false;
    let shuffle = opts.shuffle ?? null;
    let sampler = opts.sampler ?? null;
    let batch_sampler = opts.batch_sampler ?? null;
    if (!Number.isInteger(num_workers) || num_workers < 0) {
      throw new ValueError(
        "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.",
      );
    }
    if (!(timeout >= 0)) throw new ValueError("timeout option should be non-negative");
    if (num_workers === 0 && prefetch !== undefined && prefetch !== 2) {
      throw new ValueError(
        "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to enable multiprocessing.",
      );
    }
    if (prefetch !== undefined && !(prefetch > 0)) throw new ValueError("prefetch_factor must be positive");
    if (opts.persistent_workers && num_workers === 0) {
      throw new ValueError("persistent_workers option needs num_workers > 0");
    }
    if (dataset === null || dataset === undefined) {
      throw new ValueError("DataLoader needs a dataset (got None)");
    }
    const iterable = dataset instanceof IterableDataset;
    if (iterable) {
      if (shuffle !== null && shuffle !== false) {
        throw new ValueError(
          `DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${
            pyValue(shuffle)
          }`,
        );
      }
      if (sampler !== null) {
        throw new ValueError(
          "DataLoader with IterableDataset: expected unspecified sampler option, but got sampler=" + sampler,
        );
      }
      if (batch_sampler !== null) {
        throw new ValueError(
          "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got batch_sampler=" +
            batch_sampler,
        );
      }
    } else shuffle = Boolean(shuffle);
    if (sampler !== null && shuffle) {
      throw new ValueError("sampler option is mutually exclusive with shuffle");
    }
    if (batch_sampler !== null) {
      if (batch_size !== 1 || shuffle || sampler !== null || drop_last) {
        throw new ValueError(
          "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last",
        );
      }
      batch_size = null;
      drop_last = false;
    } else if (batch_size === null && drop_last) {
      throw new ValueError(
        "batch_size=None option disables auto-batching and is mutually exclusive with drop_last",
      );
    }
    const generator = opts.generator ?? null;
    if (!iterable && sampler === null) {
      sampler = shuffle ? new RandomSampler(dataset, { generator }) : new SequentialSampler(dataset);
    }
    if (batch_size !== null && batch_sampler === null) {
      // an IterableDataset is batched by counting (PyTorch's _InfiniteConstantSampler)
      batch_sampler = new BatchSampler(sampler ?? { [Symbol.iterator]: infinite }, batch_size, drop_last);
    }
    this.dataset = dataset;
    this.batch_size = batch_size;
    this.drop_last = drop_last;
    this.sampler = sampler;
    this.batch_sampler = batch_sampler;
    this.num_workers = num_workers;
    this.collate_fn = opts.collate_fn ??
      (batch_size === null && batch_sampler === null
        ? (default_convert as (b: T[]) => unknown)
        : default_collate);
    this.pin_memory = opts.pin_memory ?? false;
    this.timeout = timeout;
    this.worker_init_fn = opts.worker_init_fn ?? null;
    this.generator = generator;
    this.prefetch_factor = prefetch ?? 2;
    this.persistent_workers = opts.persistent_workers ?? false;
    this._iterable = iterable;
  }

  /** Whether samples are batched (a batch sampler exists). */
  get _auto_collation(): boolean {
    return this.batch_sampler !== null;
  }

  /** The number of batches (`len(loader)`). */
  __len__(): number {
    if (this._iterable) {
      const n = len(this.dataset);
      if (this.batch_size === null) return n;
      return this.drop_last ? Math.floor(n / this.batch_size) : Math.ceil(n / this.batch_size);
    }
    return len(this._auto_collation ? this.batch_sampler : this.sampler);
  }

  /** A new pass over the data (`iter(loader)`, `for…of`). */
  [Symbol.iterator](): DataLoaderIter<B> {
    return new DataLoaderIter<B>(this as DataLoader<unknown, B>);
  }

  /** Python's `__iter__`. */
  __iter__(): DataLoaderIter<B> {
    return this[Symbol.iterator]();
  }

  /**
   * `for await (const batch of loader)`: the same batches, yielding to the event loop between
   * them so engine memory of tensors that died in the loop body is released as it goes (a plain
   * synchronous loop only releases it when the loop ends).
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    const it = this[Symbol.iterator]();
    try {
      for (let r = it.next(); !r.done; r = it.next()) {
        yield r.value;
        await macrotask();
      }
    } finally {
      yieldChannel?.port1.close();
      yieldChannel = null;
    }
  }

  toString(): string {
    return "<torch.utils.data.dataloader.DataLoader object>";
  }
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

function* infinite(): IterableIterator<number> {
  while (true) yield 0;
}

let yieldChannel: MessageChannel | null = null;

/** Yields to the event loop (a message round trip: far cheaper than setTimeout's ~2 ms). */
function macrotask(): Promise<void> {
  if (!yieldChannel) yieldChannel = new MessageChannel();
  const ch = yieldChannel;
  return new Promise<void>((resolve) => {
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(0);
  });
}

/**
 * One pass over a DataLoader: PyTorch's `_SingleProcessDataLoaderIter` (or, with workers, the
 * order and random streams of `_MultiProcessingDataLoaderIter`).
 */
class DataLoaderIter<B = unknown> implements IterableIterator<B> {
  readonly #loader: DataLoader<unknown, B>;
  readonly #indices: Iterator<number[] | number>;
  readonly _base_seed: bigint;
  readonly #workers: WorkerState[] = [];
  readonly #queue: (number[] | number)[] = [];
  #indicesDone = false;
  #count = 0;
  #datasetIter: Iterator<unknown> | null = null;
  #finished = false;

  constructor(loader: DataLoader<unknown, B>) {
    this.#loader = loader;
    const source = loader._auto_collation ? loader.batch_sampler! : loader.sampler;
    this.#indices = source ? source[Symbol.iterator]() : infinite();
    this._base_seed = (loader.generator ?? default_generator).nextUint64() & INT63;
    const k = loader.num_workers;
    for (let w = 0; w < k; w++) {
      const seed = this._base_seed + BigInt(w);
      this.#workers.push({
        info: Object.freeze({ id: w, num_workers: k, seed, dataset: loader.dataset }),
        rng: new Generator(seed).get_state(),
        started: false,
        iter: null,
        done: false,
      });
    }
    if (k > 0 && !loader._iterable) {
      // PyTorch hands each worker prefetch_factor batches of indices before the first next().
      for (let i = 0; i < k * loader.prefetch_factor; i++) if (!this.#pullIndex()) break;
    }
  }

  #pullIndex(): boolean {
    if (this.#indicesDone) return false;
    const r = this.#indices.next();
    if (r.done) {
      this.#indicesDone = true;
      return false;
    }
    this.#queue.push(r.value);
    return true;
  }

  #nextIndex(): number[] | number | null {
    if (this.#queue.length === 0 && !this.#pullIndex()) return null;
    const idx = this.#queue.shift()!;
    if (this.#workers.length > 0) this.#pullIndex(); // keep the prefetch window full
    return idx;
  }

  /** Runs `body` as worker `w` would: its random stream, its worker info, its init function. */
  #asWorker<R>(w: WorkerState, body: () => R): R {
    const main = default_generator.get_state();
    const outer = currentWorker;
    default_generator.set_state(w.rng);
    currentWorker = w.info;
    try {
      if (!w.started) {
        w.started = true;
        this.#loader.worker_init_fn?.(w.info.id);
      }
      return body();
    } finally {
      w.rng = default_generator.get_state();
      currentWorker = outer;
      default_generator.set_state(main);
    }
  }

  #fetch(index: number[] | number): B {
    const loader = this.#loader;
    const ds = loader.dataset;
    if (loader._auto_collation) {
      const batch = (index as number[]).map((i) => getitem(ds, i));
      return loader.collate_fn(batch) as B;
    }
    return loader.collate_fn(getitem(ds, index as number) as never) as B;
  }

  /** The next sample of an iterable dataset's stream, or null at its end. */
  #fetchStream(stream: Iterator<unknown>, index: number[] | number): { value: B } | null {
    const loader = this.#loader;
    if (loader._auto_collation) {
      const data: unknown[] = [];
      const want = (index as number[]).length;
      for (let k = 0; k < want; k++) {
        const r = stream.next();
        if (r.done) break;
        data.push(r.value);
      }
      if (data.length === 0 || (loader.drop_last && data.length < want)) return null;
      return { value: loader.collate_fn(data) as B };
    }
    const r = stream.next();
    if (r.done) return null;
    return { value: loader.collate_fn(r.value as never) as B };
  }

  #nextBatch(): { value: B } | null {
    const loader = this.#loader;
    const workers = this.#workers;
    if (loader._iterable) {
      const index = this.#nextIndex();
      if (index === null) return null;
      if (workers.length === 0) {
        this.#datasetIter ??= (loader.dataset as Iterable<unknown>)[Symbol.iterator]();
        return this.#fetchStream(this.#datasetIter, index);
      }
      // every worker streams its own copy of the dataset (shard with get_worker_info())
      while (workers.some((w) => !w.done)) {
        const w = workers[this.#count++ % workers.length];
        if (w.done) continue;
        const got = this.#asWorker(w, () => {
          w.iter ??= (loader.dataset as Iterable<unknown>)[Symbol.iterator]();
          return this.#fetchStream(w.iter, index);
        });
        if (got) return got;
        w.done = true;
      }
      return null;
    }
    const index = this.#nextIndex();
    if (index === null) return null;
    if (workers.length === 0) return { value: this.#fetch(index) };
    const w = workers[this.#count++ % workers.length];
    return { value: this.#asWorker(w, () => this.#fetch(index)) };
  }

  /** JavaScript's iterator protocol. */
  next(): IteratorResult<B> {
    if (this.#finished) return { done: true, value: undefined };
    const got = this.#nextBatch();
    if (got === null) {
      this.#finished = true;
      return { done: true, value: undefined };
    }
    return { done: false, value: got.value };
  }

  /** Python's `__next__`: the next batch, or StopIteration. */
  __next__(): B {
    const r = this.next();
    if (r.done) throw new StopIteration();
    return r.value;
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** The number of batches of the pass. */
  __len__(): number {
    return this.#loader.__len__();
  }

  toString(): string {
    const kind = this.#workers.length > 0 ? "_MultiProcessingDataLoaderIter" : "_SingleProcessDataLoaderIter";
    return `<torch.utils.data.dataloader.${kind} object>`;
  }
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** `DataLoader(dataset, opts)` without `new` keeps the sample type, as `new DataLoader` does. */
type DataLoaderClass = typeof DataLoader & {
  <T>(dataset: AnyDataset<T>, opts?: DataLoaderOptions<T>): DataLoader<T>;
};
const DataLoaderPy = callable(DataLoader) as DataLoaderClass;
type DataLoaderPy<T = unknown, B = Collated<T>> = DataLoader<T, B>;

export { DataLoaderIter, DataLoaderPy as DataLoader };
