/**
 * A local HTTP server for the download tests, in a worker: downloads block the main thread (as
 * torchvision's do), so the server needs a thread of its own. Routes, by path prefix:
 *
 *   /ok/<name>    the file, whole           /flip/<name>  the file with one byte changed
 *   /cut/<name>   headers announcing the whole file, then part of it, then the connection closes
 *   /stall/<name> headers, then nothing     anything else: 404
 *
 * `<name>` is a key of the `files` map sent at start (a path on disk or the bytes themselves).
 * It answers the start message with `{ port, rawPort }`.
 */

const FLIP_AT = 4096;
const CUT_AT = 2_000_000;

let files: Record<string, string | Uint8Array> = {};

async function body(name: string): Promise<{ size: number; stream: ReadableStream<Uint8Array> } | null> {
  const src = files[name];
  if (src === undefined) return null;
  if (src instanceof Uint8Array) {
    return { size: src.length, stream: new Blob([src as Uint8Array<ArrayBuffer>]).stream() };
  }
  const f = await Deno.open(src);
  return { size: (await f.stat()).size, stream: f.readable };
}

function flipped(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let pos = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        if (pos <= FLIP_AT && FLIP_AT < pos + chunk.length) {
          chunk = chunk.slice();
          chunk[FLIP_AT - pos] ^= 0xff;
        }
        pos += chunk.length;
        ctl.enqueue(chunk);
      },
    }),
  );
}

async function raw(conn: Deno.Conn): Promise<void> {
  // a hand-written HTTP/1.1 answer that stops early, or never sends the body
  const buf = new Uint8Array(4096);
  const n = (await conn.read(buf)) ?? 0;
  const line = new TextDecoder().decode(buf.subarray(0, n)).split("\r\n")[0];
  const path = line.split(" ")[1] ?? "/";
  const [, mode, name] = path.split("/");
  const b = await body(decodeURIComponent(name ?? ""));
  const enc = new TextEncoder();
  try {
    if (!b) {
      await conn.write(
        enc.encode("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
      );
      return;
    }
    await conn.write(enc.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${b.size}\r\nConnection: close\r\n\r\n`));
    if (mode === "stall") {
      await new Promise((r) => setTimeout(r, 5000));
      return;
    }
    let sent = 0;
    for await (const chunk of b.stream) {
      const part = chunk.subarray(0, Math.max(0, CUT_AT - sent));
      if (part.length) await conn.write(part);
      sent += part.length;
      if (sent >= CUT_AT) break;
    }
  } catch {
    /* the client went away */
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

globalThis.addEventListener("message", (event: Event) => {
  files = (event as MessageEvent<{ files: Record<string, string | Uint8Array> }>).data.files;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const [, mode, name] = new URL(req.url).pathname.split("/");
    const b = await body(decodeURIComponent(name ?? ""));
    if (!b || (mode !== "ok" && mode !== "flip")) return new Response("not found", { status: 404 });
    return new Response(mode === "flip" ? flipped(b.stream) : b.stream, {
      headers: { "content-length": String(b.size) },
    });
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) raw(conn);
  })();
  const reply = { port: server.addr.port, rawPort: (listener.addr as Deno.NetAddr).port };
  (globalThis as unknown as { postMessage(m: unknown): void }).postMessage(reply);
});
