/**
 * The download path end to end, through a local HTTP server serving the shared CIFAR-10 archive
 * (../shared/datasets): download with MD5 check and extraction, reuse of verified files, and every
 * way it can fail (a corrupted archive, an interrupted or stalled transfer, a 404, no network) —
 * each a clear error that leaves nothing half-written behind.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { len } from "../../mod.ts";
import { CIFAR10 } from "../../lib/torchvision/datasets/cifar.ts";
import { MNIST } from "../../lib/torchvision/datasets/mnist.ts";
import { DownloadError, downloadSettings } from "../../lib/torchvision/datasets/download.ts";
import { HAVE_ARCHIVE, idx, SHARED_ARCHIVE, SHARED_MD5 } from "./_fixture.ts";

downloadSettings.verbose = false;

const NAME = "cifar-10-binary.tar.gz";

/** Everything under `dir`, relative paths, sorted. */
function tree(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    out.push(prefix + e.name);
    if (e.isDirectory) out.push(...tree(`${dir}/${e.name}`, `${prefix}${e.name}/`));
  }
  return out.sort();
}

async function withServer(
  files: Record<string, string | Uint8Array>,
  body: (base: string, raw: string) => void | Promise<void>,
): Promise<void> {
  const worker = new Worker(new URL("./_serve_worker.ts", import.meta.url).href, { type: "module" });
  try {
    const ports = await new Promise<{ port: number; rawPort: number }>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(e);
      worker.postMessage({ files });
    });
    await body(`http://127.0.0.1:${ports.port}`, `http://127.0.0.1:${ports.rawPort}`);
  } finally {
    worker.terminate();
  }
}

Deno.test({
  name: "CIFAR10 downloads through a local server, verifies the MD5, extracts, and reuses what is verified",
  ignore: !HAVE_ARCHIVE,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withServer({ [NAME]: SHARED_ARCHIVE }, async (base) => {
      const root = await Deno.makeTempDir();
      try {
        const test = CIFAR10(root, {
          train: false,
          download: true,
          url: `${base}/ok/${NAME}`,
          md5: SHARED_MD5,
        });
        assert.equal(len(test), 10000);
        assert.equal(test.source, "bin");
        const files = tree(root);
        assert.ok(files.includes(NAME));
        assert.ok(files.includes("cifar-10-batches-bin/test_batch.bin"));
        assert.deepEqual(files.filter((f) => f.includes(".tmp")), []);
        // verified batches: no download at all (the URL would 404)
        assert.equal(
          len(CIFAR10(root, { train: false, download: true, url: `${base}/nothing/${NAME}` })),
          10000,
        );
        // a truncated batch: a clear error; download: true extracts the verified archive again
        // (the URL would 404, so nothing is downloaded)
        const p = `${root}/cifar-10-batches-bin/data_batch_2.bin`;
        Deno.truncateSync(p, 1000);
        assert.throws(
          () => CIFAR10(root, { train: false }),
          /data_batch_2\.bin is truncated: 1000 bytes, expected 30730000/,
        );
        const again = CIFAR10(root, {
          train: false,
          download: true,
          url: `${base}/nothing/${NAME}`,
          md5: SHARED_MD5,
        });
        assert.equal(len(again), 10000);
        assert.equal(Deno.statSync(p).size, 30730000);
        assert.deepEqual(tree(root).filter((f) => f.includes(".tmp")), []);
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    });
  },
});

