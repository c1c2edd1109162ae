/**
 * `torch.nn.init`: PyTorch's initialisers, drawing from the global generator
 * in PyTorch's order, so a seeded model gets PyTorch's exact weights.
 * @module
 */
import { ValueError } from "../errors.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { no_grad } from "../autograd/grad_mode.ts";

/** PyTorch's `calculate_gain(nonlinearity, param)`. */
export function calculate_gain(nonlinearity: string, param: number | null = null): number {
  const linear = [
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
  ];
  if (linear.includes(nonlinearity) || nonlinearity === "sigmoid") return 1;
  if (nonlinearity === "tanh") return 5 / 3;
  if (nonlinearity === "relu") return Math.SQRT2;
  if (nonlinearity === "leaky_relu") {
    const slope = param === null ? 0.01 : param;
    if (typeof slope !== "number") throw new ValueError(`negative_slope ${slope} not a valid number`);
    return Math.sqrt(2 / (1 + slope * slope));
  }
  if (nonlinearity === "selu") return 3 / 4;
  throw new ValueError(`Unsupported nonlinearity ${nonlinearity}`);
}

/** PyTorch's `_calculate_fan_in_and_fan_out`. */
export function _calculate_fan_in_and_fan_out(t: Tensor): [number, number] {
  const s = t._shape;
  if (s.length < 2) {
    throw new ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  }
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return [s[1] * receptive, s[0] * receptive];
}

function fan(t: Tensor, mode: string): number {
  const m = mode.toLowerCase();
  if (m !== "fan_in" && m !== "fan_out") {
    throw new ValueError(`Mode ${mode} not supported, please use one of ['fan_in', 'fan_out']`);
  }
  const [fi, fo] = _calculate_fan_in_and_fan_out(t);
  return m === "fan_in" ? fi : fo;
}

type Kw = Record<string, unknown>;
function opt<T>(args: unknown[], i: number, kw: Kw, name: string, dflt: T): T {
  return (args[i] ?? kw[name] ?? dflt) as T;
}
function split(args: unknown[]): [unknown[], Kw] {
  const last = args[args.length - 1];
  if (last && typeof last === "object" && Object.getPrototypeOf(last) === Object.prototype) {
    return [args.slice(0, -1), last as Kw];
  }
  return [args, {}];
}

/** `uniform_(tensor, a=0, b=1)`. */
export function uniform_(t: Tensor, ...rest: unknown[]): Tensor {
  const [a, kw] = split(rest);
  return no_grad(() => t.uniform_(opt(a, 0, kw, "a", 0), opt(a, 1, kw, "b", 1)));
}

/** `normal_(tensor, mean=0, std=1)`. */
export function normal_(t: Tensor, ...rest: unknown[]): Tensor {
  const [a, kw] = split(rest);
  return no_grad(() => t.normal_(opt(a, 0, kw, "mean", 0), opt(a, 1, kw, "std", 1)));
}

/** `constant_(tensor, val)`. */
export function constant_(t: Tensor, val: number): Tensor {
  return no_grad(() => t.fill_(val));
}

/** `zeros_(tensor)`. */
export function zeros_(t: Tensor): Tensor {
  return no_grad(() => t.zero_());
}

/** `ones_(tensor)`. */
export function ones_(t: Tensor): Tensor {
  return no_grad(() => t.fill_(1));
}

/** `eye_(tensor)`: the identity for a 2-D tensor. */
export function eye_(t: Tensor): Tensor {
  if (t._shape.length !== 2) throw new ValueError("Only tensors with 2 dimensions are supported");
  return no_grad(() => {
    t.zero_();
    const n = Math.min(t._shape[0], t._shape[1]);
    for (let i = 0; i < n; i++) t.index(i, i).fill_(1);
    return t;
  });
}

/** `kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')`. */
export function kaiming_uniform_(t: Tensor, ...rest: unknown[]): Tensor {
  const [a, kw] = split(rest);
  const neg = opt(a, 0, kw, "a", 0);
  const mode = opt(a, 1, kw, "mode", "fan_in");
  const nl = opt(a, 2, kw, "nonlinearity", "leaky_relu");
  if (t._shape.includes(0)) {
    console.warn("UserWarning: Initializing zero-element tensors is a no-op");
    return t;
  }
  const gain = calculate_gain(nl, neg);
  const std = gain / Math.sqrt(fan(t, mode));
  const bound = Math.sqrt(3) * std;
  return no_grad(() => t.uniform_(-bound, bound));
}

/** `kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')`. */
export function kaiming_normal_(t: Tensor, ...rest: unknown[]): Tensor {
  const [a, kw] = split(rest);
  const neg = opt(a, 0, kw, "a", 0);
  const mode = opt(a, 1, kw, "mode", "fan_in");
  const nl = opt(a, 2, kw, "nonlinearity", "leaky_relu");
  if (t._shape.includes(0)) {
    console.warn("UserWarning: Initializing zero-element tensors is a no-op");
    return t;
  }
  const std = calculate_gain(nl, neg) / Math.sqrt(fan(t, mode));
  return no_grad(() => t.normal_(0, std));
}

/** `xavier_uniform_(tensor, gain=1)`. */
export function xavier_uniform_(t: Tensor, ...rest: unknown[]): Tensor {
  const [a, kw] = split(rest);
  const gain = opt(a, 0, kw, "gain", 1);
  const [fi, fo] = _calculate_fan_in_and_fan_out(t);
  const bound = Math.sqrt(3) * gain * Math.sqrt(2 / (fi + fo));
  return no_grad(() => t.uniform_(-bound, bound));
}

/** `xavier_normal_(tensor, gain=1)`. */
export function xavier_normal_(t: Tensor, ...rest: unknown[]): Tensor {
  const [a, kw] = split(rest);
  const gain = opt(a, 0, kw, "gain", 1);
  const [fi, fo] = _calculate_fan_in_and_fan_out(t);
  return no_grad(() => t.normal_(0, gain * Math.sqrt(2 / (fi + fo))));
}
