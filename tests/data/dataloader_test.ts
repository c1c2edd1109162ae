/**
 * torch.utils.data against tests/fixtures/data.json (PyTorch 1.13, written by
 * tests/fixtures/gen_data.py): batch order after manual_seed, the random numbers each loader
 * consumes, samplers, random_split and default_collate; plus Python-style use (len, iter, next,
 * indexing, subclassing) and the errors PyTorch raises.
 */
import assert from "node:assert/strict";
import { iter, len, list, next, StopIteration, str, torch } from "../../mod.ts";
import type { Tensor } from "../../lib/tensor/tensor.ts";
import {
  BatchSampler,
  ConcatDataset,
  DataLoader,
  Dataset,
  default_collate,
  get_worker_info,
  IterableDataset,
  random_split,
  RandomSampler,
  SequentialSampler,
  Subset,
  SubsetRandomSampler,
  TensorDataset,
} from "../../lib/data/mod.ts";
import fixture from "../fixtures/data.json" with { type: "json" };
import { decodeBase64 } from "../torchvision/_b64.ts";

// deno-lint-ignore no-explicit-any
const fx = fixture as any;

function f32(b64: string): number[] {
  const b = decodeBase64(b64);
  return [...new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4)];
}

function randAfter(): number[] {
  return [...(torch.rand(2).data_sync() as Float32Array)];
}

function ints(t: Tensor): number[] {
  return t.tolist() as number[];
}

Deno.test("shuffling DataLoaders visit samples in PyTorch's order and draw PyTorch's numbers", () => {
  for (
    const c of fx.loaders.filter((c: { kind: string }) =>
      c.kind !== "interleave" && c.kind !== "random_items"
    )
  ) {
    torch.manual_seed(c.seed);
    const ds = TensorDataset(torch.arange(c.n));
    const generator = c.kind === "generator" ? new torch.Generator(c.gen_seed) : null;
    const loader = DataLoader(ds, {
      batch_size: c.batch_size,
      shuffle: c.kind !== "sequential",
      drop_last: c.drop_last,
      generator,
    });
    assert.equal(len(loader), c.len, `${c.kind} seed ${c.seed}`);
    const epochs = c.epochs.map(() => [...loader].map((b) => ints((b as Tensor[])[0])));
    assert.deepEqual(epochs, c.epochs, `${c.kind} seed ${c.seed} n ${c.n} bs ${c.batch_size}`);
    assert.deepEqual(randAfter(), f32(c.rand_after), `${c.kind} seed ${c.seed}: generator state after`);
  }
});

Deno.test("iter() draws the base seed, the first next() the sampler's, as in PyTorch", () => {
  const c = fx.loaders.find((c: { kind: string }) => c.kind === "interleave");
  torch.manual_seed(c.seed);
  const it = iter(DataLoader(TensorDataset(torch.arange(c.n)), { batch_size: c.batch_size, shuffle: true }));
  assert.deepEqual([...(torch.rand(1).data_sync() as Float32Array)], f32(c.r1));
  assert.deepEqual(ints((next(it) as Tensor[])[0]), c.first);
  assert.deepEqual([...(torch.rand(1).data_sync() as Float32Array)], f32(c.r2));
  assert.deepEqual(list(it as unknown as Iterable<Tensor[]>).map((b) => ints(b[0])), c.rest);
  assert.deepEqual(randAfter(), f32(c.rand_after));
  assert.throws(() => next(it), StopIteration);
});

Deno.test("random draws in __getitem__ match PyTorch, with emulated workers too", () => {
  class RandItems extends Dataset<number> {
    constructor(readonly n: number) {
      super();
    }
    override __getitem__(i: number): number {
      return (torch.randint(0, 1000, [1]).item() as number) * 100 + i;
    }
    __len__() {
      return this.n;
    }
  }
  for (const c of fx.loaders.filter((c: { kind: string }) => c.kind === "random_items")) {
    torch.manual_seed(c.seed);
    const loader = DataLoader(new RandItems(c.n), {
      batch_size: c.batch_size,
      shuffle: true,
      num_workers: c.num_workers,
    });
    const epochs = c.epochs.map(() => [...loader].map((b) => ints(b as Tensor)));
    assert.deepEqual(epochs, c.epochs, `num_workers ${c.num_workers}`);
    assert.deepEqual(randAfter(), f32(c.rand_after), `num_workers ${c.num_workers}: generator state after`);
  }
});

