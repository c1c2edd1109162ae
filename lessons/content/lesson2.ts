/**
 * Lesson 2, autograd and neural networks: the seed's 34 exercises
 * (`../shared/EXERCISES.md`), with 19–26 restored, and 26's follow-up as
 * 26b. Answers follow PyTorch 2.x; where 1.x differed, the explanation says
 * so. Every "guess" is judged on the live outcome of its snippet.
 * @module
 */
import { T } from "../i18n.ts";
import {
  childOf,
  describe,
  fail,
  findProduced,
  gotText,
  hasShape,
  isSecondBackward,
  isShape,
  isTensor,
  need,
  PASS,
  same,
} from "../judge.ts";
import type { Choice, Ctx, Lesson, Verdict } from "../types.ts";
import { F, nn, optim, Tensor, torch, torchvision } from "../../mod.ts";

const runs: Choice["holds"] = (o) => o.ok;
const fails2nd: Choice["holds"] = (o) => isSecondBackward(o);

/** The learner's tensor-valued global, or undefined. */
function tensor(ctx: Ctx, name: string): Tensor | undefined {
  const v = ctx.scope[name];
  return isTensor(v) ? v : undefined;
}

function model(ctx: Ctx): { conv1: { weight: Tensor }; parameters(): Iterable<Tensor> } | undefined {
  return ctx.scope.model as { conv1: { weight: Tensor }; parameters(): Iterable<Tensor> } | undefined;
}

type Mod = ((x: Tensor) => Tensor) & Record<string, unknown>;

/** `new Net()` from the learner's class, or a verdict saying why not. */
function instantiate(ctx: Ctx, expected: string): Mod | Verdict {
  const Net = ctx.scope.Net;
  if (typeof Net !== "function") {
    return fail(
      expected,
      ctx.L("还没有类 Net", "there is no class Net yet"),
      ctx.L(
        "用 `class Net extends nn.Module { … }` 定义。",
        "define it: `class Net extends nn.Module { … }`",
      ),
    );
  }
  try {
    const net = new (Net as new () => Mod)();
    if (!(net instanceof nn.Module)) {
      return fail(expected, ctx.L("Net 不是 nn.Module 的子类", "Net does not extend nn.Module"));
    }
    return net;
  } catch (e) {
    return fail(expected, `new Net(): ${describe(e, ctx)}`);
  }
}

function isVerdict(x: unknown): x is Verdict {
  return typeof x === "object" && x !== null && "ok" in x && typeof (x as { ok: unknown }).ok === "boolean" &&
    !(x instanceof Tensor) && !(x instanceof nn.Module);
}

/** A layer of the learner's net: the right class and sizes, or a description of what is there. */
function layer(
  net: Mod,
  name: string,
  cls: unknown,
  sizes: Record<string, number | number[]>,
  ctx: Ctx,
): string | null {
  const m = net[name] as Record<string, unknown> | undefined;
  if (!m) return ctx.L(`没有层 ${name}`, `no layer ${name}`);
  if (!(m instanceof (cls as new () => unknown))) return `${name}: ${describe(m, ctx)}`;
  for (const [k, v] of Object.entries(sizes)) {
    const got = m[k];
    if (JSON.stringify(got) !== JSON.stringify(v)) return `${name}: ${String(m)}`;
  }
  return null;
}

/** Runs the learner's net on `x`, or says what went wrong. */
function forward(net: Mod, x: Tensor, expected: string, ctx: Ctx): Tensor | Verdict {
  try {
    const y = net(x);
    if (!isTensor(y)) return fail(expected, `net(x) → ${describe(y, ctx)}`);
    return y;
  } catch (e) {
    return fail(expected, `net(x): ${describe(e, ctx)}`);
  }
}

const LENET_SIZES = (c1: number) => ({
  conv1: [nn.Conv2d, { in_channels: 1, out_channels: c1, kernel_size: [5, 5] }],
  conv2: [nn.Conv2d, { in_channels: c1, out_channels: 16, kernel_size: [5, 5] }],
  fc1: [nn.Linear, { in_features: 400, out_features: 120 }],
  fc2: [nn.Linear, { in_features: 120, out_features: 84 }],
  fc3: [nn.Linear, { in_features: 84, out_features: 10 }],
} as Record<string, [unknown, Record<string, number | number[]>]>);

/** Checks a LeNet (items 32–34): its layers, and that its forward is the schematic's, computed with its own layers. */
function checkLeNet(ctx: Ctx, c1: number, needPool: boolean): Verdict {
  const expected = ctx.L(
    `类 Net:conv1 = Conv2d(1, ${c1}, 5)、conv2 = Conv2d(${c1}, 16, 5)、fc1/fc2/fc3 = Linear(400, 120)/(120, 84)/(84, 10)${
      needPool ? "、一个 nn.MaxPool2d(2, 2) 层" : ""
    };forward 按示意图计算,输出 (1, 10)`,
    `a class Net: conv1 = Conv2d(1, ${c1}, 5), conv2 = Conv2d(${c1}, 16, 5), fc1/fc2/fc3 = Linear(400, 120)/(120, 84)/(84, 10)${
      needPool ? ", an nn.MaxPool2d(2, 2) layer" : ""
    }; forward as the schematic, output (1, 10)`,
  );
  const net = instantiate(ctx, expected);
  if (isVerdict(net)) return net;
  for (const [name, [cls, sizes]] of Object.entries(LENET_SIZES(c1))) {
    const bad = layer(net, name, cls, sizes, ctx);
    if (bad) return fail(expected, bad);
  }
  let pools = 0;
  const hooks: { remove(): void }[] = [];
  if (needPool) {
    const found = childOf(net, nn.MaxPool2d) as (Mod & {
      kernel_size: unknown;
      stride: unknown;
      register_forward_hook(h: () => void): { remove(): void };
    })[];
    if (found.length === 0) {
      return fail(expected, ctx.L("没有 nn.MaxPool2d 子模块", "no nn.MaxPool2d submodule"));
    }
    for (const p of found) hooks.push(p.register_forward_hook(() => void pools++));
  }
  const x = torch.rand(1, 1, 32, 32);
  const y = forward(net, x, expected, ctx);
  hooks.forEach((h) => h.remove());
  if (isVerdict(y)) return y;
  if (!hasShape(y, [1, 10])) return fail(expected, `net(x) → ${describe(y, ctx)}`);
  const L = net as unknown as Record<string, (t: Tensor) => Tensor>;
  const want = torch.no_grad(() => {
    let h = F.relu(F.max_pool2d(L.conv1(x), 2));
    h = F.relu(F.max_pool2d(L.conv2(h), 2));
    h = torch.flatten(h, 1);
    h = F.relu(L.fc1(h));
    h = F.relu(L.fc2(h));
    return L.fc3(h);
  });
  if (!same(y, want, 1e-4)) {
    return fail(
      expected,
      ctx.L(
        "输出和示意图的计算不一致(检查 relu、池化和展平的位置)",
        "an output that differs from the schematic's (check where relu, pooling and flatten go)",
      ),
    );
  }
  if (needPool && pools < 2) {
    return fail(
      expected,
      ctx.L(
        `forward 只调用了池化层 ${pools} 次(应为 2 次)`,
        `forward calls the pooling layer ${pools} time(s), not twice`,
      ),
    );
  }
  return PASS;
}

const LENET = `class Net extends nn.Module {
  constructor() {
    super()
    this.conv1 = nn.Conv2d(1, 6, 5)
    this.conv2 = nn.Conv2d(6, 16, 5)
    this.fc1 = nn.Linear(16 * 5 * 5, 120)
    this.fc2 = nn.Linear(120, 84)
    this.fc3 = nn.Linear(84, 10)
  }
  forward(x) {
    x = F.relu(F.max_pool2d(this.conv1(x), 2))
    x = F.relu(F.max_pool2d(this.conv2(x), 2))
    x = torch.flatten(x, 1)
    x = F.relu(this.fc1(x))
    x = F.relu(this.fc2(x))
    return this.fc3(x)
  }
}`;

const LENET_POOL = (c1: number) =>
  `class Net extends nn.Module {
  constructor() {
    super()
    this.conv1 = nn.Conv2d(1, ${c1}, 5)
    this.pool = nn.MaxPool2d(2, 2)
    this.conv2 = nn.Conv2d(${c1}, 16, 5)
    this.fc1 = nn.Linear(16 * 5 * 5, 120)
    this.fc2 = nn.Linear(120, 84)
    this.fc3 = nn.Linear(84, 10)
  }
  forward(x) {
    x = F.relu(this.pool(this.conv1(x)))
    x = F.relu(this.pool(this.conv2(x)))
    x = torch.flatten(x, 1)
    x = F.relu(this.fc1(x))
    x = F.relu(this.fc2(x))
    return this.fc3(x)
  }
}`;

const TWO_GRAPHS = (first: string, second: string) =>
  `const out = model(data)
const loss1 = l(out, labels)
const loss2 = l(out, labels)
${first}
${second}`;

const SCHEMATIC = `  input 1@32×32 → conv 5×5 → 6@28×28 → subsample 2×2 → 6@14×14 → conv 5×5 → 16@10×10
  → subsample 2×2 → 16@5×5 → full 120 → full 84 → 10 (Gaussian connections / output)`;

