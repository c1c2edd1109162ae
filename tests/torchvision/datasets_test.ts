/**
 * FakeData against torchvision's (tests/fixtures/vision.json), MNIST / FashionMNIST from small
 * generated IDX files, and the archive reader's safety rules.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { len, torch } from "../../mod.ts";
import type { Tensor } from "../../lib/tensor/tensor.ts";
import { FakeData } from "../../lib/torchvision/datasets/fakedata.ts";
import { FashionMNIST, MNIST } from "../../lib/torchvision/datasets/mnist.ts";
import { downloadSettings, extract_archive } from "../../lib/torchvision/datasets/download.ts";
import { TarReader } from "../../lib/torchvision/datasets/tar.ts";
import { Image } from "../../lib/torchvision/image.ts";
import * as T from "../../lib/torchvision/transforms.ts";
import { f32, idx, maxDiff, vision } from "./_fixture.ts";
import { decodeBase64 } from "./_b64.ts";

downloadSettings.verbose = false;

Deno.test("FakeData gives torchvision's images and targets, leaving the global generator alone", () => {
  for (const c of vision.fakedata.slice(0, 2)) {
    torch.manual_seed(123);
    const ds = FakeData(c.kwargs);
    assert.equal(len(ds), c.items.length);
    let differ = 0;
    let total = 0;
    c.items.forEach(
      (want: { image: { data: string; size: number[]; mode: string }; target: number }, i: number) => {
        const [img, target] = ds[i] as [Image, number];
        assert.equal(target, want.target, `target ${i}`);
        assert.deepEqual([img.mode, img.width, img.height], [want.image.mode, ...want.image.size]);
        const w = decodeBase64(want.image.data);
        for (let k = 0; k < w.length; k++) if (img.data[k] !== w[k]) differ++;
        total += w.length;
      },
    );
    // randn over 16+ values equals PyTorch's within a few float32 ulps, so a byte can land one off
    assert.ok(differ <= total * 0.002, `${differ} of ${total} bytes differ`);
    assert.deepEqual([...(torch.rand(2).data_sync() as Float32Array)], [...f32(c.rand_after)]);
  }
  const c = vision.fakedata[2];
  const ds = FakeData({ size: 2, image_size: c.kwargs.image_size, transform: T.ToTensor() });
  for (let i = 0; i < 2; i++) {
    assert.ok(maxDiff((ds[i][0] as Tensor).data_sync(), f32(c.to_tensor[i])) < 0.01);
  }
  assert.equal(String(ds), c.repr);
  assert.throws(() => ds[2], /FakeData index out of range/);
  const t = FakeData({ size: 1, image_size: [1, 4, 4], target_transform: (y: Tensor) => y.add(100) });
  assert.ok((t[0][1] as number) >= 100);
});

Deno.test("MNIST and FashionMNIST read IDX files (plain or .gz) from root/<Name>/raw", () => {
  const root = Deno.makeTempDirSync();
  try {
    const px = Uint8Array.from({ length: 2 * 28 * 28 }, (_, i) => (i * 7) % 256);
    Deno.mkdirSync(`${root}/MNIST/raw`, { recursive: true });
    Deno.writeFileSync(`${root}/MNIST/raw/train-images-idx3-ubyte`, idx([2, 28, 28], px));
    Deno.writeFileSync(`${root}/MNIST/raw/train-labels-idx1-ubyte`, idx([2], new Uint8Array([3, 9])));
    const ds = MNIST(root, { transform: T.ToTensor() });
    assert.equal(len(ds), 2);
    assert.equal(String(ds.targets), "tensor([3, 9])");
    const [x, y] = ds[1] as [Tensor, number];
    assert.equal(y, 9);
    assert.deepEqual([...x.shape], [1, 28, 28]);
    assert.equal((x.data_sync() as Float32Array)[0], Math.fround(px[784] / 255));
    assert.equal(ds.classes[3], "3 - three");
    assert.throws(
      () => MNIST(root, { train: false }),
      /Dataset not found: no .*t10k-images-idx3-ubyte\. You can use download=True/,
    );
    // FashionMNIST from gzipped files
    Deno.mkdirSync(`${root}/FashionMNIST/raw`, { recursive: true });
    Deno.writeFileSync(
      `${root}/FashionMNIST/raw/t10k-images-idx3-ubyte.gz`,
      gzipSync(idx([1, 28, 28], px.subarray(0, 784))),
    );
    Deno.writeFileSync(
      `${root}/FashionMNIST/raw/t10k-labels-idx1-ubyte.gz`,
      gzipSync(idx([1], new Uint8Array([9]))),
    );
    const f = FashionMNIST(root, { train: false });
    assert.equal(len(f), 1);
    assert.equal(f.classes[f[0][1] as number], "Ankle boot");
    assert.ok((f[0][0] as Image) instanceof Image);
    assert.match(
      String(f),
      /^Dataset FashionMNIST\n {4}Number of datapoints: 1\n {4}Root location: .*\n {4}Split: Test$/,
    );
    // a truncated images file
    Deno.writeFileSync(`${root}/MNIST/raw/train-images-idx3-ubyte`, idx([2, 28, 28], px).subarray(0, 900));
    assert.throws(() => MNIST(root), /train-images-idx3-ubyte is truncated: 884 data bytes, expected 1568/);
    Deno.writeFileSync(`${root}/MNIST/raw/train-images-idx3-ubyte`, new Uint8Array([1, 2, 3, 4, 5]));
    assert.throws(() => MNIST(root), /not an IDX file/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

function tarHeader(name: string, size: number, type = "0"): Uint8Array {
  const h = new Uint8Array(512);
  const put = (s: string, off: number) => h.set(new TextEncoder().encode(s), off);
  put(name, 0);
  put("0000644\0", 100);
  put(size.toString(8).padStart(11, "0") + "\0", 124);
  put(type, 156);
  put("ustar\x0000", 257);
  h.fill(32, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}

function tar(entries: [string, Uint8Array, string?][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, data, type] of entries) {
    parts.push(
      tarHeader(name, data.length, type ?? "0"),
      data,
      new Uint8Array((512 - (data.length % 512)) % 512),
    );
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("the archive reader extracts safely and completely, or not at all", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const good = tar([["d/", new Uint8Array(0), "5"], ["d/a.txt", new TextEncoder().encode("hello")], [
      "b.bin",
      new Uint8Array(700),
    ]]);
    Deno.writeFileSync(`${dir}/good.tar.gz`, gzipSync(good));
    Deno.mkdirSync(`${dir}/out`);
    assert.deepEqual(extract_archive(`${dir}/good.tar.gz`, `${dir}/out`), ["b.bin", "d"]);
    assert.equal(Deno.readTextFileSync(`${dir}/out/d/a.txt`), "hello");
    assert.equal(Deno.statSync(`${dir}/out/b.bin`).size, 700);
    // path traversal is refused and nothing is written
    Deno.writeFileSync(
      `${dir}/evil.tar`,
      tar([["ok.txt", new Uint8Array(3)], ["../escape.txt", new Uint8Array(3)]]),
    );
    Deno.mkdirSync(`${dir}/out2`);
    assert.throws(
      () => extract_archive(`${dir}/evil.tar`, `${dir}/out2`),
      /refusing to extract '\.\.\/escape\.txt'/,
    );
    assert.deepEqual([...Deno.readDirSync(`${dir}/out2`)], []);
    assert.throws(() => Deno.statSync(`${dir}/escape.txt`));
    // a truncated archive
    Deno.writeFileSync(`${dir}/cut.tar.gz`, gzipSync(good.subarray(0, 1200)));
    assert.throws(() => extract_archive(`${dir}/cut.tar.gz`, `${dir}/out2`), /truncated/);
    assert.deepEqual([...Deno.readDirSync(`${dir}/out2`)], []);
    // a damaged header
    const bad = good.slice();
    bad[10] ^= 1;
    Deno.writeFileSync(`${dir}/bad.tar`, bad);
    assert.throws(() => extract_archive(`${dir}/bad.tar`, `${dir}/out2`), /checksum mismatch/);
    assert.deepEqual([...Deno.readDirSync(`${dir}/out2`)], []);
    // symlinks are skipped
    const written: string[] = [];
    const reader = new TarReader({
      directory: () => Promise.resolve(),
      open: (p) => (written.push(p), Promise.resolve()),
      write: () => Promise.resolve(),
      close: () => Promise.resolve(),
    });
    await reader.push(tar([["link", new Uint8Array(0), "2"], ["f", new Uint8Array(1)]]));
    reader.end();
    assert.deepEqual(written, ["f"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
