/**
 * Text pictures for the terminal, as plain strings: a progress bar and a
 * loss curve drawn with block characters. `ui.ts` decides where they go.
 * @module
 */

/** `1:05`, `1:02:03`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** `[██████░░░░]`, `width` cells, with eighth blocks at the edge. */
export function bar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, fraction));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  const parts = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
  const body = "█".repeat(full) + (full < width ? parts[part] : "");
  return body + "░".repeat(Math.max(0, width - [...body].length));
}

/** One training progress line. */
export interface TrainStatus {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

/** `epoch 1/2 [████░░] 41% 5125/12500 · loss 1.873 · 402 img/s · ETA 3:07`. */
export function progressLine(s: TrainStatus, width = 24): string {
  const pct = s.steps > 0 ? Math.floor((100 * s.step) / s.steps) : 0;
  const loss = Number.isFinite(s.loss) ? s.loss.toFixed(3) : "-";
  return `epoch ${s.epoch}/${s.epochs} [${bar(s.steps ? s.step / s.steps : 0, width)}] ${
    String(pct).padStart(3)
  }% ${s.step}/${s.steps} · loss ${loss} · ${Math.round(s.imagesPerSecond)} img/s · ETA ${
    duration(s.etaSeconds)
  }`;
}

/** Averages `values` into `n` buckets (or returns them when there are fewer). */
export function downsample(values: number[], n: number): number[] {
  if (values.length <= n) return [...values];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = Math.floor((i * values.length) / n);
    const b = Math.max(a + 1, Math.floor(((i + 1) * values.length) / n));
    let s = 0;
    for (let j = a; j < b; j++) s += values[j];
    out.push(s / (b - a));
  }
  return out;
}

/**
 * A curve as an area chart, `height` rows of block characters, with the
 * y range on the left and the x range below:
 *
 *     2.302 ┤█▇▆▅
 *           ┤████▇▆▅▄▃▂▁
 *     1.412 ┤███████████▇▆▅▅▄
 *           └────────────────
 *            0            12500 steps
 */
export function curve(
  values: number[],
  opts: { width?: number; height?: number; xMax?: number; xLabel?: string } = {},
): string[] {
  const width = Math.max(4, opts.width ?? 60);
  const height = Math.max(2, opts.height ?? 8);
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [];
  const ys = downsample(finite, width);
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi - lo < 1e-9) {
    hi += 0.5;
    lo -= 0.5;
  }
  // the floor of the chart a little below the minimum, so the lowest point still shows
  const floor = lo - (hi - lo) * 0.1;
  const levels = ys.map((y) => Math.round(((y - floor) / (hi - floor)) * height * 8));
  const blocks = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
  const label = (v: number) => v.toFixed(3);
  const pad = Math.max(label(hi).length, label(floor).length);
  const rows: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    const cells = levels.map((l) => blocks[Math.min(8, Math.max(0, l - r * 8))]).join("");
    const y = r === height - 1 ? label(hi) : r === 0 ? label(floor) : "";
    rows.push(`${y.padStart(pad)} ┤${cells.trimEnd()}`);
  }
  rows.push(`${" ".repeat(pad)} └${"─".repeat(ys.length)}`);
  const xMax = String(opts.xMax ?? finite.length);
  const gap = Math.max(1, ys.length - 1 - xMax.length);
  rows.push(`${" ".repeat(pad)}  0${" ".repeat(gap)}${xMax}${opts.xLabel ? " " + opts.xLabel : ""}`);
  return rows;
}
