/**
 * The `torch` namespace: creation, ops as functions (`torch.add(a, b)`),
 * dtypes, devices, printing options and the random generator.
 * @module
 */
import "./tensor/methods.ts";
import * as C from "./tensor/creation.ts";
import * as D from "./tensor/dtype.ts";
import { device, get_default_device, set_default_device } from "./tensor/device.ts";
import { gpuReady, gpuStatus, startGpu } from "./engine/webgpu.ts";
import { gpuBackend } from "./engine/backend.ts";
import { Size } from "./tensor/size.ts";
import { is_tensor, Tensor, type TensorLike } from "./tensor/tensor.ts";
import {
  BINARY,
  binary,
  BINARY_ALIASES,
  clamp,
  nonzero,
  UNARY,
  unary,
  UNARY_ALIASES,
  where,
} from "./tensor/pointwise.ts";
import * as R from "./tensor/reduce.ts";
import * as S from "./tensor/shape.ts";
import { allclose, equal, isclose, to } from "./tensor/methods.ts";
import { get_printoptions, set_printoptions } from "./tensor/format.ts";
import { type Kw } from "./tensor/dispatch.ts";
import { slice } from "./tensor/indexing.ts";
import { default_generator, Generator } from "./random/generator.ts";
import { limits, memoryStats } from "./engine/memory.ts";
import { cpuBackendName } from "./engine/backend.ts";
import { RuntimeError } from "./errors.ts";
import * as GM from "./autograd/grad_mode.ts";
import * as AG from "./autograd/api.ts";
import { F, nn } from "./nn/nn.ts";
import { addmm } from "./nn/functional.ts";
import { optim } from "./optim/optim.ts";
import { data } from "./data/mod.ts";
import { callable } from "./nn/callable.ts";
import { load, register_parameter_type, save } from "./serialization/checkpoint.ts";
import { ParameterClass } from "./nn/parameter.ts";
import { checkpointLoader, syncDownloader } from "./torchvision/models/weights.ts";
import { download_url } from "./torchvision/datasets/download.ts";

// loaded nn.Parameters come back as Parameters; pretrained weights load through torch.load
register_parameter_type({
  is: (t: Tensor) => t instanceof ParameterClass,
  make: (d: Tensor, rg: boolean) => new ParameterClass(d, rg),
});
checkpointLoader.load = (bytes) => load(bytes) as Record<string, Tensor>;
syncDownloader.download = (url, dir, name) => void download_url(url, dir, { filename: name, md5: null });

/**
 * `torch.webgpu`: this engine's `torch.cuda`. Deno's WebGPU starts asynchronously, so a
 * script starts it once with `await torch.webgpu.init()` (the REPL and lessons do it for
 * the user) before making webgpu tensors.
 */
export const webgpu = {
  /**
   * Starts the webgpu device (once) and tells whether it works; never throws.
   * @returns true when the device is available
   */
  init: async (): Promise<boolean> => (await startGpu()).available,
  /** Whether the webgpu device works (after `init()`; before it, a clear error). */
  is_available: (): boolean => {
    const st = gpuStatus();
    if (!st) {
      throw new RuntimeError(
        "Cannot tell whether webgpu is available before it is started: `await torch.webgpu.init()` answers (and starts it)",
      );
    }
    return st.available && gpuReady();
  },
  /** Whether the adapter is a real GPU, not a software fallback such as lavapipe. */
  is_real: (): boolean => {
    const st = gpuStatus();
    return Boolean(st?.available && !st.fallback);
  },
  /** The adapter's name, as `torch.cuda.get_device_name()`. */
  get_device_name: (): string => {
    const st = gpuStatus();
    if (!st?.available) {
      throw new RuntimeError(
        `Cannot name the webgpu device as it is not available${st ? `: ${st.reason}` : " (not started)"}`,
      );
    }
    return st.name + (st.fallback ? " (software fallback)" : "");
  },
  /** Number of webgpu devices: 1 when available. */
  device_count: (): number => (gpuStatus()?.available ? 1 : 0),
  /** Waits until the queued GPU work is done (as `torch.cuda.synchronize()`). */
  synchronize: async (): Promise<void> => {
    const b = gpuBackend() as unknown as {
      device?: { queue: { onSubmittedWorkDone(): Promise<void> } };
      submitQueue?(): void;
    } | null;
    if (!b?.device) return;
    const enc = b as unknown as { commandEncoder: unknown; submitQueue(): void };
    if (enc.commandEncoder) enc.submitQueue();
    await b.device.queue.onSubmittedWorkDone();
  },
};

/** `torch.autograd`. */
export const autograd = {
  grad: AG.grad,
  /** `torch.autograd.backward(tensors, grad_tensors?)`. */
  backward: (
    tensors: Tensor | Tensor[],
    grad_tensors?: Tensor | (Tensor | null)[] | null,
    opts: AG.BackwardOptions = {},
  ) => {
    const ts = Array.isArray(tensors) ? tensors : [tensors];
    const gs = grad_tensors == null
      ? ts.map(() => null)
      : Array.isArray(grad_tensors)
      ? grad_tensors
      : [grad_tensors];
    ts.forEach((t, i) =>
      AG.backward(t, gs[i], { ...opts, retain_graph: opts.retain_graph ?? (i < ts.length - 1) })
    );
  },
  /** The backward graph of a tensor as a tree (for learners; not in PyTorch). */
  graph: AG.graph,
  no_grad: GM.no_grad,
  enable_grad: GM.enable_grad,
  set_grad_enabled: GM.set_grad_enabled,
  inference_mode: GM.inference_mode,
};

