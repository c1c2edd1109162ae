/**
 * What the nn parity cases see besides `torch`, `nn` and `F`: the TypeScript
 * twins of the PRELUDE in tests/fixtures/gen_nn.py (the helpers and the
 * models of lessons 2 and 3), written the way a user translates PyTorch.
 */
import { F, len, list, nn, repr, str, Tensor, torch } from "../../mod.ts";
import { callable } from "../../lib/nn/callable.ts";
import type { ModuleClass } from "../../lib/nn/module.ts";
import type { Node } from "../../lib/autograd/node.ts";

/** A fixed, non-uniform upstream gradient for `y.backward(G(y))`. */
export function G(y: Tensor): Tensor {
  return torch.linspace(0.5, 1.5, y.numel()).reshape(y.shape);
}

/** The names of `named_*()` pairs. */
export function names(it: Iterable<[string, unknown]>): string[] {
  return [...it].map(([n]) => n);
}

/** The grad_fn's name, or null. */
export function gfn(t: Tensor): string | null {
  return t.grad_fn === null ? null : t.grad_fn.name();
}

/** The names of the grad_fn's next functions (null where no gradient flows). */
export function nf(t: Tensor): (string | null)[] {
  return (t.grad_fn as Node).next_functions.map(([f]) => (f === null ? null : f.name()));
}

/** A state dict's keys, in order. */
export function keys(d: Record<string, unknown>): string[] {
  return Object.keys(d);
}

/** The parameters of a module, as a list. */
export function params(m: ModuleClass): Tensor[] {
  return [...m.parameters()];
}

/** Their gradients. */
export function grads(m: ModuleClass): (Tensor | null)[] {
  return [...m.parameters()].map((p) => p.grad);
}

/** Lesson 2, item 27: 32x32 grayscale, flatten, Linear(1024, 100), ReLU, Linear(100, 10). */
const NetClass = class Net extends nn.Module {
  fc1 = nn.Linear(1024, 100);
  fc2 = nn.Linear(100, 10);
  override forward(x: Tensor): Tensor {
    x = torch.flatten(x, 1);
    return this.fc2(F.relu(this.fc1(x)));
  }
};

/** Lesson 2, item 32 (PyTorch's tutorial network); c1 / c2_in for item 34. */
const LeNetClass = class LeNet extends nn.Module {
  conv1: ModuleClass;
  conv2: ModuleClass;
  fc1: ModuleClass;
  fc2: ModuleClass;
  fc3: ModuleClass;
  constructor(c1 = 6, c2_in = 6) {
    super();
    this.conv1 = nn.Conv2d(1, c1, 5);
    this.conv2 = nn.Conv2d(c2_in, 16, 5);
    this.fc1 = nn.Linear(16 * 5 * 5, 120);
    this.fc2 = nn.Linear(120, 84);
    this.fc3 = nn.Linear(84, 10);
  }
  override forward(x: Tensor): Tensor {
    x = F.max_pool2d(F.relu(this.conv1(x)), [2, 2]);
    x = F.max_pool2d(F.relu(this.conv2(x)), 2);
    x = torch.flatten(x, 1);
    x = F.relu(this.fc1(x));
    x = F.relu(this.fc2(x));
    return this.fc3(x);
  }
};

/** Lesson 2, item 33 (a MaxPool2d module) and lesson 3's CIFAR-10 network (in_ch = 3). */
const PoolNetClass = class PoolNet extends nn.Module {
  conv1: ModuleClass;
  pool: ModuleClass;
  conv2: ModuleClass;
  fc1: ModuleClass;
  fc2: ModuleClass;
  fc3: ModuleClass;
  constructor(in_ch = 1) {
    super();
    this.conv1 = nn.Conv2d(in_ch, 6, 5);
    this.pool = nn.MaxPool2d(2, 2);
    this.conv2 = nn.Conv2d(6, 16, 5);
    this.fc1 = nn.Linear(16 * 5 * 5, 120);
    this.fc2 = nn.Linear(120, 84);
    this.fc3 = nn.Linear(84, 10);
  }
  override forward(x: Tensor): Tensor {
    x = this.pool(F.relu(this.conv1(x)));
    x = this.pool(F.relu(this.conv2(x)));
    x = torch.flatten(x, 1);
    x = F.relu(this.fc1(x));
    x = F.relu(this.fc2(x));
    return this.fc3(x);
  }
};

/** Containers inside a model: Sequential, ModuleDict, ModuleList. */
const NestedClass = class Nested extends nn.Module {
  features = nn.Sequential(
    nn.Conv2d(3, 8, 3, { padding: 1 }),
    nn.BatchNorm2d(8),
    nn.ReLU({ inplace: true }),
    nn.MaxPool2d(2),
  );
  pool = nn.AdaptiveAvgPool2d([1, 1]);
  classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(8, 4));
  heads = nn.ModuleDict({ a: nn.Linear(4, 2), b: nn.Identity() });
  extra = nn.ModuleList([nn.ReLU(), nn.GELU({ approximate: "tanh" })]);
  override forward(x: Tensor): Tensor {
    x = this.classifier(this.pool(this.features(x)));
    const heads = this.heads as unknown as Record<string, ModuleClass>;
    const extra = this.extra as unknown as Record<number, ModuleClass>;
    return heads["a"](extra[1](x));
  }
};

/** `Net()`, as the cases call it (with or without `new`). */
export const Net = callable(NetClass);
/** `LeNet(c1?, c2_in?)`. */
export const LeNet = callable(LeNetClass);
/** `PoolNet(in_ch?)`. */
export const PoolNet = callable(PoolNetClass);
/** `Nested()`. */
export const Nested = callable(NestedClass);

/** Everything a case sees besides torch, nn and F. */
export const helpers = {
  G,
  names,
  gfn,
  nf,
  keys,
  params,
  grads,
  Net,
  LeNet,
  PoolNet,
  Nested,
  str,
  repr,
  len,
  list,
};
