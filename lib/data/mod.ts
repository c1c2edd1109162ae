/**
 * `torch.utils.data`: datasets, samplers, collation and the DataLoader.
 *
 * @example
 * ```ts
 * import { torch } from "../../mod.ts";
 * import { data } from "./mod.ts";
 * torch.manual_seed(0);
 * const ds = data.TensorDataset(torch.arange(10));
 * for (const [x] of data.DataLoader(ds, { batch_size: 4, shuffle: true })) console.log(String(x));
 * ```
 * @module
 */
import { ConcatDataset, Dataset, IterableDataset, random_split, Subset, TensorDataset } from "./dataset.ts";
import { BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler } from "./sampler.ts";
import { default_collate, default_convert } from "./collate.ts";
import { DataLoader, get_worker_info } from "./dataloader.ts";

export {
  BatchSampler,
  ConcatDataset,
  DataLoader,
  Dataset,
  default_collate,
  default_convert,
  get_worker_info,
  IterableDataset,
  random_split,
  RandomSampler,
  Sampler,
  SequentialSampler,
  Subset,
  SubsetRandomSampler,
  TensorDataset,
};
export type { Collated } from "./collate.ts";
export type { DataLoaderOptions, WorkerInfo } from "./dataloader.ts";
export type { DataLoaderIter } from "./dataloader.ts";

/** The `torch.utils.data` namespace. */
export const data = {
  BatchSampler,
  ConcatDataset,
  DataLoader,
  Dataset,
  default_collate,
  default_convert,
  get_worker_info,
  IterableDataset,
  random_split,
  RandomSampler,
  Sampler,
  SequentialSampler,
  Subset,
  SubsetRandomSampler,
  TensorDataset,
};
