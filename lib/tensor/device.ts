/**
 * `torch.device`: where a tensor's memory lives.
 * @module
 */
import { RuntimeError } from "../errors.ts";

const KNOWN = ["cpu", "webgpu"];

/** A device such as `device(type='cpu')` or `device(type='webgpu', index=0)`. */
export class device {
  readonly type: string;
  readonly index: number | null;
  /**
   * @param spec `"cpu"`, `"webgpu"`, `"webgpu:0"` or another device
   * @param index optional device index
   * @example Make a device
   * ```ts
   * import { device } from "./device.ts";
   * console.log(String(new device("cpu"))); // cpu
   * ```
   */
  constructor(spec: string | device, index?: number | null) {
    if (spec instanceof device) {
      this.type = spec.type;
      this.index = spec.index;
      return;
    }
    const m = /^([a-z]+)(?::(\d+))?$/.exec(String(spec));
    if (!m) {
      throw new RuntimeError(`Invalid device string: '${spec}'`);
    }
    if (!KNOWN.includes(m[1])) {
      const hint = m[1] === "cuda" || m[1] === "mps" ? ` (this engine's GPU device is 'webgpu')` : "";
      throw new RuntimeError(
        `Expected one of cpu, webgpu device type at start of device string: ${spec}${hint}`,
      );
    }
    this.type = m[1];
    this.index = m[2] !== undefined ? Number(m[2]) : (index ?? null);
  }
  /** `cpu` or `webgpu:0` */
  toString(): string {
    return this.index === null ? this.type : `${this.type}:${this.index}`;
  }
  /** PyTorch's repr: `device(type='cpu')`. */
  repr(): string {
    return this.index === null
      ? `device(type='${this.type}')`
      : `device(type='${this.type}', index=${this.index})`;
  }
  /** Deno's console shows the PyTorch repr. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.repr();
  }
  /** Same type and same index (a missing index is 0). */
  equals(other: device | string): boolean {
    const o = other instanceof device ? other : new device(other);
    return o.type === this.type && (o.index ?? 0) === (this.index ?? 0);
  }
}

/** The cpu device. */
export const CPU: device = new device("cpu");

/** Normalises a device argument. */
export function toDevice(d: device | string): device {
  return d instanceof device ? d : new device(d);
}
