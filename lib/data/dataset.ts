/**
 * `torch.utils.data` datasets: `Dataset` (subclass it with `__getitem__` and `__len__`),
 * `IterableDataset`, `TensorDataset`, `Subset`, `ConcatDataset` and `random_split`.
 *
 * As in PyTorch, `len(ds)` calls `__len__`, `ds[i]` calls `__getitem__(i)` (integer keys,
 * negative included, are routed there), and `for (const x of ds)` walks the items.
 * @module
 */
import { Tensor } from "../tensor/tensor.ts";
import { default_generator, type Generator } from "../random/generator.ts";
import { IndexError, NotImplementedError, TorchTypeError, ValueError } from "../errors.ts";
import { len } from "../python.ts";
import { callable } from "../nn/callable.ts";

const INT_KEY = /^-?(0|[1-9][0-9]*)$/;

/**
 * A map-style dataset: subclasses implement `__getitem__(index)` and usually `__len__()`.
 *
 * @example
 * ```ts
 * import { torch, len } from "../../mod.ts";
 * import { Dataset } from "./dataset.ts";
 * class Squares extends Dataset<number> { // (TypeScript asks for `override` on __getitem__)
 *   override __getitem__(i: number) { return i * i; }
 *   __len__() { return 5; }
 * }
 * const ds = new Squares();
 * len(ds); // 5
 * ds[3];   // 9
 * ```
 */
class Dataset<T = unknown> {
  /** `ds[i]` is `ds.__getitem__(i)`. */
  readonly [index: number]: T;

  /** The item at `index`. */
  __getitem__(_index: number): T {
    throw new NotImplementedError(`Subclasses of Dataset should implement __getitem__.`);
  }

  /** `ds1 + ds2` in PyTorch: their concatenation. */
  __add__(other: Dataset<T>): ConcatDataset<T> {
    return new ConcatDataset<T>([this, other]);
  }

  /** Iterates over the items: indices 0..len-1, or until `__getitem__` raises IndexError. */
  *[Symbol.iterator](): IterableIterator<T> {
    const sized = this as { __len__?: () => number };
    if (typeof sized.__len__ === "function") {
      const n = sized.__len__();
      for (let i = 0; i < n; i++) yield this.__getitem__(i);
      return;
    }
    for (let i = 0;; i++) {
      let item: T;
      try {
        item = this.__getitem__(i);
      } catch (e) {
        if (e instanceof IndexError) return;
        throw e;
      }
      yield item;
    }
  }
}

// Integer keys that nothing else defines reach `__getitem__`: a Proxy placed in the prototype
// chain after Dataset.prototype sees only the names the object and its classes lack.
Object.setPrototypeOf(
  Dataset.prototype,
  new Proxy(Object.prototype, {
    get(target, key, receiver) {
      if (typeof key === "string" && INT_KEY.test(key)) {
        const ds = receiver as Dataset;
        if (typeof ds.__getitem__ === "function") return ds.__getitem__(Number(key));
      }
      return Reflect.get(target, key, receiver);
    },
  }),
);

/**
 * A dataset that is a stream: subclasses implement `[Symbol.iterator]` (PyTorch's `__iter__`).
 * The DataLoader batches what it yields, in order.
 */
class IterableDataset<T = unknown> extends Dataset<T> {
  /** Python's `__iter__`: subclasses override this or `[Symbol.iterator]`. */
  __iter__(): Iterator<T> {
    throw new NotImplementedError(`Subclasses of IterableDataset should implement __iter__.`);
  }
  override *[Symbol.iterator](): IterableIterator<T> {
    const it = this.__iter__();
    for (let r = it.next(); !r.done; r = it.next()) yield r.value;
  }
}

/**
 * Tensors indexed together along their first dimension: item `i` is `[t0[i], t1[i], …]`.
 *
 * @example
 * ```ts
 * import { torch, len } from "../../mod.ts";
 * import { TensorDataset } from "./dataset.ts";
 * const ds = TensorDataset(torch.arange(6).view(3, 2), torch.tensor([0, 1, 0]));
 * len(ds); // 3
 * const [x, y] = ds[1]; // tensor([2, 3]), tensor(1)
 * ```
 */
class TensorDataset extends Dataset<Tensor[]> {
  /** The tensors, as given. */
  readonly tensors: Tensor[];
  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new ValueError("TensorDataset needs at least one tensor");
    for (const t of tensors) {
      if (!(t instanceof Tensor)) {
        throw new TorchTypeError(`TensorDataset expects tensors, got ${typeof t}`);
      }
      if (t.dim() === 0) throw new TorchTypeError("TensorDataset: a 0-d tensor has no first dimension");
    }
    const n = tensors[0].size(0);
    if (!tensors.every((t) => t.size(0) === n)) throw new ValueError("Size mismatch between tensors");
    this.tensors = tensors;
  }
  override __getitem__(index: number): Tensor[] {
    return this.tensors.map((t) => t.select(0, index));
  }
  __len__(): number {
    return this.tensors[0].size(0);
  }
}

/** Normalises a Python-style list index (negative counts from the end), or throws IndexError. */
function listIndex(index: number, n: number, what = "list"): number {
  if (!Number.isInteger(index)) {
    throw new TorchTypeError(`${what} indices must be integers, not ${typeof index}`);
  }
  const i = index < 0 ? index + n : index;
  if (i < 0 || i >= n) throw new IndexError(`${what} index out of range`);
  return i;
}

/**
 * The items of `dataset` at `indices`, in that order.
 *
 * @example
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { Subset, TensorDataset } from "./dataset.ts";
 * const sub = Subset(TensorDataset(torch.arange(10)), [7, 2]);
 * sub[0]; // [tensor(7)]
 * ```
 */
