// deno-lint-ignore-file no-import-prefix -- pinned npm: specifier keeps mod.ts importable from scripts outside the project (no import map there)
/**
 * Starts the `webgpu` device: Deno's native WebGPU under tfjs-backend-webgpu.
 *
 * Started on demand (`await torch.webgpu.init()`; the REPL and lessons start it for the
 * user), never at import: asking for an adapter loads Vulkan drivers, which costs start-up
 * time and must never break a program that only uses the cpu. The backend is built here,
 * not by tfjs's own factory, to avoid the frictions seen under Deno: the factory asks for
 * `['bgra8unorm-storage']` (a list inside the features list) and reads the adapter's info
 * after creating the device.
 * @module
 */
import { attachGpu, gpuBackend, initEngine, tf } from "./backend.ts";

/** What `torch.webgpu.init()` found. */
export interface GpuStatus {
  /** Whether the webgpu device works. */
  available: boolean;
  /** Whether the adapter is a software fallback (lavapipe), not a real GPU. */
  fallback: boolean;
  /** The adapter's description (vendor, architecture, device), as far as it tells. */
  name: string;
  /** Why it is not available (null when it is). */
  reason: string | null;
}

let status: GpuStatus | null = null;
let starting: Promise<GpuStatus> | null = null;

/** The result of the last start, or null before any. */
export function gpuStatus(): GpuStatus | null {
  return status;
}

interface AdapterLike {
  features: Set<string>;
  limits: Record<string, number>;
  isFallbackAdapter?: boolean;
  info?: Record<string, string | boolean | undefined>;
  requestDevice(d: unknown): Promise<DeviceLike>;
}
interface DeviceLike {
  lost: Promise<{ message: string }>;
}

/**
 * Starts the webgpu backend once; later calls return the same promise. Never throws: a
 * machine without WebGPU gets `available: false` and the reason.
 */
export function startGpu(): Promise<GpuStatus> {
  if (starting) return starting;
  starting = (async (): Promise<GpuStatus> => {
    const off = (
      reason: string,
    ): GpuStatus => (status = { available: false, fallback: false, name: "", reason });
    await initEngine();
    const g =
      (navigator as unknown as { gpu?: { requestAdapter(o: unknown): Promise<AdapterLike | null> } }).gpu;
    if (!g) return off("this Deno has no navigator.gpu");
    quietVulkan();
    let adapter: AdapterLike | null;
    try {
      adapter = await g.requestAdapter({ powerPreference: "high-performance" });
    } catch (e) {
      return off(`asking for a WebGPU adapter failed: ${e instanceof Error ? e.message : e}`);
    }
    if (!adapter) {
      return off(
        "no WebGPU adapter was found (on Debian, `apt-get install mesa-vulkan-drivers libvulkan1` gives a software one)",
      );
    }
    // read before the device exists (some implementations empty it afterwards); the fields
    // are getters, so copy them one by one
    const a = adapter.info ?? {};
    const info: Record<string, string | boolean> = {};
    for (const k of ["vendor", "architecture", "device", "description", "isFallbackAdapter"]) {
      const v = a[k];
      if (v !== undefined) info[k] = v;
    }
    const fallback = Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter);
    const name = String(info.description || [info.vendor, info.architecture, info.device].join(" ").trim()) ||
      (fallback ? "software adapter" : "adapter");
    try {
      const mod = await import("npm:@tensorflow/tfjs-backend-webgpu@4.22.0");
      const L = adapter.limits;
      const limits: Record<string, number> = {};
      for (
        const k of [
          "maxComputeWorkgroupStorageSize",
          "maxComputeWorkgroupsPerDimension",
          "maxStorageBufferBindingSize",
          "maxBufferSize",
          "maxComputeWorkgroupSizeX",
          "maxComputeInvocationsPerWorkgroup",
        ]
      ) if (typeof L[k] === "number") limits[k] = L[k];
      const device = await adapter.requestDevice({ requiredFeatures: [], requiredLimits: limits });
      const backend = new mod.WebGPUBackend(
        device as unknown as GPUDevice,
        info as unknown as GPUAdapterInfo,
      );
      // tfjs's own factory (registered by the import when navigator.gpu exists) is replaced by
      // this backend, registered at priority 0 so tfjs never picks it on its own
      if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
      tf.registerBackend("webgpu", () => backend, 0);
      // tfjs submits the command queue every 15 kernels; a submit costs Deno's WebGPU a lot of
      // CPU time (16% of a small training step's profile on lavapipe): 60 made that step 13–29%
      // faster there (3 alternating runs); to be confirmed on a real GPU (docs/webgpu-bench.md)
      tf.env().set("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE", submitBatch());
      const engine = tf.engine() as unknown as { initializeBackend(n: string): unknown };
      engine.initializeBackend("webgpu");
      attachGpu(tf.findBackend("webgpu"));
      device.lost.then((l) => {
        attachGpu(null);
        status = { available: false, fallback, name, reason: `the GPU device was lost: ${l.message}` };
      });
      return (status = { available: true, fallback, name, reason: null });
    } catch (e) {
      attachGpu(null);
      return off(`starting tfjs's webgpu backend failed: ${e instanceof Error ? e.message : e}`);
    }
  })();
  return starting;
}

/** Whether the webgpu device is started and working. */
export function gpuReady(): boolean {
  return gpuBackend() !== null;
}

/** Mesa's Vulkan drivers complain on stderr when XDG_RUNTIME_DIR is unset (as on servers and CI). */
function quietVulkan(): void {
  try {
    if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", Deno.env.get("TMPDIR") || "/tmp");
  } catch (_) {
    // without --allow-env the warning stays: harmless
  }
}

/** Kernels recorded per queue submit (`DENOTORCH_WEBGPU_SUBMIT_BATCH` overrides the default 60). */
function submitBatch(): number {
  let v: string | undefined;
  try {
    v = Deno.env.get("DENOTORCH_WEBGPU_SUBMIT_BATCH");
  } catch (_) {
    // no --allow-env: the default
  }
  const n = Number(v);
  return v && Number.isInteger(n) && n > 0 ? n : 60;
}