type F1 = (x: Tensor, ...a: unknown[]) => Tensor;
type F2 = (x: TensorLike, y: TensorLike, kw?: Kw) => Tensor;

const binaryFns: Record<string, F2> = {};
for (const name of [...Object.keys(BINARY), ...Object.keys(BINARY_ALIASES)]) {
  const target = BINARY_ALIASES[name] ?? name;
  binaryFns[name] = (x: TensorLike, y: TensorLike, kw?: Kw) => binary(target, x, y, kw);
}
const unaryFns: Record<string, F1> = {};
for (const name of [...Object.keys(UNARY), ...Object.keys(UNARY_ALIASES)]) {
  const target = UNARY_ALIASES[name] ?? name;
  unaryFns[name] = (x: Tensor, kw?: unknown) => unary(target, x, kw as Kw);
}

function numel(x: Tensor): number {
  return x.numel();
}

/** The torch namespace. */
export const torch = {
  ...binaryFns,
  ...unaryFns,
  // creation
  tensor: C.tensor,
  as_tensor: C.tensor,
  zeros: C.zeros,
  ones: C.ones,
  empty: C.empty,
  full: C.full,
  arange: C.arange,
  linspace: C.linspace,
  eye: C.eye,
  rand: C.rand,
  randn: C.randn,
  randint: C.randint,
  randperm: C.randperm,
  zeros_like: C.zeros_like,
  ones_like: C.ones_like,
  empty_like: C.empty_like,
  full_like: C.full_like,
  rand_like: C.rand_like,
  randn_like: C.randn_like,
  randint_like: C.randint_like,
  manual_seed: C.manual_seed,
  seed: C.seed,
  initial_seed: C.initial_seed,
  Generator: callable(Generator),
  default_generator,
  // ops
  clamp,
  clip: clamp,
  where,
  nonzero,
  sum: R.sum,
  mean: R.mean,
  prod: R.prod,
  std: R.std,
  var: R.var_,
  max: R.max,
  min: R.min,
  amax: R.amax,
  amin: R.amin,
  argmax: R.argmax,
  argmin: R.argmin,
  all: R.all,
  any: R.any,
  matmul: R.matmul,
  mm: R.mm,
  bmm: R.bmm,
  dot: R.dot,
  mv: R.mv,
  outer: R.outer,
  reshape: S.reshape,
  flatten: S.flatten,
  unsqueeze: S.unsqueeze,
  squeeze: S.squeeze,
  permute: S.permute,
  transpose: S.transpose,
  swapaxes: S.transpose,
  t: S.t,
  narrow: S.narrow,
  split: S.split,
  chunk: S.chunk,
  unbind: S.unbind,
  clone: S.clone,
  detach: S.detach,
  cat: S.cat,
  concat: S.cat,
  concatenate: S.cat,
  stack: S.stack,
  equal,
  allclose,
  isclose,
  numel,
  is_tensor,
  is_floating_point: (x: Tensor) => x.is_floating_point(),
  to,
  slice,
  select: S.select,
  addmm,
  nn,
  optim,
  utils: { data },
  save,
  load,
  serialization: { register_parameter_type },
  // autograd
  autograd,
  no_grad: GM.no_grad,
  enable_grad: GM.enable_grad,
  set_grad_enabled: GM.set_grad_enabled,
  inference_mode: GM.inference_mode,
  is_grad_enabled: GM.is_grad_enabled,
  // types and devices
  Tensor,
  Size: (dims: number[] = []) => Size.from_(dims),
  device: (spec: string | device, index?: number) => new device(spec, index),
  ...D.DTYPES,
  dtype: D.dtype,
  promote_types: D.promoteTypes,
  result_type: (a: TensorLike, b: TensorLike) => R.resultTypeOf(a, b),
  can_cast: (from: D.dtype, to_: D.dtype) => from.category <= to_.category,
  get_default_dtype: () => D.float32,
  set_default_dtype: (d: D.dtype) => {
    if (d !== D.float32) {
      throw new RuntimeError(`Cannot set the default dtype to ${d} as the engine computes in float32 only`);
    }
  },
  set_printoptions,
  get_printoptions,
  /** Engine memory counters (this engine's `torch.cuda.memory_stats()`). */
  memory_stats: memoryStats,
  /** Bytes of tensor data resident in the engine. */
  memory_allocated: () => memoryStats().engine_bytes,
  /** Limits on engine residency before spilling to JS memory. */
  memory_limits: limits,
  /** The tfjs backend behind the cpu device ("wasm", or "cpu" as a fallback). */
  backend: cpuBackendName,
  set_default_device,
  get_default_device,
  /** The webgpu device (this engine's `torch.cuda`). */
  webgpu,
};
void F;