export const lesson2: Lesson = {
  n: 2,
  title: T("自动求导和神经网络", "Autograd and neural networks"),
  intro: T(
    `神经网络是一组嵌套的函数,由参数(权重和偏置)定义,参数存放在张量里。训练分两步:前向传播让网络对正确输出做出最佳猜测;反向传播按猜测的误差,沿输出往回收集误差对各参数的导数(梯度),再用梯度下降更新参数。
典型的训练过程:定义带可学习参数的网络 → 遍历输入数据 → 让输入通过网络 → 计算损失 → 把梯度传回参数 → 更新权重(权重 = 权重 − 学习率 × 梯度)。
先读 autograd 教程(https://pytorch.org/tutorials/beginner/blitz/autograd_tutorial.html)和神经网络教程(https://pytorch.org/tutorials/beginner/blitz/neural_networks_tutorial.html)。答案以 PyTorch 2.x 为准。`,
    `A neural network is a set of nested functions defined by parameters (weights and biases) stored in tensors. Training has two steps: the forward pass makes the network's best guess of the right output; the backward pass goes back from the output, collecting the derivatives of the error with respect to each parameter (the gradients), and gradient descent updates the parameters.
The typical training procedure: define a network with learnable parameters → iterate over the input data → run the input through the network → compute the loss → propagate gradients back to the parameters → update the weights (weight = weight − learning_rate × gradient).
Read the autograd tutorial (https://pytorch.org/tutorials/beginner/blitz/autograd_tutorial.html) and the neural networks tutorial (https://pytorch.org/tutorials/beginner/blitz/neural_networks_tutorial.html) first. Answers follow PyTorch 2.x.`,
  ),
  async starter(ctx) {
    const W = torchvision.models.ResNet18_Weights.DEFAULT;
    let pretrained = W.is_cached();
    if (!pretrained && ctx.options.mode === "interactive" && ctx.saved.weightsAsked !== true) {
      ctx.saved.weightsAsked = true;
      const a = await ctx.io.ask(
        ctx.L(
          "ResNet-18 的预训练权重(45 MB)还没有下载。现在下载吗?[Y/n] ",
          "ResNet-18's pretrained weights (45 MB) are not downloaded. Download them now? [Y/n] ",
        ),
      );
      if (a !== null && /^\s*(y|yes|是|好)?\s*$/i.test(a)) {
        try {
          await W.download();
          pretrained = true;
        } catch (e) {
          ctx.io.note(
            ctx.L(
              `下载失败(离线?):${describe(e, ctx)}`,
              `The download failed (offline?): ${describe(e, ctx)}`,
            ),
          );
        }
      }
    }
    return {
      code: `const { resnet18, ResNet18_Weights } = torchvision.models
torch.manual_seed(0)
const model = resnet18(${pretrained ? "{ weights: ResNet18_Weights.DEFAULT }" : "{ weights: null }"})
const data = torch.rand(1, 3, 64, 64)
const labels = torch.rand(1, 1000)`,
      note: pretrained ? undefined : T(
        "没有预训练权重,所以模型是随机初始化的(设了种子)。没有哪道题依赖预训练的数值。以后想要权重:`await ResNet18_Weights.DEFAULT.download()`,再 .reset。",
        "Without the pretrained weights the model is a seeded random init; no exercise depends on the pretrained values. To get them later: `await ResNet18_Weights.DEFAULT.download()`, then .reset.",
      ),
    };
  },
  exercises: [
    {
      kind: "code",
      id: "1",
      title: T("前向传播", "The forward pass"),
      text: T(
        "用 `data` 对模型做一次前向传播,结果保存为 `preds`。",
        "Run `data` through the model (a forward pass) and save the result as `preds`.",
      ),
      hints: [
        T("模型实例可以直接调用:`model(x)`。", "Model instances are callable: `model(x)`."),
        T("const preds = model(data)", "const preds = model(data)"),
      ],
      solution: "const preds = model(data)",
      wrong: ["const preds = data", "const preds = model(data).detach()"],
      pytorch: "preds = model(data)",
      check(ctx) {
        const expected = ctx.L(
          "变量 preds:model(data) 的输出(带 grad_fn 的张量)",
          "a variable preds: the output of model(data) (a tensor with a grad_fn)",
        );
        const p = need<unknown>(ctx, "preds", expected);
        if (p.missing) return p.missing;
        const t = p.value;
        if (!isTensor(t)) return fail(expected, describe(t, ctx));
        if (t.grad_fn === null) {
          return fail(
            expected,
            describe(t, ctx),
            ctx.L(
              "它没有 grad_fn:不是模型算出来的,或者被 detach 了。",
              "It has no grad_fn: not computed by the model, or detached.",
            ),
          );
        }
        if (t.dim() !== 2 || t.size(0) !== 1) return fail(expected, describe(t, ctx));
        return PASS;
      },
      explain: T(
        "调用模型就是前向传播:数据流过每一层,同时记录下计算图,供之后反向传播使用。",
        "Calling the model is the forward pass: the data flows through every layer, and the computation graph is recorded for the backward pass.",
      ),
    },
    {
      kind: "guess",
      id: "2",
      title: T("preds 的形状", "The shape of preds"),
      text: T(
        "`preds` 的形状应该是什么?先猜,再验证。",
        "What should the shape of `preds` be? Guess, then verify.",
      ),
      snippet: "preds.shape",
      pytorch: "preds.shape",
      hints: [
        T(
          "一张图片进去;ResNet-18 在 ImageNet 的 1000 个类别上打分。",
          "One image goes in; ResNet-18 scores ImageNet's 1000 classes.",
        ),
      ],
      choices: [
        { text: T("(1, 1000)", "(1, 1000)"), holds: (o) => isShape(o.value, [1, 1000]) },
        { text: T("(1000,)", "(1000,)"), holds: (o) => isShape(o.value, [1000]) },
        { text: T("(1, 3, 64, 64)", "(1, 3, 64, 64)"), holds: (o) => isShape(o.value, [1, 3, 64, 64]) },
        { text: T("(1, 512)", "(1, 512)"), holds: (o) => isShape(o.value, [1, 512]) },
      ],
      answer: "a",
      explain: T(
        "批大小 1,每张图 1000 个类别得分(logits)。批维度一直保留着。",
        "A batch of 1, with 1000 class scores (logits) per image. The batch dimension stays.",
      ),
    },
    {
      kind: "code",
      id: "3",
      title: T("conv1 的权重", "conv1's weight"),
      text: T(
        "把 resnet18 的 `conv1` 层的权重参数保存为 `w`,并打印它(后面要用;你的 `w` 和别人的不同)。",
        "Save the weight parameter of resnet18's `conv1` layer as `w`, and print it (we need it later; your `w` differs from anyone else's).",
      ),
      hints: [
        T(
          "子模块就是属性:`model.conv1`,它的权重是 `.weight`。",
          "Submodules are attributes: `model.conv1`, and its weight is `.weight`.",
        ),
        T("const w = model.conv1.weight; print(w)", "const w = model.conv1.weight; print(w)"),
      ],
      solution: "const w = model.conv1.weight\nprint(w.shape)",
      wrong: ["const w = model.conv1.weight.clone()", "const w = model.fc.weight"],
      pytorch: "w = model.conv1.weight\nprint(w)",
      check(ctx) {
        const expected = ctx.L(
          "变量 w:就是 model.conv1.weight 这个参数本身",
          "a variable w: the parameter model.conv1.weight itself",
        );
        const w = need<unknown>(ctx, "w", expected);
        if (w.missing) return w.missing;
        const m = model(ctx);
        if (!m || w.value !== m.conv1.weight) {
          return fail(
            expected,
            describe(w.value, ctx),
            ctx.L("要的是同一个对象(不是副本)。", "The same object is wanted (not a copy)."),
          );
        }
        return PASS;
      },
      explain: T(
        "形状 (64, 3, 7, 7):64 个输出通道、3 个输入通道、7×7 的卷积核,打印时带 `requires_grad=True`——它是可学习的参数。课程替你存了一份副本,供后面比较:`const w_saved = w.clone()`。",
        "Shape (64, 3, 7, 7): 64 output channels, 3 input channels, 7×7 kernels, printed with `requires_grad=True`: a learnable parameter. The lesson kept a copy to compare with later: `const w_saved = w.clone()`.",
      ),
      after: async (ctx) => {
        await ctx.run("const w_saved = w.detach().clone()");
      },
    },
    {
      kind: "guess",
      id: "4",
      title: T("w.grad 是什么?", "What is w.grad?"),
      text: T("`w` 的 `grad` 属性现在应该是什么?", "What should `w`'s `grad` attribute be now?"),
      snippet: "w.grad",
      pytorch: "w.grad",
      hints: [T("梯度是反向传播填进去的。", "Gradients are filled in by a backward pass.")],
      choices: [
        {
          text: T("None(null):还没有反向传播", "None (null): no backward pass yet"),
          holds: (o) => o.ok && o.value === null,
        },
        {
          text: T("形状 (64, 3, 7, 7) 的全零张量", "zeros of shape (64, 3, 7, 7)"),
          holds: (o) => isTensor(o.value) && (o.value.eq(0).all().item() as boolean),
        },
        {
          text: T("一个随机张量", "a random tensor"),
          holds: (o) => isTensor(o.value) && !(o.value.eq(0).all().item() as boolean),
        },
      ],
      answer: "a",
      explain: T(
        "还没有调用过 `backward()`,所以 `.grad` 是 `None`(这里显示为 `null`)。",
        "No `backward()` yet, so `.grad` is `None` (shown as `null` here).",
      ),
    },
    {
      kind: "code",
      id: "5",
      title: T("交叉熵损失", "Cross-entropy loss"),
      text: T(
        "创建一个交叉熵损失对象,用它根据 `preds` 和 `labels` 计算损失,保存为 `loss`,并打印(后面要用)。",
        "Create a cross-entropy loss object and use it to compute the loss of `preds` against `labels`; save it as `loss` and print it (we need it later).",
      ),
      hints: [
        T(
          "`nn.CrossEntropyLoss()` 创建损失对象,它和模型一样可以调用。",
          "`nn.CrossEntropyLoss()` makes the loss object; like a model, it is callable.",
        ),
        T(
          "const criterion = nn.CrossEntropyLoss(); const loss = criterion(preds, labels); print(loss)",
          "const criterion = nn.CrossEntropyLoss(); const loss = criterion(preds, labels); print(loss)",
        ),
      ],
      solution: "const criterion = nn.CrossEntropyLoss()\nconst loss = criterion(preds, labels)\nprint(loss)",
      wrong: [
        "const loss = nn.MSELoss()(preds, labels)",
        "const loss = nn.CrossEntropyLoss()(preds, labels).detach()",
      ],
      pytorch: "criterion = nn.CrossEntropyLoss()\nloss = criterion(preds, labels)\nprint(loss)",
      check(ctx) {
        const expected = ctx.L(
          "变量 loss:preds 对 labels 的交叉熵(0 维,带 grad_fn)",
          "a variable loss: the cross-entropy of preds against labels (0-d, with a grad_fn)",
        );
        const l = need<unknown>(ctx, "loss", expected);
        if (l.missing) return l.missing;
        const loss = l.value;
        const preds = tensor(ctx, "preds");
        const labels = tensor(ctx, "labels");
        if (!preds || !labels) {
          return fail(expected, ctx.L("缺少 preds 或 labels", "preds or labels is missing"));
        }
        if (!isTensor(loss) || loss.dim() !== 0) return fail(expected, describe(loss, ctx));
        if (loss.grad_fn === null) {
          return fail(
            expected,
            describe(loss, ctx),
            ctx.L("它没有 grad_fn,无法反向传播。", "It has no grad_fn: no backward pass possible."),
          );
        }
        const want = torch.no_grad(() => F.cross_entropy(preds, labels));
        if (!same(loss, want, 1e-4)) return fail(expected, describe(loss, ctx));
        return PASS;
      },
      explain: (ctx) => {
        const labels = tensor(ctx, "labels");
        const s = labels ? (labels.sum().item() as number).toFixed(1) : "≈500";
        return T(
          `损失很大,因为 \`labels\` 是 [0, 1) 上的随机数,当作"软标签"(概率)用,而它们的和是 ${s} 而不是 1:交叉熵 = −Σ labels × log_softmax(preds),大约 ${s} × ln(1000)。课程存下了它的值:\`const loss_saved = loss.item()\`。`,
          `The loss is large because \`labels\` holds random numbers in [0, 1) used as soft labels (probabilities), and they sum to ${s}, not 1: cross-entropy = −Σ labels × log_softmax(preds), about ${s} × ln(1000). The lesson kept its value: \`const loss_saved = loss.item()\`.`,
        );
      },
      after: async (ctx) => {
        await ctx.run("const loss_saved = loss.item()");
      },
    },
    {
      kind: "code",
      id: "6",
      title: T("最后一步运算", "The last operation"),
      text: T(
        "打印产生 `loss` 的最后一步数学运算。",
        "Print the last mathematical operation that produced `loss`.",
      ),
      hints: [
        T(
          "每个非叶子张量都记得是哪个函数产生了它。",
          "Every non-leaf tensor remembers the function that made it.",
        ),
        T("loss.grad_fn", "loss.grad_fn"),
      ],
      solution: "loss.grad_fn",
      wrong: ["loss", "preds.grad_fn"],
      pytorch: "print(loss.grad_fn)",
      check(ctx) {
        const loss = tensor(ctx, "loss");
        const expected = ctx.L("loss.grad_fn(或它的 name())", "loss.grad_fn (or its name())");
        if (!loss || !loss.grad_fn) {
          return fail(
            expected,
            ctx.L("没有带 grad_fn 的 loss(练习 5)", "no loss with a grad_fn (exercise 5)"),
          );
        }
        const fn = loss.grad_fn;
        const seen = ctx.history.some((v) => v === fn || (typeof v === "string" && v === fn.name())) ||
          ctx.printed.includes(fn.name());
        return seen ? PASS : fail(expected, gotText(ctx));
      },
      explain: (ctx) => {
        const name = tensor(ctx, "loss")?.grad_fn?.name() ?? "DivBackward1";
        return T(
          `\`${name}\`:用概率作目标时,\`reduction='mean'\` 把总和除以批大小(一个数),所以最后一步是除法。`,
          `\`${name}\`: with probability targets, \`reduction='mean'\` divides the sum by the batch size (a number), so the last step is a division.`,
        );
      },
    },
    {
      kind: "code",
      id: "7",
      title: T("反向传播", "Backward"),
      text: T("执行反向传播。", "Run the backward pass."),
      hints: [
        T("在损失上调用 `.backward()`。", "Call `.backward()` on the loss."),
        T("loss.backward()", "loss.backward()"),
      ],
      solution: "loss.backward()",
      pytorch: "loss.backward()",
      check(ctx) {
        const m = model(ctx);
        const expected = ctx.L("model.conv1.weight.grad 被填上了", "model.conv1.weight.grad filled in");
        if (!m) return fail(expected, ctx.L("没有 model", "no model"));
        const g = m.conv1.weight.grad;
        return isTensor(g) ? PASS : fail(expected, `model.conv1.weight.grad: ${describe(g, ctx)}`);
      },
      explain: T(
        "`backward()` 沿计算图从 `loss` 往回走,把 ∂loss/∂参数 累加进每个叶子参数的 `.grad`。",
        "`backward()` walks the graph back from `loss` and accumulates ∂loss/∂parameter into each leaf parameter's `.grad`.",
      ),
    },
    {
      kind: "guess",
      id: "8",
      title: T("w 变了吗?", "Did w change?"),
      text: T(
        "`w` 应该改变吗?和练习 3 的输出(`w_saved`)比较。",
        "Should `w` have changed? Compare with exercise 3's output (`w_saved`).",
      ),
      snippet: "torch.equal(w, w_saved)",
      pytorch: "torch.equal(w, w_saved)",
      hints: [T("反向传播只计算梯度。", "A backward pass only computes gradients.")],
      choices: [
        { text: T("变了", "yes, it changed"), holds: (o) => o.ok && o.value === false },
        { text: T("没变", "no"), holds: (o) => o.ok && o.value === true },
      ],
      answer: "b",
      explain: T(
        "`torch.equal` 为 true:反向传播只填 `.grad`,不改权重。改权重是优化器的事。",
        "`torch.equal` is true: backward only fills `.grad`, it never changes the weights. Changing them is the optimizer's job.",
      ),
    },
    {
      kind: "guess",
      id: "9",
      title: T("w.grad 还和练习 4 一样吗?", "Is w.grad still as in exercise 4?"),
      text: T("`w` 的 `grad` 属性会和练习 4 不同吗?", "Will `w`'s `grad` attribute differ from exercise 4?"),
      snippet: "w.grad.shape",
      pytorch: "w.grad.shape",
      hints: [T("练习 7 做了什么?", "What did exercise 7 do?")],
      choices: [
        {
          text: T("不同:现在是一个 (64, 3, 7, 7) 的梯度张量", "yes: now a (64, 3, 7, 7) tensor of gradients"),
          holds: (o) => isShape(o.value, [64, 3, 7, 7]),
        },
        { text: T("一样,还是 None", "no, still None"), holds: (o) => !o.ok && o.error instanceof TypeError },
      ],
      answer: "a",
      explain: T(
        "反向传播给每个参数填上了与它同形状的梯度。",
        "The backward pass gave every parameter a gradient of its own shape.",
      ),
    },
    {
      kind: "guess",
      id: "10",
      title: T("loss.grad", "loss.grad"),
      text: T("`loss` 的 `grad` 属性应该是什么?", "What should `loss`'s `grad` attribute be?"),
      snippet: "loss.grad",
      pytorch: "loss.grad",
      hints: [
        T(
          "只有叶子张量(你创建的、requires_grad 的张量)才会保存 .grad。",
          "Only leaf tensors (created by you, with requires_grad) keep a .grad.",
        ),
      ],
      choices: [
        {
          text: T("None(null),并有一条警告", "None (null), with a warning"),
          holds: (o) => o.ok && o.value === null,
        },
        { text: T("tensor(1.)", "tensor(1.)"), holds: (o) => isTensor(o.value) && o.value.item() === 1 },
        { text: T("报错", "an error"), holds: (o) => !o.ok },
      ],
      answer: "a",
      explain: T(
        "`loss` 不是叶子张量,它的梯度不会保存(除非先调用 `loss.retain_grad()`),PyTorch 还会警告你可能访问错了张量(每个进程只警告一次)。",
        "`loss` is not a leaf, so its gradient is not kept (unless you call `loss.retain_grad()` first); PyTorch warns that you may be reading the wrong tensor (once per process here).",
      ),
    },
    {
      kind: "guess",
      id: "11",
      title: T("loss.requires_grad", "loss.requires_grad"),
      text: T("`loss` 的 `requires_grad` 属性应该是什么?", "What should `loss`'s `requires_grad` be?"),
      snippet: "loss.requires_grad",
      pytorch: "loss.requires_grad",
      hints: [T("它是由需要梯度的参数算出来的。", "It was computed from parameters that require gradients.")],
      choices: [
        { text: T("true", "true"), holds: (o) => o.value === true },
        { text: T("false", "false"), holds: (o) => o.value === false },
      ],
      answer: "a",
      explain: T(
        "只要有一个输入需要梯度,结果就需要梯度:这正是它有 `grad_fn` 的原因。",
        "If any input requires a gradient, so does the result: that is why it has a `grad_fn`.",
      ),
    },
    {
      kind: "guess",
      id: "12",
      title: T("labels.requires_grad", "labels.requires_grad"),
      text: T("`labels` 的 `requires_grad` 属性应该是什么?", "What should `labels`'s `requires_grad` be?"),
      snippet: "labels.requires_grad",
      pytorch: "labels.requires_grad",
      hints: [T("`labels` 是怎么创建的?", "How was `labels` created?")],
      choices: [
        { text: T("true", "true"), holds: (o) => o.value === true },
        { text: T("false", "false"), holds: (o) => o.value === false },
      ],
      answer: "b",
      explain: T(
        "`torch.rand` 创建的张量默认不需要梯度;我们不需要对标签求导。",
        "Tensors from `torch.rand` do not require gradients by default; nothing needs the derivative with respect to the labels.",
      ),
    },
    {
      kind: "guess",
      id: "13",
      title: T("再反向传播一次?", "Backward again?"),
      text: T("如果再执行一次反向传播,会发生什么?", "What happens if you run the backward pass again?"),
      snippet: "const g_before = w.grad.clone()\nloss.backward()",
      pytorch: "loss.backward()",
      hints: [
        T(
          "反向传播之后,计算图保存的中间结果会被释放。",
          "After a backward pass, the intermediate values the graph saved are freed.",
        ),
      ],
      choices: [
        {
          text: T("能运行,w.grad 翻倍", "it runs, and w.grad doubles"),
          holds: (o, ctx) => o.ok && same(tensor(ctx, "w")?.grad, tensor(ctx, "g_before")?.mul(2)),
        },
        { text: T("报错:计算图已经被释放", "an error: the graph was already freed"), holds: fails2nd },
        {
          text: T("能运行,什么都不变", "it runs, and nothing changes"),
          holds: (o, ctx) => o.ok && same(tensor(ctx, "w")?.grad, tensor(ctx, "g_before")),
        },
      ],
      answer: "b",
      explain: T(
        "第一次 `backward()` 后图里保存的张量就释放了。要对同一个图反向传播两次,第一次要写 `loss.backward({ retain_graph: true })`(PyTorch:`retain_graph=True`)。",
        "The first `backward()` freed the tensors the graph saved. To go back through the same graph twice, the first call needs `loss.backward({ retain_graph: true })` (PyTorch: `retain_graph=True`).",
      ),
    },
    {
      kind: "code",
      id: "14",
      title: T("SGD 走一步", "One SGD step"),
      text: T(
        "创建一个学习率 `lr=1e-2`、动量 `momentum=0.9` 的 SGD 优化器(命名为 `optimizer`),并执行一步。",
        "Create an SGD optimizer (call it `optimizer`) with learning rate `lr=1e-2` and `momentum=0.9`, and take one step.",
      ),
      hints: [
        T(
          "`optim.SGD(参数, { lr: …, momentum: … })`:关键字参数放进最后的对象里。",
          "`optim.SGD(params, { lr: …, momentum: … })`: keyword arguments go in a last object.",
        ),
        T(
          "const optimizer = optim.SGD(model.parameters(), { lr: 1e-2, momentum: 0.9 }); optimizer.step()",
          "const optimizer = optim.SGD(model.parameters(), { lr: 1e-2, momentum: 0.9 }); optimizer.step()",
        ),
      ],
      solution:
        "const optimizer = optim.SGD(model.parameters(), { lr: 1e-2, momentum: 0.9 })\noptimizer.step()",
      wrong: [
        "const optimizer = optim.SGD(model.parameters(), { lr: 1e-2, momentum: 0.9 })",
        "const optimizer = optim.SGD(model.parameters(), { lr: 1e-1, momentum: 0.9 }); optimizer.step()",
      ],
      pytorch: "optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)\noptimizer.step()",
      check(ctx) {
        const expected = ctx.L(
          "变量 optimizer:model 参数上的 SGD(lr=0.01, momentum=0.9),并已执行 step()",
          "a variable optimizer: SGD over the model's parameters (lr=0.01, momentum=0.9), stepped once",
        );
        const o = need<unknown>(ctx, "optimizer", expected);
        if (o.missing) return o.missing;
        const opt = o.value as {
          param_groups?: { lr: number; momentum: number; params: Tensor[] }[];
          state?: Map<Tensor, Record<string, unknown>>;
        };
        if (!(opt instanceof optim.SGD) || !opt.param_groups) return fail(expected, describe(opt, ctx));
        const g0 = opt.param_groups[0];
        const w = model(ctx)?.conv1.weight;
        if (Math.abs(g0.lr - 1e-2) > 1e-12 || Math.abs(g0.momentum - 0.9) > 1e-12) {
          return fail(expected, `SGD(lr=${g0.lr}, momentum=${g0.momentum})`);
        }
        if (!w || !opt.param_groups.some((g) => g.params.includes(w))) {
          return fail(
            expected,
            ctx.L("优化器里没有 model 的参数", "an optimizer without the model's parameters"),
          );
        }
        if (!opt.state?.get(w)?.momentum_buffer) {
          return fail(expected, ctx.L("还没有执行 optimizer.step()", "no optimizer.step() yet"));
        }
        return PASS;
      },
      explain: T(
        "`step()` 用 `.grad` 原地更新每个参数(带动量的 SGD:第一步 w ← w − lr × grad)。",
        "`step()` updates every parameter in place from its `.grad` (SGD with momentum: the first step is w ← w − lr × grad).",
      ),
    },
    {
      kind: "guess",
      id: "15",
      title: T("现在 w 变了吗?", "Did w change now?"),
      text: T(
        "`w` 应该改变吗?和练习 3 的输出(`w_saved`)比较。",
        "Should `w` have changed? Compare with exercise 3's output (`w_saved`).",
      ),
      snippet: "[torch.equal(w, w_saved), w === model.conv1.weight]",
      pytorch: "torch.equal(w, w_saved), w is model.conv1.weight",
      hints: [T("优化器改的是参数张量本身。", "The optimizer changes the parameter tensors themselves.")],
      choices: [
        {
          text: T("变了:原地更新,w 仍是同一个参数", "yes: updated in place, w is still the same parameter"),
          holds: (o) => o.ok && (o.value as unknown[])[0] === false,
        },
        { text: T("没变", "no"), holds: (o) => o.ok && (o.value as unknown[])[0] === true },
      ],
      answer: "a",
      explain: T(
        "`w` 和 `w_saved` 不再相等,而 `w` 仍然是 `model.conv1.weight`:优化器原地修改了参数。",
        "`w` no longer equals `w_saved`, and `w` is still `model.conv1.weight`: the optimizer changed the parameter in place.",
      ),
    },
    {
      kind: "guess",
      id: "16",
      title: T("loss 变了吗?", "Did loss change?"),
      text: T(
        "`loss` 应该改变吗?和练习 5 的输出(`loss_saved`)比较。",
        "Should `loss` have changed? Compare with exercise 5's output (`loss_saved`).",
      ),
      snippet: "[loss.item(), loss_saved]",
      pytorch: "loss.item(), loss_saved",
      hints: [T("有什么重新计算过损失吗?", "Did anything compute the loss again?")],
      choices: [
        {
          text: T("变了", "yes"),
          holds: (o) => o.ok && (o.value as number[])[0] !== (o.value as number[])[1],
        },
        {
          text: T("没变", "no"),
          holds: (o) => o.ok && (o.value as number[])[0] === (o.value as number[])[1],
        },
      ],
      answer: "b",
      explain: T(
        "`loss` 是当时算出来的一个数,权重变了它也不会自己重算;要新的损失得再做一次前向传播。",
        "`loss` is a value computed back then; it does not recompute itself when the weights change. A new loss needs a new forward pass.",
      ),
    },
    {
      kind: "code",
      id: "17",
      title: T("梯度清零", "Zero the gradients"),
      text: T("把所有可训练参数的梯度清零。", "Zero the gradients of all trainable parameters."),
      hints: [
        T("模型和优化器都有 `zero_grad()`。", "Both the model and the optimizer have `zero_grad()`."),
        T("optimizer.zero_grad()", "optimizer.zero_grad()"),
      ],
      solution: "optimizer.zero_grad()",
      wrong: ["w.grad = null"],
      pytorch: "optimizer.zero_grad()   # or model.zero_grad()",
      check(ctx) {
        const m = model(ctx);
        const expected = ctx.L(
          "model 的每个参数的 grad 都是 None 或全零",
          "every parameter of model with a None or all-zero grad",
        );
        if (!m) return fail(expected, ctx.L("没有 model", "no model"));
        const left = [...m.parameters()].filter((p) =>
          p.grad !== null && !(p.grad.eq(0).all().item() as boolean)
        );
        return left.length === 0 ? PASS : fail(
          expected,
          ctx.L(
            `还有 ${left.length} 个参数有非零梯度`,
            `${left.length} parameters still have non-zero gradients`,
          ),
        );
      },
      explain: T(
        "`optimizer.zero_grad()` 清掉它管理的参数的梯度,`model.zero_grad()` 清掉模型所有参数的梯度。梯度是累加的,所以每次反向传播前都要清零。",
        "`optimizer.zero_grad()` clears the gradients of the parameters it holds, `model.zero_grad()` those of every parameter of the model. Gradients accumulate, so they are cleared before each backward pass.",
      ),
    },
    {
      kind: "guess",
      id: "18",
      title: T("现在的 w.grad", "w.grad now"),
      text: T("`w` 的 `grad` 属性现在应该是什么?", "What should `w`'s `grad` attribute be now?"),
      snippet: "w.grad",
      pytorch: "w.grad",
      hints: [
        T(
          "PyTorch 2.0 改了 `zero_grad` 的默认参数 `set_to_none`。",
          "PyTorch 2.0 changed `zero_grad`'s default `set_to_none`.",
        ),
      ],
      choices: [
        {
          text: T("全零张量", "a tensor of zeros"),
          holds: (o) => isTensor(o.value) && (o.value.eq(0).all().item() as boolean),
        },
        { text: T("None(null)", "None (null)"), holds: (o) => o.ok && o.value === null },
      ],
      answer: "b",
      explain: T(
        "PyTorch 2.x 的 `zero_grad()` 默认 `set_to_none=True`:把 `.grad` 设为 None,而不是填零(更省内存)。⚠ 2.0 之前得到的是全零张量;要那种行为,写 `zero_grad({ set_to_none: false })`。",
        "In PyTorch 2.x `zero_grad()` defaults to `set_to_none=True`: `.grad` becomes None instead of zeros (it saves memory). ⚠ Before 2.0 it was a tensor of zeros; `zero_grad({ set_to_none: false })` does that.",
      ),
    },
    {
      kind: "guess",
      id: "19",
      title: T("能运行吗?(两个输入)", "Does it run? (two inputs)"),
      text: T(
        "不运行代码,判断下面的代码能否成功执行。(课程准备了 `const l = nn.CrossEntropyLoss()`。)",
        "Without running it: will the code below run? (The lesson set up `const l = nn.CrossEntropyLoss()`.)",
      ),
      setup: "const l = nn.CrossEntropyLoss()",
      snippet: `const x1 = torch.zeros(1, 3, 64, 64)
const x2 = torch.ones(1, 3, 64, 64)
const loss1 = l(model(x1), labels)
const loss2 = l(model(x2), labels)
loss1.backward()
loss2.backward()`,
      pytorch: `loss1 = l(model(torch.zeros(1, 3, 64, 64)), labels)
loss2 = l(model(torch.ones(1, 3, 64, 64)), labels)
loss1.backward()
loss2.backward()`,
      hints: [T("数一数有几次前向传播,就有几个计算图。", "Count the forward passes: each builds a graph.")],
      choices: [{ text: T("能运行", "it runs"), holds: runs }, {
        text: T("报错", "it fails"),
        holds: (o) => !o.ok,
      }],
      answer: "a",
      explain: T(
        "两次前向传播建了两个独立的图,各自反向传播一次,没有问题;两份梯度累加进 `.grad`。",
        "Two forward passes built two separate graphs; each is gone through once. Both gradients accumulate into `.grad`.",
      ),
    },
    {
      kind: "guess",
      id: "20",
      title: T("能运行吗?(同一个输入)", "Does it run? (the same input)"),
      text: T("判断下面的代码能否成功执行。", "Will the code below run?"),
      snippet: `const loss1 = l(model(data), labels)
const loss2 = l(model(data), labels)
loss1.backward()
loss2.backward()`,
      pytorch: `loss1 = l(model(data), labels)
loss2 = l(model(data), labels)
loss1.backward()
loss2.backward()`,
      hints: [T("输入相同,但前向传播做了几次?", "The input is the same, but how many forward passes?")],
      choices: [{ text: T("能运行", "it runs"), holds: runs }, {
        text: T("报错", "it fails"),
        holds: (o) => !o.ok,
      }],
      answer: "a",
      explain: T(
        "输入相同也没关系:两次前向传播仍然建了两个图。",
        "The same input does not matter: two forward passes still build two graphs.",
      ),
    },
    {
      kind: "guess",
      id: "21",
      title: T("能运行吗?(一次前向,两个损失)", "Does it run? (one forward, two losses)"),
      text: T("判断下面的代码能否成功执行。", "Will the code below run?"),
      snippet: TWO_GRAPHS("loss1.backward()", "loss2.backward()"),
      pytorch: `out = model(data)
loss1 = l(out, labels)
loss2 = l(out, labels)
loss1.backward()
loss2.backward()`,
      hints: [T("两个损失共用 `out` 之前的整个图。", "Both losses share the whole graph up to `out`.")],
      choices: [{ text: T("能运行", "it runs"), holds: runs }, {
        text: T("报错", "it fails"),
        holds: (o) => !o.ok,
      }],
      answer: "b",
      explain: T(
        "只有一次前向传播:两个损失共用模型部分的图。`loss1.backward()` 释放了它保存的张量,`loss2.backward()` 再走同一段图时就报错(和练习 13 同样的错误)。",
        "One forward pass: both losses share the model's part of the graph. `loss1.backward()` freed what it saved, so `loss2.backward()` fails walking it again (exercise 13's error).",
      ),
    },
    {
      kind: "guess",
      id: "22",
      title: T("修好它", "Fix it"),
      text: T(
        "只改一行 `.backward`,让练习 21 的代码能运行。改哪一行、怎么改?(课程会把每个选项都现场运行一遍。)",
        "Change one `.backward` line so that exercise 21's code runs. Which change works? (The lesson runs every choice live.)",
      ),
      hints: [T("第一次反向传播之后,图必须还在。", "The graph must survive the first backward pass.")],
      choices: [
        {
          text: T("`loss1.backward({ retain_graph: true })`", "`loss1.backward({ retain_graph: true })`"),
          snippet: TWO_GRAPHS("loss1.backward({ retain_graph: true })", "loss2.backward()"),
          holds: runs,
        },
        {
          text: T("`loss2.backward({ retain_graph: true })`", "`loss2.backward({ retain_graph: true })`"),
          snippet: TWO_GRAPHS("loss1.backward()", "loss2.backward({ retain_graph: true })"),
          holds: runs,
        },
        {
          text: T(
            "先 `loss2.backward()` 再 `loss1.backward()`",
            "`loss2.backward()` first, then `loss1.backward()`",
          ),
          snippet: TWO_GRAPHS("loss2.backward()", "loss1.backward()"),
          holds: runs,
        },
      ],
      answer: "a",
      pytorch: "loss1.backward(retain_graph=True)\nloss2.backward()",
      explain: T(
        "`retain_graph=True` 要加在第一次反向传播上,图才会留给第二次。",
        "`retain_graph=True` belongs on the first backward pass: that is what keeps the graph for the second.",
      ),
    },
    {
      kind: "guess",
      id: "23",
      title: T("输出是什么?(item)", "What does it print? (item)"),
      text: T(
        "下面的代码输出什么?(`Math.floor(b / a)` 就是 Python 的 `b // a`。)",
        "What does the code below print? (`Math.floor(b / a)` is Python's `b // a`.)",
      ),
      snippet: `model.zero_grad()
const loss = l(model(data), labels)
loss.backward({ retain_graph: true })
const g = model.conv1.weight.grad[0][0][0][0]
const a = g.item()
loss.backward()
const b = g.item()
model.zero_grad()
const c = g.item()
print(Math.floor(b / a), c)`,
      pytorch: `model.zero_grad()
loss = l(model(data), labels)
loss.backward(retain_graph=True)
g = model.conv1.weight.grad[0][0][0][0]
a = g.item()
loss.backward()
b = g.item()
model.zero_grad()
c = g.item()
print(b // a, c)`,
      hints: [
        T(
          "梯度是原地累加的,`g` 是 `.grad` 的一个视图。",
          "Gradients accumulate in place, and `g` is a view of `.grad`.",
        ),
        T("2.x 的 `zero_grad()` 做了什么?", "What does 2.x's `zero_grad()` do?"),
      ],
      choices: [
        {
          text: T(
            "`2` 和一个等于 b 的数:旧的梯度张量保留着它的值",
            "`2` and a number equal to b: the old gradient tensor keeps its values",
          ),
          holds: (o, ctx) =>
            o.ok && Math.floor((ctx.scope.b as number) / (ctx.scope.a as number)) === 2 &&
            ctx.scope.c === ctx.scope.b,
        },
        {
          text: T("`2` 和 `0`", "`2` and `0`"),
          holds: (o, ctx) =>
            o.ok && Math.floor((ctx.scope.b as number) / (ctx.scope.a as number)) === 2 && ctx.scope.c === 0,
        },
        {
          text: T("`1` 和 `0`", "`1` and `0`"),
          holds: (o, ctx) =>
            o.ok && Math.floor((ctx.scope.b as number) / (ctx.scope.a as number)) === 1 && ctx.scope.c === 0,
        },
        { text: T("报错", "an error"), holds: (o) => !o.ok },
      ],
      answer: "a",
      explain: T(
        "第二次 `backward` 把梯度原地加到 `.grad` 上,`g` 是它的视图,所以 b = 2a。⚠ PyTorch 2.x 的 `zero_grad()` 把 `.grad` 设为 None,旧张量不动,所以 c == b;2.0 之前是原地清零,c == 0(输出 `2.0 0.0`)。",
        "The second `backward` adds into `.grad` in place, and `g` is a view of it, so b = 2a. ⚠ PyTorch 2.x's `zero_grad()` sets `.grad` to None and leaves the old tensor alone, so c == b; before 2.0 it zeroed in place, c == 0 (printing `2.0 0.0`).",
      ),
    },
    {
      kind: "guess",
      id: "24",
      title: T("输出是什么?(张量)", "What does it print? (tensors)"),
      text: T(
        "同样的代码,但不用 `.item()`:每次都重新索引 `.grad`。输出什么?",
        "The same without `.item()`: index `.grad` afresh each time. What does it print?",
      ),
      snippet: `model.zero_grad()
const loss = l(model(data), labels)
loss.backward({ retain_graph: true })
const a = model.conv1.weight.grad[0][0][0][0]
loss.backward()
const b = model.conv1.weight.grad[0][0][0][0]
model.zero_grad()
const c = model.conv1.weight.grad[0][0][0][0]
print(b.div(a).floor(), c)`,
      pytorch: `model.zero_grad()
loss = l(model(data), labels)
loss.backward(retain_graph=True)
a = model.conv1.weight.grad[0][0][0][0]
loss.backward()
b = model.conv1.weight.grad[0][0][0][0]
model.zero_grad()
c = model.conv1.weight.grad[0][0][0][0]
print(b // a, c)`,
      hints: [
        T(
          "`zero_grad()` 之后 `.grad` 是什么?再对它做索引会怎样?",
          "What is `.grad` after `zero_grad()`, and what does indexing it do?",
        ),
      ],
      choices: [
        {
          text: T("`tensor(2.) tensor(0.)`", "`tensor(2.) tensor(0.)`"),
          holds: (o) => o.ok && /^tensor\(2\.\) tensor\(0\.\)/.test(o.output),
        },
        {
          text: T(
            "`tensor(nan) tensor(0.)`:三个都是同一块被清零的内存的视图",
            "`tensor(nan) tensor(0.)`: all three are views of the same zeroed memory",
          ),
          holds: (o) => o.ok && /^tensor\(nan\) tensor\(0\.\)/.test(o.output),
        },
        {
          text: T(
            "报错:`zero_grad()` 之后 `.grad` 是 None,不能索引",
            "an error: after `zero_grad()` `.grad` is None, which cannot be indexed",
          ),
          holds: (o) => !o.ok && o.error instanceof TypeError,
        },
        {
          text: T("`tensor(1.) tensor(1.)`", "`tensor(1.) tensor(1.)`"),
          holds: (o) => o.ok && /^tensor\(1\.\) tensor\(1\.\)/.test(o.output),
        },
      ],
      answer: "c",
      explain: T(
        "⚠ 2.x:`zero_grad()` 把 `.grad` 设为 None,`c = model.conv1.weight.grad[0][0][0][0]` 就失败了(Python 里是 TypeError: 'NoneType' object is not subscriptable;这里是读取 null 的属性)。2.0 之前 a、b、c 都是同一块内存的视图,被清零后打印 `tensor(nan) tensor(0.)`。",
        "⚠ 2.x: `zero_grad()` sets `.grad` to None, so `c = model.conv1.weight.grad[0][0][0][0]` fails (Python: TypeError: 'NoneType' object is not subscriptable; here: reading a property of null). Before 2.0, a, b and c were views of the same memory, zeroed, and it printed `tensor(nan) tensor(0.)`.",
      ),
    },
    {
      kind: "guess",
      id: "25",
      title: T("哪里错了?", "What is wrong?"),
      text: T(
        "下面这个手写的更新循环有什么问题?(一个小网络 `net` 已经做过反向传播。)",
        "What is wrong with this hand-written update loop? (A small `net` has been through a backward pass.)",
      ),
      setup: "const net = nn.Linear(4, 2)\nconst lr = 0.01\nnet(torch.rand(3, 4)).sum().backward()",
      snippet: `const before = net.weight.clone()
for (const p of net.parameters()) p.data.sub(p.grad.data.mul(lr))
torch.equal(net.weight, before)`,
      pytorch: `for p in net.parameters():
    p.data.sub(p.grad.data * lr)`,
      hints: [
        T(
          "带下划线和不带下划线的方法有什么区别?",
          "What is the difference between methods with and without an underscore?",
        ),
      ],
      choices: [
        {
          text: T(
            "`sub` 不是原地操作:结果被丢掉了,什么都没学到",
            "`sub` is not in place: the result is thrown away, nothing learns",
          ),
          holds: (o) => o.ok && o.value === true,
        },
        {
          text: T("应该用 `p.grad` 而不是 `p.grad.data`", "it should use `p.grad`, not `p.grad.data`"),
          holds: () => false,
        },
        { text: T("学习率必须是张量", "the learning rate must be a tensor"), holds: () => false },
        { text: T("没有问题", "nothing is wrong"), holds: (o) => o.ok && o.value === false },
      ],
      answer: "a",
      explain: T(
        "`torch.equal` 是 true:权重一点没变。`sub` 返回新张量,循环把它扔了。用原地的 `sub_`,或者在 `torch.no_grad` 里写 `p.sub_(p.grad.mul(lr))`。",
        "`torch.equal` is true: the weights did not move. `sub` returns a new tensor, which the loop drops. Use the in-place `sub_`, or `p.sub_(p.grad.mul(lr))` inside `torch.no_grad`.",
      ),
      demo: {
        code: `for (const p of net.parameters()) p.data.sub_(p.grad.data.mul(lr))
torch.equal(net.weight, before)`,
        text: T("改成 `sub_` 后权重就变了:", "With `sub_` the weights do change:"),
        fails: false,
      },
    },
    {
      kind: "answer",
      id: "26",
      title: T("训练步骤的顺序", "Order the training steps"),
      text: T(
        `把训练循环的这些步骤排成正确的顺序(有多种正确答案,教程里是一种典型写法):
  A) optimizer.step()
  B) optimizer.zero_grad()
  C) loss.backward()
  D) const output = net(input)
  E) const loss = criterion(output, target)
课程会在一个小网络上按你的顺序现场跑 3 次迭代,和标准循环的结果比较。`,
        `Put these steps of a training loop in the right order (several orders are correct; the tutorial shows a typical one):
  A) optimizer.step()
  B) optimizer.zero_grad()
  C) loss.backward()
  D) const output = net(input)
  E) const loss = criterion(output, target)
The lesson runs 3 iterations in your order live on a small network and compares with the usual loop.`,
      ),
      prompt: T("输入五个字母的顺序,例如 `A B C D E`。", "Type the five letters in order, e.g. `A B C D E`."),
      hints: [
        T(
          "没有 output 就算不了 loss;没有 loss 就不能 backward。",
          "No loss without an output; no backward without a loss.",
        ),
        T("梯度是累加的:清零要在 backward 之前。", "Gradients accumulate: clearing comes before backward."),
      ],
      answer: "B D E C A",
      wrong: ["D E A C B", "A B C D E", "D E C B A"],
      pytorch: `optimizer.zero_grad()
output = net(input)
loss = criterion(output, target)
loss.backward()
optimizer.step()`,
      check(answer, ctx) {
        const letters = answer.toUpperCase().replace(/[^A-E]/g, "").split("");
        const expected = ctx.L(
          "A–E 五个字母各一次,且按你的顺序训练的结果与标准循环一致",
          "each of A–E once, in an order that trains exactly as the usual loop",
        );
        if (letters.length !== 5 || new Set(letters).size !== 5) {
          return fail(
            expected,
            JSON.stringify(answer.trim()),
            ctx.L("五个字母,每个一次。", "Five letters, each once."),
          );
        }
        const train = (order: string[]) => {
          torch.manual_seed(0);
          const net = nn.Linear(3, 2);
          const optimizer = optim.SGD(net.parameters(), { lr: 0.1 });
          const criterion = nn.MSELoss();
          const input = torch.rand(4, 3);
          const target = torch.rand(4, 2);
          let output: Tensor | undefined;
          let loss: Tensor | undefined;
          const steps: Record<string, () => void> = {
            A: () => optimizer.step(),
            B: () => optimizer.zero_grad(),
            C: () => loss!.backward(),
            D: () => void (output = net(input)),
            E: () => void (loss = criterion(output!, target)),
          };
          for (let i = 0; i < 3; i++) {
            for (const s of order) {
              try {
                steps[s]();
              } catch (e) {
                throw new Error(`${s}: ${describe(e, ctx)}`);
              }
            }
          }
          return net.weight.detach().clone();
        };
        const want = train(["B", "D", "E", "C", "A"]);
        let got: Tensor;
        try {
          got = train(letters);
        } catch (e) {
          return fail(
            expected,
            ctx.L(
              `第一次迭代就出错:${(e as Error).message}`,
              `it fails in the first iteration: ${(e as Error).message}`,
            ),
          );
        }
        if (same(got, want, 1e-6)) return PASS;
        const diff = got.sub(want).abs().max().item() as number;
        return fail(
          expected,
          ctx.L(
            `能运行,但 3 次迭代后的权重和标准循环不同(最大差 ${
              diff.toPrecision(3)
            }):有一步的位置让更新用错了梯度`,
            `it runs, but after 3 iterations the weights differ from the usual loop's (by up to ${
              diff.toPrecision(3)
            }): a step in the wrong place makes updates use the wrong gradients`,
          ),
        );
      },
      explain: T(
        "典型顺序:zero_grad → 前向 → 损失 → backward → step。`zero_grad` 只要在 `backward` 之前就行(放在上一轮 step 之后也一样)。",
        "The typical order: zero_grad → forward → loss → backward → step. `zero_grad` may go anywhere before `backward` (after the previous step works the same).",
      ),
    },
    {
      kind: "guess",
      id: "26b",
      title: T("26 续:哪一步改变了权重?", "26, follow-up: which step changes the weights?"),
      text: T(
        "克隆 conv1 权重的一个元素,然后在 zero_grad、前向+损失、backward、step 之后,分别把当前元素和克隆比较。输出是什么?",
        "Clone one element of conv1's weight, then compare the live element with the clone after each of zero_grad, forward + loss, backward, step. What does it print?",
      ),
      snippet: `const before = model.conv1.weight[0][0][0][0].clone()
const unchanged = () => model.conv1.weight[0][0][0][0].eq(before).item()
optimizer.zero_grad()
const r1 = unchanged()
const output = model(data)
const loss = l(output, labels)
const r2 = unchanged()
loss.backward()
const r3 = unchanged()
optimizer.step()
const r4 = unchanged()
print(r1, r2, r3, r4)`,
      pytorch: `before = model.conv1.weight[0, 0, 0, 0].clone()
optimizer.zero_grad();  print(model.conv1.weight[0, 0, 0, 0] == before)
...`,
      hints: [T("哪一步会写参数?", "Which step writes the parameters?")],
      choices: [
        {
          text: T("True True True False", "True True True False"),
          holds: (o, ctx) =>
            o.ok &&
            [ctx.scope.r1, ctx.scope.r2, ctx.scope.r3, ctx.scope.r4].join() === "true,true,true,false",
        },
        {
          text: T("True True False False", "True True False False"),
          holds: (o, ctx) =>
            o.ok &&
            [ctx.scope.r1, ctx.scope.r2, ctx.scope.r3, ctx.scope.r4].join() === "true,true,false,false",
        },
        {
          text: T("True False False False", "True False False False"),
          holds: (o, ctx) =>
            o.ok &&
            [ctx.scope.r1, ctx.scope.r2, ctx.scope.r3, ctx.scope.r4].join() === "true,false,false,false",
        },
        {
          text: T("False False False False", "False False False False"),
          holds: (o, ctx) =>
            o.ok &&
            [ctx.scope.r1, ctx.scope.r2, ctx.scope.r3, ctx.scope.r4].join() === "false,false,false,false",
        },
      ],
      answer: "a",
      explain: T(
        "只有 `optimizer.step()` 改变权重;zero_grad、前向、损失、backward 都只读权重(backward 写的是 `.grad`)。",
        "Only `optimizer.step()` changes the weights; zero_grad, the forward pass, the loss and backward only read them (backward writes `.grad`).",
      ),
    },
    {
      kind: "code",
      id: "27",
      title: T("一个隐藏层的网络", "A one-hidden-layer network"),
      text: T(
        `实现一个有一个隐藏层的网络:输入 32×32 的灰度图,展平,经过输出 100 个特征的仿射变换(\`fc1\`),ReLU,再映射到 10 个类别(\`fc2\`)。用 \`nn.Linear\`、\`F.relu\`、\`torch.flatten\` 补全下面的代码(可以分多行输入,未完成时提示符是 \`...\`;也可以写进文件再 \`.load net.ts\`):
    class Net extends nn.Module {
      constructor() {
        super()
        // fc1, fc2
      }
      forward(x) {
        // flatten, fc1, relu, fc2
      }
    }`,
        `Implement a network with one hidden layer: a 32×32 grayscale image in, flatten it, an affine map to 100 features (\`fc1\`), ReLU, then map to the 10 classes (\`fc2\`). Complete the code with \`nn.Linear\`, \`F.relu\`, \`torch.flatten\` (type it over several lines: an unfinished input gets a \`...\` prompt; or write it in a file and \`.load net.ts\`):
    class Net extends nn.Module {
      constructor() {
        super()
        // fc1, fc2
      }
      forward(x) {
        // flatten, fc1, relu, fc2
      }
    }`,
      ),
      hints: [
        T(
          "32×32 展平后是 1024 个特征:`nn.Linear(1024, 100)`、`nn.Linear(100, 10)`。",
          "32×32 flattened is 1024 features: `nn.Linear(1024, 100)`, `nn.Linear(100, 10)`.",
        ),
        T(
          "forward:`x = torch.flatten(x, 1)`(保留批维度),`return this.fc2(F.relu(this.fc1(x)))`。",
          "forward: `x = torch.flatten(x, 1)` (keeping the batch dimension), `return this.fc2(F.relu(this.fc1(x)))`.",
        ),
      ],
      solution: `class Net extends nn.Module {
  constructor() {
    super()
    this.fc1 = nn.Linear(1024, 100)
    this.fc2 = nn.Linear(100, 10)
  }
  forward(x) {
    x = torch.flatten(x, 1)
    x = F.relu(this.fc1(x))
    return this.fc2(x)
  }
}`,
      wrong: [
        "class Net extends nn.Module { fc1 = nn.Linear(1024, 100); fc2 = nn.Linear(100, 10); forward(x) { return this.fc2(this.fc1(torch.flatten(x, 1))) } }",
        "class Net extends nn.Module { fc1 = nn.Linear(1024, 10); forward(x) { return this.fc1(torch.flatten(x, 1)) } }",
      ],
      pytorch: `class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(1024, 100)
        self.fc2 = nn.Linear(100, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)`,
      check(ctx) {
        const expected = ctx.L(
          "类 Net:fc1 = Linear(1024, 100),fc2 = Linear(100, 10),forward = fc2(relu(fc1(flatten(x, 1))))",
          "a class Net: fc1 = Linear(1024, 100), fc2 = Linear(100, 10), forward = fc2(relu(fc1(flatten(x, 1))))",
        );
        const net = instantiate(ctx, expected);
        if (isVerdict(net)) return net;
        const bad = layer(net, "fc1", nn.Linear, { in_features: 1024, out_features: 100 }, ctx) ??
          layer(net, "fc2", nn.Linear, { in_features: 100, out_features: 10 }, ctx);
        if (bad) return fail(expected, bad);
        const x = torch.rand(1, 1, 32, 32);
        const y = forward(net, x, expected, ctx);
        if (isVerdict(y)) return y;
        const L = net as unknown as Record<string, (t: Tensor) => Tensor>;
        const want = torch.no_grad(() => L.fc2(F.relu(L.fc1(torch.flatten(x, 1)))));
        if (!same(y, want, 1e-4)) {
          return fail(
            expected,
            ctx.L(
              `net(x) → ${describe(y, ctx)},和 fc2(relu(fc1(flatten(x)))) 不一致`,
              `net(x) → ${describe(y, ctx)}, not fc2(relu(fc1(flatten(x))))`,
            ),
          );
        }
        return PASS;
      },
      explain: T(
        "赋值给 `this` 的层会自动注册为子模块(参数也一起注册)。这里的类字段写法也可以:`fc1 = nn.Linear(1024, 100)`。",
        "Layers assigned to `this` are registered as submodules (with their parameters). Class fields work too: `fc1 = nn.Linear(1024, 100)`.",
      ),
    },
    {
      kind: "code",
      id: "28",
      title: T("两行前向传播", "A forward pass in two lines"),
      text: T(
        "用两行代码验证你能通过上面的网络做前向传播:创建 `net`,再喂给它一张随机的 1×1×32×32 图像。",
        "In two lines, check that you can run a forward pass through the network above: make `net`, then feed it a random 1×1×32×32 image.",
      ),
      hints: [
        T("JavaScript 的类要用 `new`:`new Net()`。", "A JavaScript class needs `new`: `new Net()`."),
        T(
          "const net = new Net(); net(torch.rand(1, 1, 32, 32))",
          "const net = new Net(); net(torch.rand(1, 1, 32, 32))",
        ),
      ],
      solution: "const net = new Net()\nnet(torch.rand(1, 1, 32, 32))",
      wrong: ["const net = new Net()"],
      pytorch: "net = Net()\nnet(torch.rand(1, 1, 32, 32))",
      check(ctx) {
        const expected = ctx.L(
          "变量 net = new Net(),以及 net(x) 的输出,形状 (1, 10)",
          "a variable net = new Net(), and the output of net(x): shape (1, 10)",
        );
        const net = need<unknown>(ctx, "net", expected);
        if (net.missing) return net.missing;
        if (
          typeof ctx.scope.Net !== "function" || !(net.value instanceof (ctx.scope.Net as new () => unknown))
        ) {
          return fail(expected, describe(net.value, ctx));
        }
        const y = findProduced(ctx, (v) => isTensor(v) && hasShape(v, [1, 10]));
        return y ? PASS : fail(expected, gotText(ctx));
      },
      explain: T(
        "每张图输出 10 个得分。PyTorch 写 `Net()`;JavaScript 的类必须用 `new`(内置层两种写法都行)。",
        "Ten scores per image. PyTorch writes `Net()`; a JavaScript class needs `new` (built-in layers work either way).",
      ),
    },
    {
      kind: "guess",
      id: "29",
      title: T("有几个参数张量?", "How many parameter tensors?"),
      text: T(
        "不运行代码,猜猜 `len(list(net.parameters()))` 的结果。",
        "Without running it, guess what `len(list(net.parameters()))` gives.",
      ),
      snippet: "len(list(net.parameters()))",
      pytorch: "len(list(net.parameters()))",
      hints: [T("每个 Linear 层有 weight 和 bias。", "Every Linear layer has a weight and a bias.")],
      choices: [
        { text: T("2", "2"), holds: (o) => o.value === 2 },
        { text: T("4", "4"), holds: (o) => o.value === 4 },
        { text: T("103510", "103510"), holds: (o) => o.value === 103510 },
      ],
      answer: "b",
      explain: T(
        "两个层,各有 weight 和 bias:4 个张量(参数的总个数是 1024×100 + 100 + 100×10 + 10 = 103510)。",
        "Two layers, each with a weight and a bias: 4 tensors (the number of values is 1024×100 + 100 + 100×10 + 10 = 103510).",
      ),
    },
    {
      kind: "code",
      id: "30",
      title: T("参数的名字", "The parameters' names"),
      text: T("获取网络参数的名称。", "Get the names of the network's parameters."),
      hints: [
        T(
          "`named_parameters()` 给出 [名字, 参数] 对。",
          "`named_parameters()` yields [name, parameter] pairs.",
        ),
        T(
          "list(net.named_parameters()).map(([name]) => name)",
          "list(net.named_parameters()).map(([name]) => name)",
        ),
      ],
      solution: "list(net.named_parameters()).map(([name]) => name)",
      wrong: ["list(net.parameters())", '["fc1", "fc2"]'],
      pytorch: "[name for name, _ in net.named_parameters()]",
      check(ctx) {
        const net = ctx.scope.net as { named_parameters?: () => Iterable<[string, unknown]> } | undefined;
        const expected = ctx.L(
          "net 的参数名(例如一个名字数组,或打印出来)",
          "the names of net's parameters (an array of names, say, or printed)",
        );
        if (!net?.named_parameters) {
          return fail(expected, ctx.L("没有网络 net(练习 28)", "no network net (exercise 28)"));
        }
        const names = [...net.named_parameters()].map(([n]) => n);
        for (const v of ctx.history) {
          let items: unknown[] | null = null;
          if (Array.isArray(v)) items = v;
          else if (v && typeof v === "object" && typeof (v as Iterator<unknown>).next === "function") {
            items = [...(v as Iterable<unknown>)];
          }
          if (items) {
            const got = items.map((x) => (Array.isArray(x) ? x[0] : x));
            if (JSON.stringify(got) === JSON.stringify(names)) return PASS;
          } else if (v && typeof v === "object" && JSON.stringify(Object.keys(v)) === JSON.stringify(names)) {
            return PASS;
          }
        }
        if (names.every((n) => ctx.printed.includes(n))) return PASS;
        return fail(expected, gotText(ctx));
      },
      explain: (ctx) => {
        const net = ctx.scope.net as { named_parameters?: () => Iterable<[string, unknown]> } | undefined;
        const names = net?.named_parameters ? [...net.named_parameters()].map(([n]) => n).join(", ") : "";
        return T(
          `${names}:名字来自属性名(\`fc1\`)加参数名(\`weight\`、\`bias\`),和 \`state_dict()\` 的键一样。`,
          `${names}: the attribute name (\`fc1\`) plus the parameter's (\`weight\`, \`bias\`), the same keys as \`state_dict()\`.`,
        );
      },
    },
    {
      kind: "guess",
      id: "31",
      title: T("第 1 号参数", "Parameter number 1"),
      text: T(
        "`list(net.parameters())[1]` 指的是哪一层的什么?它的大小是多少?",
        "Which layer's what is `list(net.parameters())[1]`, and what is its size?",
      ),
      snippet: "const p1 = list(net.parameters())[1]\np1.shape",
      pytorch: "list(net.parameters())[1].size()",
      hints: [T("顺序和 named_parameters() 一样。", "The order is named_parameters()'s.")],
      choices: [
        {
          text: T("fc1.weight,(100, 1024)", "fc1.weight, (100, 1024)"),
          holds: (_o, ctx) =>
            ctx.scope.p1 === (ctx.scope.net as Record<string, Record<string, unknown>>).fc1.weight,
        },
        {
          text: T("fc1.bias,torch.Size([100])", "fc1.bias, torch.Size([100])"),
          holds: (_o, ctx) =>
            ctx.scope.p1 === (ctx.scope.net as Record<string, Record<string, unknown>>).fc1.bias,
        },
        {
          text: T("fc2.weight,(10, 100)", "fc2.weight, (10, 100)"),
          holds: (_o, ctx) =>
            ctx.scope.p1 === (ctx.scope.net as Record<string, Record<string, unknown>>).fc2.weight,
        },
        {
          text: T("fc2.bias,(10,)", "fc2.bias, (10,)"),
          holds: (_o, ctx) =>
            ctx.scope.p1 === (ctx.scope.net as Record<string, Record<string, unknown>>).fc2.bias,
        },
      ],
      answer: "b",
      explain: T(
        "顺序是 fc1.weight、fc1.bias、fc2.weight、fc2.bias,所以下标 1 是 `fc1.bias`,`torch.Size([100])`。",
        "The order is fc1.weight, fc1.bias, fc2.weight, fc2.bias, so index 1 is `fc1.bias`, `torch.Size([100])`.",
      ),
    },
    {
      kind: "code",
      id: "32",
      title: T("LeNet", "LeNet"),
      text: T(
        `下面的示意图包含实现网络所需的全部信息:
${SCHEMATIC}
用 \`nn.Conv2d\`、\`nn.Linear\`、\`F.max_pool2d\`、\`F.relu\`、\`torch.flatten\` 实现 \`class Net\` 的初始化和前向传播(层名用 conv1、conv2、fc1、fc2、fc3)。提示:ReLU 用在下采样之后,以及前两个全连接层之后。`,
        `This schematic holds everything needed to implement the network:
${SCHEMATIC}
Implement \`class Net\`'s layers and forward pass with \`nn.Conv2d\`, \`nn.Linear\`, \`F.max_pool2d\`, \`F.relu\`, \`torch.flatten\` (layer names conv1, conv2, fc1, fc2, fc3). Hint: ReLU comes after each subsampling and after the first two fully connected layers.`,
      ),
      hints: [
        T(
          "`nn.Conv2d(1, 6, 5)`、`nn.Conv2d(6, 16, 5)`;展平后是 16 × 5 × 5 = 400 个特征。",
          "`nn.Conv2d(1, 6, 5)`, `nn.Conv2d(6, 16, 5)`; flattened it is 16 × 5 × 5 = 400 features.",
        ),
        T(
          "forward 的第一行:`x = F.relu(F.max_pool2d(this.conv1(x), 2))`。",
          "forward's first line: `x = F.relu(F.max_pool2d(this.conv1(x), 2))`.",
        ),
      ],
      solution: LENET,
      wrong: [
        LENET.replace("x = F.relu(this.fc2(x))", "x = this.fc2(x)"),
        LENET.replace("nn.Linear(120, 84)", "nn.Linear(120, 64)").replace(
          "nn.Linear(84, 10)",
          "nn.Linear(64, 10)",
        ),
      ],
      pytorch: `class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)`,
      check: (ctx) => checkLeNet(ctx, 6, false),
      explain: T(
        "32 → 卷积 5×5 → 28 → 池化 → 14 → 卷积 5×5 → 10 → 池化 → 5:所以 fc1 的输入是 16 × 5 × 5 = 400。",
        "32 → conv 5×5 → 28 → pool → 14 → conv 5×5 → 10 → pool → 5: so fc1 takes 16 × 5 × 5 = 400 inputs.",
      ),
    },
    {
      kind: "code",
      id: "33",
      title: T("用 nn.MaxPool2d", "With nn.MaxPool2d"),
      text: T(
        "修改上面的 `Net`,用 `nn.MaxPool2d` 层代替 `F.max_pool2d`。",
        "Change the `Net` above to use an `nn.MaxPool2d` layer instead of `F.max_pool2d`.",
      ),
      hints: [
        T(
          "在构造函数里加一层 `this.pool = nn.MaxPool2d(2, 2)`,两次下采样都用它。",
          "Add `this.pool = nn.MaxPool2d(2, 2)` in the constructor, and use it for both subsamplings.",
        ),
        T("`x = F.relu(this.pool(this.conv1(x)))`", "`x = F.relu(this.pool(this.conv1(x)))`"),
      ],
      solution: LENET_POOL(6),
      wrong: [LENET],
      pytorch: `self.pool = nn.MaxPool2d(2, 2)
...
x = F.relu(self.pool(self.conv1(x)))
x = F.relu(self.pool(self.conv2(x)))`,
      check: (ctx) => checkLeNet(ctx, 6, true),
      explain: T(
        "池化层没有参数,一个 `nn.MaxPool2d` 实例可以用两次;它会出现在 `print(net)` 的结构里。",
        "A pooling layer has no parameters, so one `nn.MaxPool2d` instance serves twice; it shows in `print(net)`'s structure.",
      ),
    },
    {
      kind: "code",
      id: "34",
      title: T("把网络加宽", "A wider network"),
      text: T(
        "把第一个卷积层的输出通道数从 6 增加到 12,让网络更宽。你还需要改什么?改好 `Net`。",
        "Widen the network: raise the first convolution's output channels from 6 to 12. What else must change? Update `Net`.",
      ),
      hints: [
        T(
          "下一层的输入通道数要和上一层的输出通道数一致。",
          "A layer's input channels must match the previous layer's output channels.",
        ),
        T(
          "`nn.Conv2d(1, 12, 5)` 和 `nn.Conv2d(12, 16, 5)`;其他不变。",
          "`nn.Conv2d(1, 12, 5)` and `nn.Conv2d(12, 16, 5)`; nothing else.",
        ),
      ],
      solution: LENET_POOL(12),
      wrong: [LENET_POOL(12).replace("nn.Conv2d(12, 16, 5)", "nn.Conv2d(6, 16, 5)")],
      pytorch: "self.conv1 = nn.Conv2d(1, 12, 5)\nself.conv2 = nn.Conv2d(12, 16, 5)",
      check: (ctx) => checkLeNet(ctx, 12, true),
      explain: T(
        "只要把 conv2 的输入通道也改成 12;池化不改变通道数,fc1 的输入仍是 16 × 5 × 5。",
        "Only conv2's input channels must become 12 as well; pooling keeps the channels, and fc1 still takes 16 × 5 × 5.",
      ),
      demo: {
        code: `const half = new Net()
half.conv2 = nn.Conv2d(6, 16, 5)   // forgetting conv2
half(torch.rand(1, 1, 32, 32))`,
        text: T("忘了改 conv2 会怎样:", "What forgetting conv2 does:"),
        fails: true,
      },
    },
  ],
  outro: T(
    "前向、损失、反向、优化器、梯度累加、计算图的生命周期,以及用 nn.Module 搭网络:都练过了。下一课:在 CIFAR-10 上训练一个分类器。",
    "Forward, loss, backward, optimizers, gradient accumulation, the graph's lifetime, and building networks with nn.Module: done. Next: training a classifier on CIFAR-10.",
  ),
};
