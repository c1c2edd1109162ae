/**
 * `torchvision.models.resnet18` … `resnet152`: torchvision's ResNet, built in
 * the same order (so a seeded model has torchvision's exact weights,
 * including the `kaiming_normal_` re-initialisation of every conv), with
 * the official pretrained weights when available.
 * @module
 */
import type { Tensor } from "../../tensor/tensor.ts";
import { ModuleClass } from "../../nn/module.ts";
import * as M from "../../nn/modules.ts";
import * as init from "../../nn/init.ts";
import { ValueError } from "../../errors.ts";
import {
  ResNet18_Weights,
  ResNet34_Weights,
  ResNet50_Weights,
  WeightsEntry,
  type WeightsEnum,
} from "./weights.ts";

function conv3x3(inp: number, out: number, stride = 1, groups = 1, dilation = 1): M.Conv2d {
  return new M.Conv2d(inp, out, 3, { stride, padding: dilation, groups, bias: false, dilation });
}

function conv1x1(inp: number, out: number, stride = 1): M.Conv2d {
  return new M.Conv2d(inp, out, 1, { stride, bias: false });
}

/** Block options shared by BasicBlock and Bottleneck. */
interface BlockOpts {
  stride?: number;
  downsample?: ModuleClass | null;
  groups?: number;
  base_width?: number;
  dilation?: number;
}

/** torchvision's two-conv residual block (resnet18/34). */
export class BasicBlock extends ModuleClass {
  static expansion = 1;
  conv1: M.Conv2d;
  bn1: M.BatchNorm2d;
  relu: M.ReLU;
  conv2: M.Conv2d;
  bn2: M.BatchNorm2d;
  downsample!: ModuleClass | null;
  declare stride: number;
  constructor(inplanes: number, planes: number, opts: BlockOpts = {}) {
    super();
    if ((opts.groups ?? 1) !== 1 || (opts.base_width ?? 64) !== 64) {
      throw new ValueError("BasicBlock only supports groups=1 and base_width=64");
    }
    if ((opts.dilation ?? 1) > 1) throw new ValueError("Dilation > 1 not supported in BasicBlock");
    const stride = opts.stride ?? 1;
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = new M.BatchNorm2d(planes);
    this.relu = new M.ReLU({ inplace: true });
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new M.BatchNorm2d(planes);
    // like PyTorch, a None downsample is a plain attribute, not a child
    Object.defineProperty(this, "downsample", {
      value: opts.downsample ?? null,
      writable: true,
      enumerable: !!opts.downsample,
    });
    Object.defineProperty(this, "stride", { value: stride, writable: true, enumerable: false });
  }
  override forward(x: Tensor): Tensor {
    let identity = x;
    let out = this.relu(this.bn1(this.conv1(x)));
    out = this.bn2(this.conv2(out));
    if (this.downsample) identity = this.downsample(x);
    out.add_(identity);
    return this.relu(out);
  }
}

/** torchvision's three-conv bottleneck block (resnet50/101/152). */
export class Bottleneck extends ModuleClass {
  static expansion = 4;
  conv1: M.Conv2d;
  bn1: M.BatchNorm2d;
  conv2: M.Conv2d;
  bn2: M.BatchNorm2d;
  conv3: M.Conv2d;
  bn3: M.BatchNorm2d;
  relu: M.ReLU;
  downsample!: ModuleClass | null;
  declare stride: number;
  constructor(inplanes: number, planes: number, opts: BlockOpts = {}) {
    super();
    const groups = opts.groups ?? 1;
    const width = Math.floor(planes * ((opts.base_width ?? 64) / 64)) * groups;
    const stride = opts.stride ?? 1;
    this.conv1 = conv1x1(inplanes, width);
    this.bn1 = new M.BatchNorm2d(width);
    this.conv2 = conv3x3(width, width, stride, groups, opts.dilation ?? 1);
    this.bn2 = new M.BatchNorm2d(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = new M.BatchNorm2d(planes * Bottleneck.expansion);
    this.relu = new M.ReLU({ inplace: true });
    Object.defineProperty(this, "downsample", {
      value: opts.downsample ?? null,
      writable: true,
      enumerable: !!opts.downsample,
    });
    Object.defineProperty(this, "stride", { value: stride, writable: true, enumerable: false });
  }
  override forward(x: Tensor): Tensor {
    let identity = x;
    let out = this.relu(this.bn1(this.conv1(x)));
    out = this.relu(this.bn2(this.conv2(out)));
    out = this.bn3(this.conv3(out));
    if (this.downsample) identity = this.downsample(x);
    out.add_(identity);
    return this.relu(out);
  }
}

type Block = typeof BasicBlock | typeof Bottleneck;

/** Options of the ResNet constructor (torchvision's keyword arguments). */
export interface ResNetOptions {
  num_classes?: number;
  zero_init_residual?: boolean;
  groups?: number;
  width_per_group?: number;
  replace_stride_with_dilation?: [boolean, boolean, boolean] | null;
}

/** torchvision's ResNet. */
export class ResNet extends ModuleClass {
  conv1: M.Conv2d;
  bn1: M.BatchNorm2d;
  relu: M.ReLU;
  maxpool: M.MaxPool2d;
  layer1: M.Sequential;
  layer2: M.Sequential;
  layer3: M.Sequential;
  layer4: M.Sequential;
  avgpool: M.AdaptiveAvgPool2d;
  fc: M.Linear;
  declare inplanes: number;
  declare dilation: number;
  declare groups: number;
  declare base_width: number;
  constructor(block: Block, layers: number[], opts: ResNetOptions = {}) {
    super();
    const hide = (k: string, v: unknown) =>
      Object.defineProperty(this, k, { value: v, writable: true, enumerable: false, configurable: true });
    hide("inplanes", 64);
    hide("dilation", 1);
    const rsd = opts.replace_stride_with_dilation ?? [false, false, false];
    if (rsd.length !== 3) {
      throw new ValueError(
        `replace_stride_with_dilation should be None or a 3-element tuple, got ${rsd}`,
      );
    }
    hide("groups", opts.groups ?? 1);
    hide("base_width", opts.width_per_group ?? 64);
    this.conv1 = new M.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new M.BatchNorm2d(64);
    this.relu = new M.ReLU({ inplace: true });
    this.maxpool = new M.MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this._make_layer(block, 64, layers[0]);
    this.layer2 = this._make_layer(block, 128, layers[1], 2, rsd[0]);
    this.layer3 = this._make_layer(block, 256, layers[2], 2, rsd[1]);
    this.layer4 = this._make_layer(block, 512, layers[3], 2, rsd[2]);
    this.avgpool = new M.AdaptiveAvgPool2d([1, 1]);
    this.fc = new M.Linear(512 * block.expansion, opts.num_classes ?? 1000);
    for (const m of this.modules()) {
      if (m instanceof M.Conv2d) init.kaiming_normal_(m.weight, { mode: "fan_out", nonlinearity: "relu" });
      else if (m instanceof M.BatchNorm2d) {
        init.constant_(m.weight!, 1);
        init.constant_(m.bias!, 0);
      }
    }
    if (opts.zero_init_residual) {
      for (const m of this.modules()) {
        if (m instanceof Bottleneck) init.constant_(m.bn3.weight!, 0);
        else if (m instanceof BasicBlock) init.constant_(m.bn2.weight!, 0);
      }
    }
  }

