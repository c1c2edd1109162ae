/**
 * `torchvision.datasets.utils`: `download_url`, `extract_archive`, `download_and_extract_archive`,
 * `check_integrity`, `calculate_md5`. Synchronous, as torchvision's are (a dataset constructor
 * with `download: true` returns a ready dataset): the network and decompression work runs in a
 * worker (`download_worker.ts`) while this thread waits on a SharedArrayBuffer.
 *
 * Nothing half-written is ever left under its final name: downloads go to a temporary file that
 * is renamed once complete and its MD5 verified; archives are extracted into a temporary folder
 * whose entries are moved into place only when the whole archive has been read.
 * @module
 */
import { createHash } from "node:crypto";
import { RuntimeError } from "../../errors.ts";
import { isKw } from "../../tensor/dispatch.ts";
import type { Job } from "./jobs.ts";

/** A failed download or extraction; `kind` says which part failed. */
export class DownloadError extends RuntimeError {
  constructor(readonly kind: "network" | "md5" | "archive" | "io", message: string) {
    super(message);
  }
}

/** Tunables (tests shorten the stall timeout). */
export const downloadSettings = {
  /** Abort a download that receives nothing for this long. */
  stall_ms: 60_000,
  /** Print progress and "Downloading …" lines on stderr. */
  verbose: true,
};

/** An informational line on stdout (as torchvision prints them), unless `verbose` is off. */
export function note(text: string): void {
  if (downloadSettings.verbose) console.log(text);
}

const STATE_BYTES = 16;
const REPLY_BYTES = 64 * 1024;

/** Runs one job in a fresh worker and blocks until it answers. */
function runJob<T>(job: Job): T {
  const sab = new SharedArrayBuffer(STATE_BYTES + REPLY_BYTES);
  const state = new Int32Array(sab, 0, 4);
  let worker: Worker;
  try {
    worker = new Worker(new URL("./download_worker.ts", import.meta.url).href, { type: "module" });
  } catch (e) {
    throw new DownloadError("io", `cannot start the download worker: ${(e as Error).message}`);
  }
  try {
    worker.postMessage({ job, sab });
    let beat = -1;
    let since = Date.now();
    while (Atomics.load(state, 0) === 0) {
      Atomics.wait(state, 0, 0, 250);
      const b = Atomics.load(state, 1);
      if (b !== beat) {
        beat = b;
        since = Date.now();
      } else if (Date.now() - since > (beat <= 0 ? 120_000 : 30_000)) {
        throw new DownloadError(
          "io",
          beat <= 0 ? "the download worker did not start" : "the download worker stopped responding",
        );
      }
    }
    const n = Atomics.load(state, 2);
    const reply = JSON.parse(new TextDecoder().decode(new Uint8Array(sab, STATE_BYTES, n).slice())) as
      | { ok: true; value: T }
      | { ok: false; kind: DownloadError["kind"]; message: string };
    if (!reply.ok) throw new DownloadError(reply.kind, reply.message);
    return reply.value;
  } finally {
    worker.terminate();
  }
}

/** Whether a file or folder exists at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The MD5 of a file, as a hex string. */
export function calculate_md5(fpath: string): string {
  const hash = createHash("md5");
  const f = Deno.openSync(fpath);
  try {
    const buf = new Uint8Array(4 << 20);
    while (true) {
      const n = f.readSync(buf);
      if (n === null || n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    f.close();
  }
  return hash.digest("hex");
}

/** Whether `fpath` exists and (when `md5` is given) has that MD5. */
export function check_integrity(fpath: string, md5: string | null = null): boolean {
  if (!exists(fpath)) return false;
  if (!md5) return true;
  return calculate_md5(fpath) === md5.toLowerCase();
}

function join(a: string, b: string): string {
  return a.endsWith("/") ? a + b : `${a}/${b}`;
}

function basename(url: string): string {
  const path = url.replace(/[?#].*$/, "");
  return decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
}

/** Options of {@link download_url}. */
export interface DownloadOptions {
  filename?: string | null;
  md5?: string | null;
}

function optsOf(args: unknown[], names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const last = args[args.length - 1];
  const pos = isKw(last) ? args.slice(0, -1) : args;
  pos.forEach((v, i) => (out[names[i]] = v));
  if (isKw(last)) Object.assign(out, last);
  return out;
}

/**
 * Downloads `url` into folder `root` (as `filename`, default the URL's last part), checking `md5`.
 * A file already there with the right MD5 is kept. Arguments as torchvision's
 * (`download_url(url, root, filename, md5)`) or an options object.
 *
 * @returns the path of the file
 */
export function download_url(url: string, root: string, ...rest: unknown[]): string {
  const o = optsOf(rest, ["filename", "md5"]);
  const filename = (o.filename as string | null | undefined) ?? basename(url);
  const md5 = (o.md5 as string | null | undefined) ?? null;
  Deno.mkdirSync(root, { recursive: true });
  const fpath = join(root, filename);
  if (check_integrity(fpath, md5)) {
    note(`Using downloaded and verified file: ${fpath}`);
    return fpath;
  }
  runJob({
    op: "download",
    url,
    dest: fpath,
    md5,
    quiet: !downloadSettings.verbose,
    stall_ms: downloadSettings.stall_ms,
  });
  return fpath;
}

/**
 * Extracts a `.tar`, `.tar.gz`/`.tgz` or `.gz` archive into `to_path` (default: its folder).
 * `remove_finished` deletes the archive afterwards.
 *
 * @returns the top-level names extracted
 */
export function extract_archive(from_path: string, ...rest: unknown[]): string[] {
  const o = optsOf(rest, ["to_path", "remove_finished"]);
  const to = (o.to_path as string | null | undefined) ??
    (from_path.includes("/") ? from_path.slice(0, from_path.lastIndexOf("/")) || "/" : ".");
  if (!exists(from_path)) throw new DownloadError("io", `archive not found: ${from_path}`);
  const r = runJob<{ entries: string[] }>({
    op: "extract",
    archive: from_path,
    dest: to,
    quiet: !downloadSettings.verbose,
  });
  if (o.remove_finished) Deno.removeSync(from_path);
  return r.entries;
}

/**
 * Downloads (unless a verified copy is there) and extracts an archive, as torchvision's
 * `download_and_extract_archive(url, download_root, extract_root, filename, md5, remove_finished)`.
 * A download or archive that fails its checks is deleted, so it never looks valid.
 */
export function download_and_extract_archive(
  url: string,
  download_root: string,
  ...rest: unknown[]
): string[] {
  const o = optsOf(rest, ["extract_root", "filename", "md5", "remove_finished"]);
  const extract_root = (o.extract_root as string | null | undefined) ?? download_root;
  const filename = (o.filename as string | null | undefined) ?? basename(url);
  const fpath = download_url(url, download_root, { filename, md5: o.md5 ?? null });
  try {
    return extract_archive(fpath, { to_path: extract_root, remove_finished: Boolean(o.remove_finished) });
  } catch (e) {
    // a corrupt archive must not be reused as if it were good
    if (e instanceof DownloadError && e.kind === "archive") {
      try {
        Deno.removeSync(fpath);
      } catch { /* gone */ }
    }
    throw e;
  }
}