Deno.test({
  name: "a corrupted, interrupted, stalled or missing download is a clear error and leaves nothing behind",
  ignore: !HAVE_ARCHIVE,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withServer({ [NAME]: SHARED_ARCHIVE }, async (base, raw) => {
      const root = await Deno.makeTempDir();
      const empty = () => assert.deepEqual(tree(root), [], "nothing may be left in the root");
      try {
        // one byte changed: the MD5 check rejects it and the download is deleted
        assert.throws(
          () => CIFAR10(root, { download: true, url: `${base}/flip/${NAME}`, md5: SHARED_MD5 }),
          (e: unknown) =>
            e instanceof DownloadError && e.kind === "md5" &&
            /MD5 mismatch .*expected bc270918b8fcd00b2f297b0c09c93642, got [0-9a-f]{32}; the download was discarded/
              .test(
                e.message,
              ),
        );
        empty();
        // the same without an MD5 to check: the archive itself is found corrupt while extracting
        assert.throws(
          () => CIFAR10(root, { download: true, url: `${base}/flip/${NAME}`, md5: null }),
          /cannot extract .*cifar-10-binary\.tar\.gz/,
        );
        empty();
        // the server announces 173 MB and closes after 2 MB
        assert.throws(
          () => CIFAR10(root, { download: true, url: `${raw}/cut/${NAME}`, md5: SHARED_MD5 }),
          /Failed to download CIFAR-10 .*interrupted .*2000000 .*173794495 bytes[\s\S]*FakeData[\s\S]*archive:/,
        );
        empty();
        // a server that stops sending
        const stall = downloadSettings.stall_ms;
        downloadSettings.stall_ms = 300;
        try {
          assert.throws(
            () => CIFAR10(root, { download: true, url: `${raw}/stall/${NAME}`, md5: SHARED_MD5 }),
            /no data received for 0.3 s/,
          );
        } finally {
          downloadSettings.stall_ms = stall;
        }
        empty();
        assert.throws(
          () => CIFAR10(root, { download: true, url: `${base}/ok/missing.tar.gz` }),
          /HTTP Error 404/,
        );
        empty();
        // no network at all (nothing listens on the port): the lesson's offline message
        const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const port = (closed.addr as Deno.NetAddr).port;
        closed.close();
        assert.throws(
          () => CIFAR10(root, { download: true, url: `http://127.0.0.1:${port}/${NAME}` }),
          (e: unknown) =>
            e instanceof Error &&
            e.message.startsWith(`Failed to download CIFAR-10 from http://127.0.0.1:${port}/`) &&
            e.message.includes(
              "torchvision.datasets.FakeData({ size: 50000, image_size: [3, 32, 32], num_classes: 10",
            ) &&
            e.message.includes('archive: "/path/to/cifar-10-binary.tar.gz"'),
        );
        empty();
        // without download, a missing dataset says how to get it
        assert.throws(
          () => CIFAR10(root),
          /Dataset not found or corrupted: .*data_batch_1\.bin is missing\. You can use download=True/,
        );
        assert.throws(() => CIFAR10(`${root}/nope`), /the root folder .*nope does not exist/);
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    });
  },
});

Deno.test({
  name: "MNIST downloads its four gzipped IDX files and reads them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const px = Uint8Array.from({ length: 3 * 28 * 28 }, (_, i) => i % 251);
    const raw: Record<string, Uint8Array> = {
      "train-images-idx3-ubyte": idx([3, 28, 28], px),
      "train-labels-idx1-ubyte": idx([3], new Uint8Array([5, 0, 4])),
      "t10k-images-idx3-ubyte": idx([1, 28, 28], px.subarray(0, 784)),
      "t10k-labels-idx1-ubyte": idx([1], new Uint8Array([7])),
    };
    const files: Record<string, Uint8Array> = {};
    const md5: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      files[`${k}.gz`] = new Uint8Array(gzipSync(v));
      md5[`${k}.gz`] = createHash("md5").update(files[`${k}.gz`]).digest("hex");
    }
    await withServer(files, async (base) => {
      const root = await Deno.makeTempDir();
      try {
        const ds = MNIST(root, { download: true, mirrors: [`${base}/nothing/`, `${base}/ok/`], md5 });
        assert.equal(len(ds), 3);
        assert.equal(String(ds.targets), "tensor([5, 0, 4])");
        const [img, label] = ds[1] as [{ mode: string; data: Uint8Array }, number];
        assert.equal(label, 0);
        assert.equal(img.mode, "L");
        assert.deepEqual([...img.data.subarray(0, 3)], [784 % 251, 785 % 251, 786 % 251]);
        assert.equal(len(MNIST(root, { train: false })), 1);
        assert.ok(tree(root).includes("MNIST/raw/train-images-idx3-ubyte"));
        // a wrong checksum on every mirror
        const bad = { ...md5, "t10k-labels-idx1-ubyte.gz": "0".repeat(32) };
        const root2 = await Deno.makeTempDir();
        try {
          assert.throws(
            () => MNIST(root2, { download: true, mirrors: [`${base}/ok/`], md5: bad }),
            /MD5 mismatch/,
          );
        } finally {
          await Deno.remove(root2, { recursive: true });
        }
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    });
  },
});