  _make_layer(block: Block, planes: number, blocks: number, stride = 1, dilate = false): M.Sequential {
    let downsample: ModuleClass | null = null;
    const previous = this.dilation;
    if (dilate) {
      this.dilation *= stride;
      stride = 1;
    }
    if (stride !== 1 || this.inplanes !== planes * block.expansion) {
      downsample = new M.Sequential(
        conv1x1(this.inplanes, planes * block.expansion, stride),
        new M.BatchNorm2d(planes * block.expansion),
      );
    }
    const layers: ModuleClass[] = [
      new block(this.inplanes, planes, {
        stride,
        downsample,
        groups: this.groups,
        base_width: this.base_width,
        dilation: previous,
      }),
    ];
    this.inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) {
      layers.push(
        new block(this.inplanes, planes, {
          groups: this.groups,
          base_width: this.base_width,
          dilation: this.dilation,
        }),
      );
    }
    return new M.Sequential(...layers);
  }

  override forward(x: Tensor): Tensor {
    x = this.maxpool(this.relu(this.bn1(this.conv1(x))));
    x = this.layer4(this.layer3(this.layer2(this.layer1(x))));
    x = this.avgpool(x).flatten(1);
    return this.fc(x);
  }
}

/** Arguments of the model builders: `resnet18({ weights, progress, num_classes … })`. */
export interface BuilderOptions extends ResNetOptions {
  weights?: WeightsEntry | string | null;
  progress?: boolean;
}

function build(
  block: Block,
  layers: number[],
  enumW: WeightsEnum,
  opts: BuilderOptions | WeightsEntry = {},
): ResNet {
  const o: BuilderOptions = opts instanceof WeightsEntry ? { weights: opts } : opts;
  const weights = typeof o.weights === "string" ? enumW.resolve(o.weights) : o.weights ?? null;
  const num_classes = o.num_classes ?? (weights ? weights.meta.categories.length : 1000);
  if (weights && num_classes !== weights.meta.categories.length) {
    throw new ValueError(
      `The parameter 'num_classes' expected value ${weights.meta.categories.length} but got ${num_classes} instead.`,
    );
  }
  const model = new ResNet(block, layers, { ...o, num_classes });
  if (weights) model.load_state_dict(weights.get_state_dict({ progress: o.progress ?? true }));
  return model;
}

/** `torchvision.models.resnet18(weights=None)`. */
export function resnet18(opts: BuilderOptions | WeightsEntry = {}): ResNet {
  return build(BasicBlock, [2, 2, 2, 2], ResNet18_Weights, opts);
}

/** `torchvision.models.resnet34(weights=None)`. */
export function resnet34(opts: BuilderOptions | WeightsEntry = {}): ResNet {
  return build(BasicBlock, [3, 4, 6, 3], ResNet34_Weights, opts);
}

/** `torchvision.models.resnet50(weights=None)`. */
export function resnet50(opts: BuilderOptions | WeightsEntry = {}): ResNet {
  return build(Bottleneck, [3, 4, 6, 3], ResNet50_Weights, opts);
}

/** `torchvision.models.resnet101(weights=None)` (no pretrained weights entry here). */
export function resnet101(opts: BuilderOptions = {}): ResNet {
  return new ResNet(Bottleneck, [3, 4, 23, 3], opts);
}

/** `torchvision.models.resnet152(weights=None)` (no pretrained weights entry here). */
export function resnet152(opts: BuilderOptions = {}): ResNet {
  return new ResNet(Bottleneck, [3, 8, 36, 3], opts);
}
