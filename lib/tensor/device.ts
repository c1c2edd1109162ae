/**
 * `torch.device`: where a tensor's memory lives.
 * @module
 */
import { RuntimeError } from "../errors.ts";
import { gpuReady, gpuStatus } from "../engine/webgpu.ts";

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

/** The webgpu device (index 0: one adapter is used). */
export const WEBGPU: device = new device("webgpu", 0);

/**
 * The device a tensor is made on or moved to, checked: `webgpu` needs the device started
 * (`await torch.webgpu.init()`), and its only index is 0.
 */
export function useDevice(d: device | string): device {
  const dev = toDevice(d);
  if (dev.type === "cpu") return dev.index === null || dev.index === 0 ? CPU : badOrdinal(dev);
  if ((dev.index ?? 0) !== 0) badOrdinal(dev);
  if (!gpuReady()) {
    const st = gpuStatus();
    throw new RuntimeError(
      st
        ? `Cannot use the webgpu device as it is not available: ${st.reason}`
        : "Cannot use the webgpu device as it is not started: run `await torch.webgpu.init()` first (the REPL and lessons start it for you)",
    );
  }
  return WEBGPU;
}

function badOrdinal(d: device): never {
  throw new RuntimeError(
    `Cannot use device ${d} as it does not exist: the only ${d.type} device is ${d.type}:0`,
  );
}

let current: device = CPU;

/** The device factory functions use when none is given (`cpu` unless set). */
export function defaultDevice(): device {
  return current;
}

/** `torch.set_default_device(d)`: where factory functions and new layers put tensors. */
export function set_default_device(d: device | string | null): void {
  current = d === null ? CPU : useDevice(d);
}

/** `torch.get_default_device()`. */
export function get_default_device(): device {
  return current;
}
