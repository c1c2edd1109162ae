/**
 * denotorch: PyTorch's tensor API over TensorFlow.js kernels.
 *
 * @example First tensor
 * ```ts
 * import { print, torch } from "./mod.ts";
 * torch.manual_seed(0);
 * print(torch.rand(2)); // tensor([0.4963, 0.7682])
 * ```
 * @module
 */
import { initEngine } from "./lib/engine/backend.ts";
await initEngine();

export { torch } from "./lib/torch.ts";
export { F, nn } from "./lib/nn/nn.ts";
export { optim } from "./lib/optim/optim.ts";
export { Image, imshow, torchvision } from "./lib/torchvision/mod.ts";
export { PicklingError, SafetensorError, safetensors, UnpicklingError } from "./lib/serialization/mod.ts";
export { Tensor } from "./lib/tensor/tensor.ts";
export { Size } from "./lib/tensor/size.ts";
export { device } from "./lib/tensor/device.ts";
export { dtype } from "./lib/tensor/dtype.ts";
export {
  enumerate,
  iter,
  len,
  list,
  next,
  print,
  range,
  repr,
  StopIteration,
  str,
  zip,
} from "./lib/python.ts";
export {
  IndexError,
  NotImplementedError,
  RuntimeError,
  TorchError,
  TorchTypeError,
  ValueError,
} from "./lib/errors.ts";