class Subset<T = unknown> extends Dataset<T> {
  constructor(readonly dataset: Dataset<T> | ArrayLike<T>, readonly indices: number[]) {
    super();
  }
  override __getitem__(idx: number): T {
    return getitem(this.dataset, this.indices[listIndex(idx, this.indices.length)]);
  }
  __len__(): number {
    return this.indices.length;
  }
}

/** Several datasets one after the other. */
class ConcatDataset<T = unknown> extends Dataset<T> {
  readonly datasets: (Dataset<T> | ArrayLike<T>)[];
  readonly cumulative_sizes: number[];
  constructor(datasets: Iterable<Dataset<T> | ArrayLike<T>>) {
    super();
    this.datasets = [...datasets];
    if (this.datasets.length === 0) throw new ValueError("datasets should not be an empty iterable");
    for (const d of this.datasets) {
      if (d instanceof IterableDataset) {
        throw new ValueError("ConcatDataset does not support IterableDataset");
      }
    }
    let s = 0;
    this.cumulative_sizes = this.datasets.map((d) => (s += len(d)));
  }
  __len__(): number {
    return this.cumulative_sizes[this.cumulative_sizes.length - 1];
  }
  override __getitem__(idx: number): T {
    const n = this.__len__();
    if (idx < 0) {
      if (-idx > n) throw new ValueError("absolute value of index should not exceed dataset length");
      idx = n + idx;
    }
    // bisect_right
    let lo = 0;
    let hi = this.cumulative_sizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (idx < this.cumulative_sizes[mid]) hi = mid;
      else lo = mid + 1;
    }
    if (lo >= this.datasets.length) throw new IndexError("list index out of range");
    const sample = lo === 0 ? idx : idx - this.cumulative_sizes[lo - 1];
    return getitem(this.datasets[lo], sample);
  }
}

/**
 * Splits a dataset into non-overlapping subsets of the given lengths (or fractions summing to 1),
 * in PyTorch's way: `randperm(n, generator)` then consecutive slices. With the same seed, the same
 * subsets as PyTorch.
 *
 * @example
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { random_split, TensorDataset } from "./dataset.ts";
 * const ds = TensorDataset(torch.arange(10));
 * const [a, b] = random_split(ds, [3, 7], new torch.Generator(42));
 * a.indices; // the same indices as PyTorch's
 * ```
 */
function random_split<T>(
  dataset: Dataset<T> | ArrayLike<T>,
  lengths: number[],
  generator: Generator | { generator?: Generator } = default_generator,
): Subset<T>[] {
  const gen = isGenerator(generator) ? generator : (generator.generator ?? default_generator);
  const n = len(dataset);
  const total = lengths.reduce((a, b) => a + b, 0);
  let sizes = lengths;
  if (Math.abs(total - 1) <= 1e-9 * Math.max(1, Math.abs(total)) && total <= 1) {
    sizes = lengths.map((frac, i) => {
      if (frac < 0 || frac > 1) throw new ValueError(`Fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * frac);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length] += 1;
    sizes.forEach((l, i) => {
      if (l === 0) {
        console.warn(
          `UserWarning: Length of split at index ${i} is 0. This might result in an empty dataset.`,
        );
      }
    });
  }
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum !== n || !sizes.every((l) => Number.isInteger(l) && l >= 0)) {
    throw new ValueError("Sum of input lengths does not equal the length of the input dataset!");
  }
  const perm = Array.from(gen.randperm(sum));
  const out: Subset<T>[] = [];
  let offset = 0;
  for (const l of sizes) {
    out.push(new Subset(dataset, perm.slice(offset, offset + l)));
    offset += l;
  }
  return out;
}

/**
 * `dataset[index]` for anything PyTorch accepts as a map-style dataset: a Dataset (its
 * `__getitem__`), or a plain array or other indexable sequence.
 */
function getitem<T>(dataset: Dataset<T> | ArrayLike<T>, index: number): T {
  const d = dataset as { __getitem__?: (i: number) => T };
  if (typeof d.__getitem__ === "function") return d.__getitem__(index);
  const a = dataset as ArrayLike<T>;
  if (typeof a.length === "number") return a[listIndex(index, a.length)];
  throw new TorchTypeError(
    `'${(dataset as object)?.constructor?.name ?? typeof dataset}' object is not subscriptable`,
  );
}

function isGenerator(x: unknown): x is Generator {
  return typeof (x as Generator)?.randperm === "function" &&
    typeof (x as Generator)?.nextUint32 === "function";
}

const DatasetPy = callable(Dataset);
type DatasetPy<T = unknown> = Dataset<T>;
const IterableDatasetPy = callable(IterableDataset);
type IterableDatasetPy<T = unknown> = IterableDataset<T>;
const TensorDatasetPy = callable(TensorDataset);
type TensorDatasetPy = TensorDataset;
const SubsetPy = callable(Subset) as typeof Subset & {
  <T>(dataset: Dataset<T> | ArrayLike<T>, indices: number[]): Subset<T>;
};
type SubsetPy<T = unknown> = Subset<T>;
const ConcatDatasetPy = callable(ConcatDataset) as typeof ConcatDataset & {
  <T>(datasets: Iterable<Dataset<T> | ArrayLike<T>>): ConcatDataset<T>;
};
type ConcatDatasetPy<T = unknown> = ConcatDataset<T>;

export {
  ConcatDatasetPy as ConcatDataset,
  DatasetPy as Dataset,
  getitem,
  isGenerator,
  IterableDatasetPy as IterableDataset,
  listIndex,
  random_split,
  SubsetPy as Subset,
  TensorDatasetPy as TensorDataset,
};
