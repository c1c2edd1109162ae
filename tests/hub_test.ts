// Checkpoint downloads against a local server: a good file lands in place with its
// progress bar; a wrong hash, a truncated transfer and a server error leave nothing behind.
import assert from "node:assert/strict";
import { download_url_to_file, get_dir, progressLine, sha256Hex } from "../lib/hub.ts";

const body = new Uint8Array(200_000).map((_, i) => (i * 7) & 255);

function serve(handler: (path: string) => Response): { url: string; close: () => Promise<void> } {
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen() {},
    onError: () => new Response(null, { status: 500 }),
  }, (req) => handler(new URL(req.url).pathname));
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => (ac.abort(), server.finished) };
}

function sink(): { writeSync(b: Uint8Array): number; text(): string } {
  const parts: string[] = [];
  return {
    writeSync(b: Uint8Array) {
      parts.push(new TextDecoder().decode(b));
      return b.length;
    },
    text: () => parts.join(""),
  };
}

Deno.test("download_url_to_file: checks the hash prefix, shows progress, renames into place", async () => {
  const dir = await Deno.makeTempDir();
  const hash = (await sha256Hex(body)).slice(0, 8);
  const srv = serve((p) =>
    p === "/good"
      ? new Response(body, { headers: { "content-length": String(body.length) } })
      : new Response("no", { status: 404 })
  );
  try {
    const err = sink();
    await download_url_to_file(`${srv.url}/good`, `${dir}/m-${hash}.pth`, { hash_prefix: hash, stderr: err });
    assert.deepEqual(await Deno.readFile(`${dir}/m-${hash}.pth`), body);
    assert.match(err.text(), /100%\|█+\| 0\.2M\/0\.2M/);

    await assert.rejects(
      download_url_to_file(`${srv.url}/good`, `${dir}/bad.pth`, { hash_prefix: "00000000", progress: false }),
      /invalid hash value \(expected "00000000", got "[0-9a-f]{64}"\)/,
    );
    await assert.rejects(
      download_url_to_file(`${srv.url}/missing`, `${dir}/missing.pth`, { progress: false }),
      /answered 404/,
    );
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(left, [`m-${hash}.pth`], "no partial or bad file left behind");
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("download_url_to_file: an interrupted transfer is an error and leaves nothing", async () => {
  const dir = await Deno.makeTempDir();
  const srv = serve(() => {
    // promises more bytes than it sends, then ends the stream with an error
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(body.subarray(0, 1000));
        c.error(new Error("connection reset"));
      },
    });
    return new Response(stream, { headers: { "content-length": String(body.length) } });
  });
  try {
    await assert.rejects(
      download_url_to_file(`${srv.url}/x`, `${dir}/x.pth`, { progress: false }),
      /Cannot download .*\/x/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unreachable host is a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      download_url_to_file("http://127.0.0.1:9/none.pth", `${dir}/none.pth`, { progress: false }),
      /Cannot download http:\/\/127\.0\.0\.1:9\/none\.pth/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the cache directory follows TORCH_HOME, then XDG_CACHE_HOME, then ~/.cache", () => {
  const keep = ["TORCH_HOME", "XDG_CACHE_HOME", "HOME"].map((k) => [k, Deno.env.get(k)] as const);
  try {
    Deno.env.set("HOME", "/home/u");
    Deno.env.delete("TORCH_HOME");
    Deno.env.delete("XDG_CACHE_HOME");
    assert.equal(get_dir(), "/home/u/.cache/torch/hub");
    Deno.env.set("XDG_CACHE_HOME", "/xdg");
    assert.equal(get_dir(), "/xdg/torch/hub");
    Deno.env.set("TORCH_HOME", "/th");
    assert.equal(get_dir(), "/th/hub");
  } finally {
    for (const [k, v] of keep) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
  assert.equal(progressLine("f", 50, 100).startsWith("f:  50%|"), true);
});
