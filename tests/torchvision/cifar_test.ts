/**
 * CIFAR10 against the raw bytes of the shared archive (../shared/datasets/cifar-10-binary.tar.gz):
 * labels, channel order, normalisation, statistics computed by numpy (tests/fixtures/vision.json),
 * lesson 3's loading code and "two lines to get random training images"; the
 * cifar-10-batches-py folder through the safe pickle reader; and the errors.
 */
import assert from "node:assert/strict";
import { iter, len, next, torch } from "../../mod.ts";
import type { Tensor } from "../../lib/tensor/tensor.ts";
import { DataLoader } from "../../lib/data/mod.ts";
import { CIFAR10 } from "../../lib/torchvision/datasets/cifar.ts";
import { downloadSettings } from "../../lib/torchvision/datasets/download.ts";
import { readPickle } from "../../lib/torchvision/datasets/pickle.ts";
import { Image } from "../../lib/torchvision/image.ts";
import * as T from "../../lib/torchvision/transforms.ts";
import { imshow, make_grid } from "../../lib/torchvision/utils.ts";
import { fnv1a32, HAVE_ARCHIVE, SHARED_ARCHIVE, SHARED_MD5, vision } from "./_fixture.ts";
import { decodeBase64 } from "./_b64.ts";

downloadSettings.verbose = false;

// One extraction for the whole file (about 2 s), removed when the process ends.
const root = Deno.makeTempDirSync();
addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
// deno-lint-ignore no-explicit-any
const train: any = HAVE_ARCHIVE ? CIFAR10(root, { archive: SHARED_ARCHIVE, md5: SHARED_MD5 }) : null;
const bin = `${root}/cifar-10-batches-bin`;
/** Tests that need the shared archive are skipped (and say so) where it is missing. */
const needsArchive = { ignore: !HAVE_ARCHIVE };

/** Record `r` of a batch file: [label, R plane, G plane, B plane]. */
function record(file: string, r: number): [number, Uint8Array] {
  const f = Deno.openSync(`${bin}/${file}`);
  try {
    const buf = new Uint8Array(3073);
    f.seekSync(r * 3073, Deno.SeekMode.Start);
    f.readSync(buf);
    return [buf[0], buf.subarray(1)];
  } finally {
    f.close();
  }
}

Deno.test("CIFAR10 items are the archive's records: labels and RGB channel order", needsArchive, () => {
  assert.equal(len(train), 50000);
  const test = CIFAR10(root, { train: false });
  assert.equal(len(test), 10000);
  assert.deepEqual(train.classes, vision.cifar.classes);
  assert.equal(train.class_to_idx.truck, 9);
  const cases: [typeof train, string, number, number][] = [
    [train, "data_batch_1.bin", 0, 0],
    [train, "data_batch_1.bin", 9999, 9999],
    [train, "data_batch_2.bin", 0, 10000],
    [train, "data_batch_5.bin", 9999, 49999],
    [test, "test_batch.bin", 0, 0],
    [test, "test_batch.bin", 9999, 9999],
  ];
  for (const [ds, file, r, i] of cases) {
    const [label, planes] = record(file, r);
    const [img, target] = ds[i] as [Image, number];
    assert.equal(target, label, `${file} #${r}`);
    assert.ok(img instanceof Image);
    assert.deepEqual([img.mode, img.width, img.height], ["RGB", 32, 32]);
    for (const p of [0, 1, 31, 32, 500, 1023]) {
      const y = Math.floor(p / 32);
      const x = p % 32;
      assert.deepEqual(
        img.getpixel([x, y]),
        [planes[p], planes[1024 + p], planes[2048 + p]],
        `${file} #${r} px ${p}`,
      );
    }
  }
  assert.deepEqual(train.targets.slice(0, 10), vision.cifar.train_first_labels);
  assert.deepEqual(test.targets.slice(-10), vision.cifar.test_last_labels);
  assert.deepEqual(train[-1][1], train.targets[49999]);
  assert.throws(() => train[50000], /index 50000 is out of bounds for axis 0 with size 50000/);
});

