/**
 * The worker behind `download.ts`: downloads (with a progress bar on stderr, an MD5 check and a
 * stall timeout), gunzips and untars, always through temporary names that are renamed only when
 * the result is complete and verified. It reports through a SharedArrayBuffer, because the main
 * thread waits on it synchronously (as torchvision's dataset constructors block).
 * @module
 */
import { createHash } from "node:crypto";
import { TarReader, type TarSink } from "./tar.ts";
import type { Job } from "./jobs.ts";
import { progressLine } from "../../progress.ts";

/** An error with the kind the main thread reports (network, md5, archive, io). */
class JobError extends Error {
  constructor(readonly kind: "network" | "md5" | "archive" | "io", message: string) {
    super(message);
  }
}

function tmpName(path: string): string {
  return `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch { /* not there */ }
}

async function writeAll(f: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await f.write(data.subarray(off));
}

function human(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ["kB", "MB", "GB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)}${units[u]}`;
}

const enc = new TextEncoder();
function err(text: string): void {
  Deno.stderr.writeSync(enc.encode(text));
}

/** A tqdm-style bar, redrawn at most 10 times a second on a terminal; one summary line otherwise. */
class Progress {
  #tty = Deno.stderr.isTerminal();
  #t0 = performance.now();
  #last = 0;
  constructor(readonly name: string, readonly total: number | null, readonly quiet: boolean) {}
  update(done: number, force = false): void {
    if (this.quiet || !this.#tty) return;
    const now = performance.now();
    if (!force && now - this.#last < 100) return;
    this.#last = now;
    err(`\r${progressLine(this.name, done, this.total, (now - this.#t0) / 1000)}\x1b[K`);
  }
  finish(done: number): void {
    if (this.quiet) return;
    if (this.#tty) {
      this.update(done, true);
      err("\n");
    } else {
      const secs = (performance.now() - this.#t0) / 1000;
      err(`${this.name}: ${human(done)} in ${secs.toFixed(1)} s\n`);
    }
  }
}

async function download(job: Extract<Job, { op: "download" }>): Promise<{ bytes: number; md5: string }> {
  const tmp = tmpName(job.dest);
  const ctrl = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => ctrl.abort(new Error(`no data received for ${job.stall_ms / 1000} s`)),
      job.stall_ms,
    );
  };
  arm();
  let file: Deno.FsFile | null = null;
  let got = 0;
  try {
    let res: Response;
    try {
      res = await fetch(job.url, { signal: ctrl.signal });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new JobError("network", (e as Error).message + (cause ? ` (${cause})` : ""));
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new JobError("network", `HTTP Error ${res.status}: ${res.statusText}`);
    }
    const len = res.headers.get("content-length");
    const total = len !== null && /^\d+$/.test(len) ? Number(len) : null;
    if (!job.quiet) err(`Downloading ${job.url} to ${job.dest}\n`);
    const bar = new Progress(job.dest.split("/").pop() ?? job.dest, total, job.quiet);
    const hash = createHash("md5");
    file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      for await (const chunk of res.body) {
        arm();
        await writeAll(file, chunk);
        hash.update(chunk);
        got += chunk.length;
        bar.update(got);
      }
    } catch (e) {
      if (!job.quiet && Deno.stderr.isTerminal()) err("\n");
      const of = total !== null ? ` of ${total}` : "";
      throw new JobError(
        "network",
        `the download was interrupted after ${got}${of} bytes (${(e as Error).message ?? e})`,
      );
    }
    file.close();
    file = null;
    bar.finish(got);
    if (total !== null && got !== total) {
      throw new JobError("network", `the download was interrupted: received ${got} of ${total} bytes`);
    }
    const md5 = hash.digest("hex");
    if (job.md5 && md5 !== job.md5.toLowerCase()) {
      throw new JobError(
        "md5",
        `MD5 mismatch for ${job.url}: expected ${job.md5}, got ${md5}; the download was discarded`,
      );
    }
    await Deno.rename(tmp, job.dest);
    return { bytes: got, md5 };
  } catch (e) {
    clearTimeout(timer);
    try {
      file?.close();
    } catch { /* closed */ }
    await removeQuietly(tmp);
    if (e instanceof JobError) throw e;
    throw new JobError("io", (e as Error).message ?? String(e));
  } finally {
    clearTimeout(timer);
  }
}