Deno.test("samplers and random_split equal PyTorch's", () => {
  const s = fx.samplers;
  torch.manual_seed(s.random_replacement.seed);
  assert.deepEqual(
    [...new RandomSampler(torch.arange(10), { replacement: true, num_samples: 40 })],
    s.random_replacement.indices,
  );
  torch.manual_seed(s.random_num_samples.seed);
  assert.deepEqual([...RandomSampler(Array(5).fill(0), { num_samples: 12 })], s.random_num_samples.indices);
  torch.manual_seed(s.subset_random.seed);
  assert.deepEqual([...SubsetRandomSampler(s.subset_random.indices_in)], s.subset_random.indices);
  torch.manual_seed(s.random_plain.seed);
  assert.deepEqual([...RandomSampler(Array(10).fill(0))], s.random_plain.indices);
  assert.deepEqual([...SequentialSampler([7, 8, 9])], [0, 1, 2]);
  assert.deepEqual([...BatchSampler(SequentialSampler(Array(5)), 2, false)], [[0, 1], [2, 3], [4]]);
  assert.deepEqual([...BatchSampler(SequentialSampler(Array(5)), 2, true)], [[0, 1], [2, 3]]);
  assert.equal(len(BatchSampler(SequentialSampler(Array(5)), 2, true)), 2);

  for (const c of fx.random_split) {
    if (c.seed !== undefined) torch.manual_seed(c.seed);
    const gen = c.gen_seed !== undefined ? new torch.Generator(c.gen_seed) : undefined;
    const parts = random_split(Array.from({ length: c.n }, (_, i) => i), c.lengths, gen);
    assert.deepEqual(parts.map((p) => p.indices), c.indices, JSON.stringify(c.lengths));
    if (c.rand_after) assert.deepEqual(randAfter(), f32(c.rand_after));
  }
  assert.throws(() => random_split(Array(5), [2, 2]), /Sum of input lengths does not equal the length/);
});

Deno.test("default_collate batches as PyTorch's", () => {
  for (const c of fx.collate) {
    const got = default_collate(c.batch);
    // str() shows a JS object as JS does; compare a dict key by key in Python's form
    const text = typeof c.batch[0] === "object" && !Array.isArray(c.batch[0])
      ? `{${Object.entries(got as Record<string, unknown>).map(([k, v]) => `'${k}': ${str(v)}`).join(", ")}}`
      : str(got);
    assert.equal(text, c.repr);
  }
  const [x, y] = default_collate([[torch.ones(2), 1], [torch.zeros(2), 2]]) as [Tensor, Tensor];
  assert.equal(String(x), "tensor([[1., 1.],\n        [0., 0.]])");
  assert.equal(String(y), "tensor([1, 2])");
  assert.equal(String(default_collate([0.5, 1])), "tensor([0.5000, 1.0000])");
  assert.throws(
    () => default_collate([[1, 2], [3]]),
    /each element in list of batch should be of equal size/,
  );
  assert.throws(() => default_collate([new Map()]), /default_collate: batch must contain tensors/);
});

Deno.test("datasets index, iterate and subclass as in Python", () => {
  class Squares extends Dataset<number> {
    override __getitem__(i: number): number {
      return i * i;
    }
    __len__() {
      return 4;
    }
  }
  const sq = new Squares();
  assert.equal(len(sq), 4);
  assert.equal(sq[3], 9);
  assert.deepEqual([...sq], [0, 1, 4, 9]);
  assert.deepEqual(list(DataLoader(sq, { batch_size: 3 })).map((b) => ints(b as Tensor)), [[0, 1, 4], [9]]);
  const td = TensorDataset(torch.arange(6).view(3, 2), torch.tensor([7, 8, 9]));
  assert.equal(len(td), 3);
  assert.equal(String(td[-1][1]), "tensor(9)");
  assert.throws(() => td[3], /index 3 is out of bounds for dimension 0 with size 3/);
  assert.throws(() => TensorDataset(torch.ones(2), torch.ones(3)), /Size mismatch between tensors/);
  const sub = Subset(td, [2, 0]);
  assert.equal(String(sub[0][1]), "tensor(9)");
  assert.throws(() => sub[2], /list index out of range/);
  const cat = ConcatDataset([sq, [100, 200]]);
  assert.equal(len(cat), 6);
  assert.deepEqual([...cat], [0, 1, 4, 9, 100, 200]);
  assert.equal(sq.__add__(sq)[5], 1);
  assert.throws(() => new Dataset().__getitem__(0), /Subclasses of Dataset should implement __getitem__/);
});

