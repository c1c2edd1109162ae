/**
 * `torchvision.models`.
 * @module
 */
import { callable } from "../../nn/callable.ts";
import * as R from "./resnet.ts";
import { ResNet18_Weights, ResNet34_Weights, ResNet50_Weights } from "./weights.ts";

/** `torchvision.models`. */
export const models = {
  resnet18: R.resnet18,
  resnet34: R.resnet34,
  resnet50: R.resnet50,
  resnet101: R.resnet101,
  resnet152: R.resnet152,
  ResNet: callable(R.ResNet),
  ResNet18_Weights,
  ResNet34_Weights,
  ResNet50_Weights,
  resnet: { BasicBlock: R.BasicBlock, Bottleneck: R.Bottleneck },
};