function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : p.slice(0, i);
}

async function extract(job: Extract<Job, { op: "extract" }>): Promise<{ entries: string[] }> {
  const name = job.archive.toLowerCase();
  const gz = name.endsWith(".gz") || name.endsWith(".tgz");
  const tar = name.endsWith(".tar") || name.endsWith(".tar.gz") || name.endsWith(".tgz");
  if (!tar && !gz) {
    throw new JobError(
      "archive",
      `cannot extract ${job.archive}: only .tar, .tar.gz, .tgz and .gz are supported`,
    );
  }
  if (!job.quiet) err(`Extracting ${job.archive} to ${job.dest}\n`);
  await Deno.mkdir(job.dest, { recursive: true });
  const work = `${job.dest}/.extract-${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.mkdir(work);
  let out: Deno.FsFile | null = null;
  let input: Deno.FsFile | null = null;
  try {
    input = await Deno.open(job.archive);
    let stream: ReadableStream<Uint8Array> = input.readable;
    if (gz) {
      stream = stream.pipeThrough(
        new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
      );
    }
    if (tar) {
      const sink: TarSink = {
        directory: (p) => Deno.mkdir(`${work}/${p}`, { recursive: true }),
        open: async (p) => {
          await Deno.mkdir(dirname(`${work}/${p}`), { recursive: true });
          out = await Deno.open(`${work}/${p}`, { write: true, createNew: true });
        },
        write: (d) => writeAll(out!, d),
        close: () => {
          out!.close();
          out = null;
          return Promise.resolve();
        },
      };
      const reader = new TarReader(sink);
      for await (const chunk of stream) await reader.push(chunk);
      reader.end();
    } else {
      const base = job.archive.split("/").pop()!.replace(/\.gz$/i, "");
      out = await Deno.open(`${work}/${base}`, { write: true, createNew: true });
      for await (const chunk of stream) await writeAll(out, chunk);
      out.close();
      out = null;
    }
    input = null; // the stream closed it
    // Everything is complete: move the top-level entries into place, replacing older ones.
    const moved: string[] = [];
    for await (const e of Deno.readDir(work)) {
      const target = `${job.dest}/${e.name}`;
      await removeQuietly(target);
      await Deno.rename(`${work}/${e.name}`, target);
      moved.push(e.name);
    }
    await Deno.remove(work, { recursive: true });
    return { entries: moved.sort() };
  } catch (e) {
    try {
      (out as Deno.FsFile | null)?.close();
    } catch { /* closed */ }
    try {
      input?.close();
    } catch { /* closed */ }
    await removeQuietly(work);
    if (e instanceof JobError) throw e;
    const msg = (e as Error).message ?? String(e);
    const kind = e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied
      ? "io"
      : "archive";
    throw new JobError(kind, `cannot extract ${job.archive}: ${msg}`);
  }
}

globalThis.addEventListener("message", async (event: Event) => {
  const { job, sab } = (event as MessageEvent<{ job: Job; sab: SharedArrayBuffer }>).data;
  const state = new Int32Array(sab, 0, 4);
  const text = new Uint8Array(sab, 16);
  const beat = setInterval(() => Atomics.add(state, 1, 1), 100);
  Atomics.add(state, 1, 1);
  let reply: unknown;
  try {
    const value = job.op === "download" ? await download(job) : await extract(job);
    reply = { ok: true, value };
  } catch (err) {
    const kind = err instanceof JobError ? err.kind : "io";
    reply = { ok: false, kind, message: (err as Error).message ?? String(err) };
  }
  clearInterval(beat);
  const bytes = enc.encode(JSON.stringify(reply));
  const n = Math.min(bytes.length, text.length);
  text.set(bytes.subarray(0, n));
  Atomics.store(state, 2, n);
  Atomics.store(state, 0, 1);
  Atomics.notify(state, 0);
});
