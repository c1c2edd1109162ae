/**
 * The `nn` namespace (`torch.nn`): Module, Parameter, layers, containers,
 * losses, `init`, and `functional` (also exported as `F`).
 * @module
 */
import * as Fn from "./functional.ts";
import * as init from "./init.ts";
import * as M from "./modules.ts";
import { Module, ModuleClass } from "./module.ts";
import { Parameter, ParameterClass, setEmptyFactory } from "./parameter.ts";
import * as C from "../tensor/creation.ts";
import * as S from "../tensor/shape.ts";
import * as L from "./loss.ts";
import { callable } from "./callable.ts";

// wire the tensor factories the layers use (no import cycle at load time)
M.factory.empty = (shape) => C.empty(shape);
M.factory.zeros = (shape, int) => C.zeros(shape, int ? { dtype: "int64" } : {});
M.factory.ones = (shape) => C.ones(shape);
setEmptyFactory(() => C.empty([0]));
Fn._setCat((ts, d) => S.cat(ts, d));
Fn._setStack((ts, d) => S.stack(ts, d));

/** `torch.nn.functional`. */
export const F = {
  linear: Fn.linear,
  conv2d: Fn.conv2d,
  max_pool2d: Fn.max_pool2d,
  avg_pool2d: Fn.avg_pool2d,
  adaptive_avg_pool2d: Fn.adaptive_avg_pool2d,
  relu: Fn.relu,
  leaky_relu: Fn.leaky_relu,
  gelu: Fn.gelu,
  sigmoid: Fn.sigmoid,
  tanh: Fn.tanh,
  softmax: Fn.softmax,
  log_softmax: Fn.log_softmax,
  dropout: Fn.dropout,
  batch_norm: Fn.batch_norm,
  embedding: Fn.embedding,
  flatten: S.flatten,
  ...L.functional,
};

/** `torch.nn`. */
export const nn = {
  Module,
  Parameter,
  Linear: callable(M.Linear),
  Conv2d: callable(M.Conv2d),
  MaxPool2d: callable(M.MaxPool2d),
  AvgPool2d: callable(M.AvgPool2d),
  AdaptiveAvgPool2d: callable(M.AdaptiveAvgPool2d),
  BatchNorm1d: callable(M.BatchNorm1d),
  BatchNorm2d: callable(M.BatchNorm2d),
  Dropout: callable(M.Dropout),
  ReLU: callable(M.ReLU),
  LeakyReLU: callable(M.LeakyReLU),
  GELU: callable(M.GELU),
  Sigmoid: callable(M.Sigmoid),
  Tanh: callable(M.Tanh),
  Softmax: callable(M.Softmax),
  LogSoftmax: callable(M.LogSoftmax),
  Flatten: callable(M.Flatten),
  Identity: callable(M.Identity),
  Embedding: callable(M.Embedding),
  Sequential: callable(M.Sequential),
  ModuleList: callable(M.ModuleList),
  ModuleDict: callable(M.ModuleDict),
  ...L.modules,
  init,
  functional: F,
};

export { ModuleClass, ParameterClass };