Deno.test("CIFAR10 statistics equal numpy's over the archive", needsArchive, () => {
  const counts = (t: number[]) => t.reduce((c, l) => (c[l]++, c), Array(10).fill(0));
  assert.deepEqual(counts(train.targets), vision.cifar.train_label_counts);
  assert.deepEqual(counts(CIFAR10(root, { train: false }).targets), vision.cifar.test_label_counts);
  const sums = [0, 0, 0];
  const d = train.data;
  for (let i = 0; i < d.length; i += 3) {
    sums[0] += d[i];
    sums[1] += d[i + 1];
    sums[2] += d[i + 2];
  }
  const means = sums.map((s) => s / (d.length / 3) / 255);
  means.forEach((m, k) =>
    assert.ok(Math.abs(m - vision.cifar.train_channel_mean[k]) < 1e-12, `channel ${k}: ${m}`)
  );
  assert.deepEqual(
    train.data.subarray(12345 * 3072, 12345 * 3072 + 3),
    Uint8Array.from(vision.cifar.train_12345_pixel_rgb_at_0_0),
  );
});

Deno.test("lesson 3: transforms, loaders, and two lines to get random training images", needsArchive, () => {
  const transform = T.Compose([T.ToTensor(), T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])]);
  const trainset = CIFAR10(root, { train: true, download: true, transform });
  const testset = CIFAR10(root, { train: false, download: true, transform });
  // normalisation: (x / 255 - 0.5) / 0.5 in float32, channel-first
  const [x, y] = trainset[10000] as [Tensor, number];
  const [label, planes] = record("data_batch_2.bin", 0);
  assert.equal(y, label);
  assert.deepEqual([...x.shape], [3, 32, 32]);
  const v = x.data_sync() as Float32Array;
  const f = Math.fround;
  for (let i = 0; i < 3072; i += 97) assert.equal(v[i], f(f(f(planes[i] / 255) - 0.5) / 0.5), `value ${i}`);
  torch.manual_seed(0);
  const trainloader = DataLoader(trainset, { batch_size: 4, shuffle: true });
  const testloader = DataLoader(testset, { batch_size: 4, shuffle: false });
  assert.equal(len(trainloader), 12500);
  assert.equal(len(testloader), 2500);
  const dataiter = iter(trainloader);
  const [images, labels] = next(dataiter) as [Tensor, Tensor];
  assert.deepEqual([...images.shape], [4, 3, 32, 32]);
  assert.equal(String(labels.dtype), "torch.int64");
  // the images PyTorch's loader gives first after manual_seed(0)
  const first = vision.cifar.first_batch_seed0 as number[];
  assert.deepEqual(labels.tolist(), first.map((i) => trainset.targets[i]));
  const [img0] = trainset[first[0]] as [Tensor, number];
  assert.ok(torch.equal(images[0], img0));
  const out: Uint8Array[] = [];
  imshow(make_grid(images).div(2).add(0.5), { stream: { writeSync: (b) => (out.push(b), b.length) } });
  const text = new TextDecoder().decode(out[0]);
  const lines = text.split("\n").filter((l) => l.length);
  assert.equal(lines.length, 18); // 36 pixel rows, two per line
  // deno-lint-ignore no-control-regex
  assert.equal([...lines[1].replace(/\x1b\[[0-9;]*m/g, "")].length, 138);
  // deno-lint-ignore no-control-regex
  assert.match(lines[5], /\x1b\[38;2;\d+;\d+;\d+m\x1b\[48;2;\d+;\d+;\d+m▀/);
  const [tx] = next(iter(testloader)) as [Tensor];
  assert.equal(String(tx.shape), "torch.Size([4, 3, 32, 32])");
});

Deno.test("CIFAR10 errors name the problem", needsArchive, () => {
  const other = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${other}/cifar-10-batches-bin`);
    for (
      const f of [
        "data_batch_1.bin",
        "data_batch_2.bin",
        "data_batch_4.bin",
        "data_batch_5.bin",
        "test_batch.bin",
      ]
    ) {
      Deno.linkSync(`${bin}/${f}`, `${other}/cifar-10-batches-bin/${f}`);
    }
    assert.throws(
      () => CIFAR10(other),
      /Dataset not found or corrupted: .*data_batch_3\.bin is missing\. You can use download=True/,
    );
    Deno.writeFileSync(`${other}/cifar-10-batches-bin/data_batch_3.bin`, new Uint8Array(1000));
    assert.throws(
      () => CIFAR10(other),
      /data_batch_3\.bin is truncated: 1000 bytes, expected 30730000 \(10000 records of 3073 bytes\)\. Delete/,
    );
    assert.throws(() => CIFAR10(`${other}/missing`), /the root folder .*missing does not exist/);
    assert.throws(
      () => CIFAR10(`${other}/x`, { archive: SHARED_ARCHIVE }),
      /MD5 mismatch for .*expected c32a1d4ab5d03f1284b67883e8d87530 \(the official archive's\); pass md5: null/,
    );
    assert.throws(
      () => CIFAR10(`${other}/y`, { archive: `${other}/none.tar.gz` }),
      /CIFAR-10 archive not found/,
    );
  } finally {
    Deno.removeSync(other, { recursive: true });
  }
});

Deno.test("CIFAR10 reads torchvision's cifar-10-batches-py folder with the safe pickle reader", () => {
  const p = vision.pickle;
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${dir}/cifar-10-batches-py`);
    for (const [name, b] of Object.entries(p.batches) as [string, { py2: string }][]) {
      Deno.writeFileSync(`${dir}/cifar-10-batches-py/${name}`, decodeBase64(b.py2));
    }
    Deno.writeFileSync(`${dir}/cifar-10-batches-py/batches.meta`, decodeBase64(p.meta));
    const ds = CIFAR10(dir, { train: true });
    assert.equal(ds.source, "py");
    assert.equal(len(ds), 5);
    assert.deepEqual(ds.classes, p.classes);
    const names = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"];
    names.forEach((n, i) => {
      const b = p.batches[n];
      assert.equal(ds.targets[i], b.labels[0]);
      // the pickle holds planar rows (CHW); items are HWC like torchvision's
      const [img] = ds[i] as [Image, number];
      const chw = new Uint8Array(3072);
      for (let q = 0; q < 1024; q++) for (let c = 0; c < 3; c++) chw[c * 1024 + q] = img.data[q * 3 + c];
      assert.equal(fnv1a32(chw), b.data_fnv1a32, n);
    });
    const test = CIFAR10(dir, { train: false });
    assert.equal(len(test), 1);
    // Python 3's pickles of the same batch (protocol 2 and 4) read the same
    for (const k of ["py3", "py3_p4"]) {
      const o = readPickle(decodeBase64(p.batches.test_batch[k])) as {
        data: { data: Uint8Array; shape: number[] };
        labels: number[];
      };
      assert.deepEqual(o.data.shape, [1, 3072], k);
      assert.deepEqual([...o.data.data.subarray(0, 8)], p.batches.test_batch.data_first, k);
      assert.deepEqual(o.labels, p.batches.test_batch.labels, k);
    }
    // a pickle that would call os.system is refused, not run
    assert.throws(
      () => readPickle(decodeBase64(p.evil)),
      /refusing to load: the pickle references os\.system/,
    );
    // a truncated batch file
    const full = decodeBase64(p.batches.data_batch_2.py2);
    Deno.writeFileSync(`${dir}/cifar-10-batches-py/data_batch_2`, full.subarray(0, 2000));
    assert.throws(() => CIFAR10(dir), /Dataset corrupted: cannot read .*data_batch_2: the file is truncated/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the CIFAR pickle reader allows numpy's arrays only, not torch.load's globals", () => {
  // one pickle machine serves both readers; each has its own allow-list
  const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  for (
    const [global, shown] of [
      ["collections\nOrderedDict", "collections.OrderedDict"],
      ["torch._utils\n_rebuild_tensor_v2", "torch._utils._rebuild_tensor_v2"],
      ["__builtin__\neval", "builtins.eval"],
    ]
  ) {
    assert.throws(
      () => readPickle(bytes(`\x80\x02c${global}\n)R.`)),
      new RegExp(`refusing to load: the pickle references ${shown.replaceAll(".", "\\.")}$`),
    );
  }
  // an allowed class is still never called
  assert.throws(() => readPickle(bytes("\x80\x02cnumpy\nndarray\n)R.")), /refusing to call numpy\.ndarray/);
});

Deno.test("CIFAR10 prints as torchvision's", needsArchive, () => {
  const ds = CIFAR10(root, {
    train: false,
    transform: T.Compose([T.ToTensor(), T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])]),
  });
  assert.equal(
    String(ds),
    [
      "Dataset CIFAR10",
      "    Number of datapoints: 10000",
      `    Root location: ${root}`,
      "    Split: Test",
      "    StandardTransform",
      "Transform: Compose(",
      "               ToTensor()",
      "               Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))",
      "           )",
    ].join("\n"),
  );
});
