/**
 * `torch.hub`'s cache and download: checkpoints live where PyTorch keeps
 * them (`$TORCH_HOME/hub/checkpoints`, by default `~/.cache/torch/…`), so a
 * file a PyTorch user already downloaded is reused. Downloads go to a
 * temporary file with a progress bar, are hash-checked, and only then
 * renamed into place: nothing half-written ever looks valid.
 * @module
 */
import { RuntimeError } from "./errors.ts";
import { progressLine } from "./progress.ts";

// the bar is shared with torchvision's dataset downloads; re-exported for hub's callers
export { progressLine };

/** `torch.hub.get_dir()`: `$TORCH_HOME/hub`, else `$XDG_CACHE_HOME/torch/hub`, else `~/.cache/torch/hub`. */
export function get_dir(): string {
  const env = (k: string) => {
    try {
      return Deno.env.get(k) ?? null;
    } catch {
      return null;
    }
  };
  const torchHome = env("TORCH_HOME");
  if (torchHome) return `${torchHome}/hub`;
  const xdg = env("XDG_CACHE_HOME");
  const home = env("HOME") ?? ".";
  return `${xdg ?? `${home}/.cache`}/torch/hub`;
}

/** Where a checkpoint file of this name is cached. */
export function checkpointPath(fileName: string): string {
  return `${get_dir()}/checkpoints/${fileName}`;
}

/** Options of `download_url_to_file`. */
export interface DownloadOptions {
  /** Expected leading hex digits of the file's SHA-256 (torchvision names files with it). */
  hash_prefix?: string | null;
  /** Show a progress bar on stderr. */
  progress?: boolean;
  /** Where progress goes (tests pass their own). */
  stderr?: { writeSync(b: Uint8Array): number };
}

/**
 * Downloads `url` to `dst`: into a temporary file beside it, checking the
 * hash prefix, then renamed. Errors name the URL and what went wrong.
 */
export async function download_url_to_file(
  url: string,
  dst: string,
  opts: DownloadOptions = {},
): Promise<void> {
  const dir = dst.slice(0, dst.lastIndexOf("/")) || ".";
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${dst}.${crypto.randomUUID().slice(0, 8)}.partial`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new RuntimeError(`Cannot download ${url}: ${e instanceof Error ? e.message : e}`);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new RuntimeError(
      `Cannot download ${url}: the server answered ${response.status} ${response.statusText}`,
    );
  }
  const total = Number(response.headers.get("content-length") ?? 0);
  const out = await Deno.open(tmp, { write: true, create: true, truncate: true });
  const chunks: Uint8Array[] = [];
  let got = 0;
  const err = opts.stderr ?? Deno.stderr;
  const bar = opts.progress ?? true;
  const name = dst.slice(dst.lastIndexOf("/") + 1);
  let lastDraw = 0;
  try {
    for await (const chunk of response.body) {
      await writeAll(out, chunk);
      if (opts.hash_prefix) chunks.push(chunk);
      got += chunk.length;
      const now = performance.now();
      if (bar && (now - lastDraw > 100 || got === total)) {
        lastDraw = now;
        err.writeSync(new TextEncoder().encode(`\r${progressLine(name, got, total)}`));
      }
    }
    if (bar) err.writeSync(new TextEncoder().encode(`\r${progressLine(name, got, total)}\n`));
    if (total && got !== total) {
      throw new RuntimeError(`Cannot download ${url}: the transfer stopped after ${got} of ${total} bytes`);
    }
    out.close();
    if (opts.hash_prefix) {
      const digest = await sha256Hex(concat(chunks, got));
      if (!digest.startsWith(opts.hash_prefix)) {
        throw new RuntimeError(
          `invalid hash value (expected "${opts.hash_prefix}", got "${digest}") for ${url}: the download is corrupt`,
        );
      }
    }
    await Deno.rename(tmp, dst);
  } catch (e) {
    try {
      out.close();
    } catch { /* already closed */ }
    await Deno.remove(tmp).catch(() => {});
    if (e instanceof RuntimeError) throw e;
    throw new RuntimeError(`Cannot download ${url}: ${e instanceof Error ? e.message : e}`);
  }
}

async function writeAll(f: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await f.write(data.subarray(off));
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  const all = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return all;
}

/** Hex SHA-256 of bytes. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}
