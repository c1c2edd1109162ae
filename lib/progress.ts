/**
 * The tqdm-style progress line that downloads draw (torch.hub's checkpoints and torchvision's
 * datasets), in one place so that both show the same bar.
 * @module
 */

/** Mebibytes with one decimal and tqdm's `M` suffix, as the bar shows sizes. */
function mb(n: number): string {
  return (n / (1024 * 1024)).toFixed(1) + "M";
}

/** `mm:ss`, tqdm's clock; `??:??` while the rate is unknown. */
function clock(s: number): string {
  if (!Number.isFinite(s)) return "??:??";
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, "0")}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
}

/**
 * `name:  45%|█████████████▌                | 20.1M/44.7M`, like PyTorch's tqdm bar. Given the
 * seconds since the download began, tqdm's `[elapsed<remaining, rate]` follows. Without a total
 * (0 or null: no content-length) only the size so far. The percentage is floored, so 100% means
 * done; eighth blocks make slow progress visible.
 */
export function progressLine(name: string, done: number, total: number | null, secs?: number): string {
  const rate = secs === undefined ? 0 : done / Math.max(secs, 1e-3);
  if (!total) return `${name}: ${mb(done)}${secs === undefined ? "" : ` [${clock(secs)}, ${mb(rate)}B/s]`}`;
  const frac = Math.min(done / total, 1);
  const width = 30;
  const full = Math.floor(frac * width);
  const part = " ▏▎▍▌▋▊▉"[Math.floor((frac * width - full) * 8)];
  const bar = "█".repeat(full) + (full < width ? part + " ".repeat(width - full - 1) : "");
  const timing = secs === undefined
    ? ""
    : ` [${clock(secs)}<${clock((total - done) / rate)}, ${mb(rate)}B/s]`;
  return `${name}: ${String(Math.floor(frac * 100)).padStart(3)}%|${bar}| ${mb(done)}/${mb(total)}${timing}`;
}