Deno.test("IterableDataset streams are batched in order", () => {
  class Count extends IterableDataset<number> {
    override *[Symbol.iterator]() {
      const info = get_worker_info();
      const [start, step] = info ? [info.id, info.num_workers] : [0, 1];
      for (let i = start; i < 7; i += step) yield i;
    }
    __len__() {
      return 7;
    }
  }
  const counting = DataLoader(new Count(), { batch_size: 3 });
  for (let epoch = 0; epoch < 2; epoch++) {
    assert.deepEqual(
      [...counting].map((b) => ints(b as Tensor)),
      [[0, 1, 2], [3, 4, 5], [6]],
      `epoch ${epoch}`,
    );
  }
  assert.deepEqual(
    [...DataLoader(new Count(), { batch_size: 3, drop_last: true })].map((b) => ints(b as Tensor)),
    [
      [0, 1, 2],
      [3, 4, 5],
    ],
  );
  assert.equal(len(DataLoader(new Count(), { batch_size: 3 })), 3);
  // two emulated workers, each sharding by its id, take turns as in PyTorch
  assert.deepEqual(
    [...DataLoader(new Count(), { batch_size: 2, num_workers: 2 })].map((b) => ints(b as Tensor)),
    [[0, 2], [1, 3], [4, 6], [5]],
  );
  assert.throws(() => DataLoader(new Count(), { shuffle: true }), /expected unspecified shuffle option/);
});

Deno.test("DataLoader options and errors as in PyTorch", async () => {
  const ds = TensorDataset(torch.arange(10));
  assert.throws(
    () => DataLoader(ds, { batch_size: -1 }),
    /batch_size should be a positive integer value, but got batch_size=-1/,
  );
  assert.throws(() => DataLoader(ds, { batch_size: 0 }), /batch_size should be a positive integer value/);
  assert.throws(() => DataLoader(ds, { batch_size: 2.5 }), /batch_size should be a positive integer value/);
  assert.throws(() => DataLoader(ds, { num_workers: -1 }), /num_workers option should be non-negative/);
  assert.throws(
    () => DataLoader(ds, { sampler: SequentialSampler(ds), shuffle: true }),
    /sampler option is mutually exclusive with shuffle/,
  );
  assert.throws(
    () => DataLoader(ds, { batch_sampler: BatchSampler(SequentialSampler(ds), 2, false), batch_size: 3 }),
    /batch_sampler option is mutually exclusive/,
  );
  assert.throws(
    () => DataLoader(ds, { batch_size: null, drop_last: true }),
    /mutually exclusive with drop_last/,
  );
  assert.throws(
    () => DataLoader(ds, { persistent_workers: true }),
    /persistent_workers option needs num_workers > 0/,
  );
  // batch_size null: samples one by one, not collated
  assert.equal(String(next(iter(DataLoader(ds, { batch_size: null })))), "tensor(0)");
  // collate_fn
  const firsts = DataLoader(ds, { batch_size: 4, collate_fn: (b) => b.length });
  assert.deepEqual([...firsts], [4, 4, 2]);
  // a plain array as the dataset
  assert.deepEqual(
    [...DataLoader([[1, 2], [3, 4], [5, 6]], { batch_size: 2 })].map((b) => (b as Tensor[]).map(ints)),
    [
      [[1, 3], [2, 4]],
      [[5], [6]],
    ],
  );
  // for await yields the same batches
  torch.manual_seed(0);
  const sync = [...DataLoader(ds, { batch_size: 4, shuffle: true })].map((b) => ints((b as Tensor[])[0]));
  torch.manual_seed(0);
  const got: number[][] = [];
  for await (const b of DataLoader(ds, { batch_size: 4, shuffle: true })) got.push(ints((b as Tensor[])[0]));
  assert.deepEqual(got, sync);
  assert.equal(
    String(iter(DataLoader(ds))),
    "<torch.utils.data.dataloader._SingleProcessDataLoaderIter object>",
  );
});
