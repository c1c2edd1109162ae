/**
 * Lesson 3, training a classifier on CIFAR-10: the seed's 3 exercises and
 * the training run (the tutorial's LeNet, the learner's number of epochs,
 * a live progress bar, a loss curve and per-class test accuracy).
 * @module
 */
import { T } from "../i18n.ts";
import { describe, fail, hasShape, isTensor, need, PASS, same } from "../judge.ts";
import {
  type Accuracy,
  chooseDevice,
  dataArg,
  evaluate,
  placeModel,
  prepareCifar,
  report,
  train,
  type TrainRun,
} from "../train.ts";
import type { Ctx, Lesson, Verdict } from "../types.ts";
import { len, type Tensor, torch } from "../../mod.ts";

const CLASSES = `["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]`;

/** The tutorial's LeNet, its loss and optimizer (exported for the tests, which train it on every device). */
export const NET = `class Net extends nn.Module {
  constructor() {
    super()
    this.conv1 = nn.Conv2d(3, 6, 5)
    this.pool = nn.MaxPool2d(2, 2)
    this.conv2 = nn.Conv2d(6, 16, 5)
    this.fc1 = nn.Linear(16 * 5 * 5, 120)
    this.fc2 = nn.Linear(120, 84)
    this.fc3 = nn.Linear(84, 10)
  }
  forward(x) {
    x = this.pool(F.relu(this.conv1(x)))
    x = this.pool(F.relu(this.conv2(x)))
    x = torch.flatten(x, 1)
    x = F.relu(this.fc1(x))
    x = F.relu(this.fc2(x))
    return this.fc3(x)
  }
}
const net = new Net()
const criterion = nn.CrossEntropyLoss()
const optimizer = optim.SGD(net.parameters(), { lr: 0.001, momentum: 0.9 })`;

const BUGGY_LOOP = `for (let epoch = 0; epoch < 2; epoch++) {
  let running_loss = 0
  let i = 0
  for await (const [inputs, labels] of trainloader) {
    const outputs = net(inputs)
    const loss = criterion(outputs, labels)
    loss.backward()
    optimizer.step()
    running_loss = loss.add(running_loss)   // PyTorch: running_loss += loss
    if (++i % 2000 === 0) {
      print(\`[\${epoch + 1}, \${i}] loss: \${running_loss.item() / 2000}\`)
      running_loss = 0
    }
  }
}`;

const FIXED_LOOP = `for (let epoch = 0; epoch < epochs; epoch++) {
  let running_loss = 0
  let i = 0
  for await (const [inputs, labels] of trainloader) {
    optimizer.zero_grad()
    const outputs = net(inputs)
    const loss = criterion(outputs, labels)
    loss.backward()
    optimizer.step()
    running_loss += loss.item()
    if (++i % 2000 === 0) {
      print(\`[\${epoch + 1}, \${i}] loss: \${(running_loss / 2000).toFixed(3)}\`)
      running_loss = 0
    }
  }
}`;

const loading = (trainSplit: boolean, shuffle: boolean) =>
  `const trainset = CIFAR10(root, { train: ${trainSplit}, download: true, transform })
const trainloader = DataLoader(trainset, { batch_size, shuffle: ${shuffle} })
const testset = CIFAR10(root, { train: ${!trainSplit}, download: true, transform })
const testloader = DataLoader(testset, { batch_size, shuffle: false })`;

/** The tutorial's numbers, for the explanation. */
const TUTORIAL_ACCURACY = 54;

export const lesson3: Lesson = {
  n: 3,
  title: T("训练分类器(CIFAR-10)", "Training a classifier (CIFAR-10)"),
  intro: T(
    `最后一部分是 CIFAR-10 教程(https://pytorch.org/tutorials/beginner/blitz/cifar10_tutorial.html):用 torchvision 加载并归一化 CIFAR-10 的训练集和测试集,定义一个卷积神经网络和损失函数,在训练数据上训练网络,再在测试数据上测试。
CIFAR-10 有 10 类 32×32 的彩色图像:训练集 50,000 张,测试集 10,000 张。`,
    `The last part is the CIFAR-10 tutorial (https://pytorch.org/tutorials/beginner/blitz/cifar10_tutorial.html): load and normalize CIFAR-10's training and test sets with torchvision, define a convolutional network and a loss function, train the network on the training data, and test it on the test data.
CIFAR-10 holds 32×32 colour images of 10 classes: 50,000 for training, 10,000 for testing.`,
  ),
  async starter(ctx) {
    const kind = await prepareCifar(ctx);
    ctx.stash.fake = kind === "fake";
    const head = `const { transforms } = torchvision
const { DataLoader } = torch.utils.data
const root = ${JSON.stringify(dataArg(ctx))}
const classes = ${CLASSES}
torch.manual_seed(0)`;
    if (kind === "real") {
      return { code: `${head}\nconst CIFAR10 = torchvision.datasets.CIFAR10` };
    }
    return {
      code: `${head}
// no CIFAR-10 here: FakeData stands in, with CIFAR-10's sizes (random images and labels)
const CIFAR10 = (root, { train = true, transform } = {}) =>
  Object.assign(torchvision.datasets.FakeData({
    size: train ? 50000 : 10000, image_size: [3, 32, 32], num_classes: 10, transform,
    random_offset: train ? 0 : 50000,
  }), { train })`,
      note: T(
        "没有真实的 CIFAR-10,用 FakeData 代替:图像和标签都是随机的,网络学不到东西(准确率约 10%)。有数据后 `.reset` 重来,或用 `deno task lesson 3 --data 路径`。",
        "No real CIFAR-10: FakeData stands in. Its images and labels are random, so the network cannot learn (about 10% accuracy). With the data, `.reset`, or start with `deno task lesson 3 --data PATH`.",
      ),
    };
  },
  exercises: [
    {
      kind: "code",
      id: "1",
      title: T("加载代码里的错误", "Bugs in the loading code"),
      text: T(
        "下面的数据集加载代码(已经运行)能跑,但有错误。错在哪里?有什么后果?怎么修复?重新定义 `trainset`、`trainloader`、`testset`、`testloader` 来修复它。(可以先用 `len(trainset)` 看看。)",
        "The loading code below (already run) runs, but it has bugs. What are they, what do they cause, how do you fix them? Fix it by defining `trainset`, `trainloader`, `testset` and `testloader` again. (`len(trainset)` is a good start.)",
      ),
      setup: `const transform = transforms.Compose([
  transforms.ToTensor(),
  transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
])
const batch_size = 4
${loading(false, false)}`,
      hints: [
        T("`train: true` 是训练集(50,000 张)。", "`train: true` is the training split (50,000 images)."),
        T(
          "训练时每个 epoch 的批次顺序应该打乱:`shuffle: true`。loader 也要重新创建,它记着旧的数据集。",
          "Training batches should come in a new order each epoch: `shuffle: true`. Make the loaders again too: they hold the old datasets.",
        ),
      ],
      solution: loading(true, true),
      wrong: [loading(true, false), loading(false, true)],
      pytorch:
        `trainset = torchvision.datasets.CIFAR10(root='./data', train=True, download=True, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=batch_size, shuffle=True)
testset = torchvision.datasets.CIFAR10(root='./data', train=False, download=True, transform=transform)
testloader = torch.utils.data.DataLoader(testset, batch_size=batch_size, shuffle=False)`,
      check: checkLoading,
      explain: (ctx) => {
        const n = (name: string) => {
          try {
            return String(len(ctx.scope[name]));
          } catch {
            return "?";
          }
        };
        return T(
          `两处错误:训练集和测试集弄反了(原来在 10,000 张测试图像上训练,却在 50,000 张训练图像上"测试",测试结果也就不可信了);训练 loader 不打乱(每个 epoch 批次顺序都一样,SGD 学得更差)。现在 trainset 有 ${
            n("trainset")
          } 张,testset 有 ${n("testset")} 张。测试集不需要打乱。`,
          `Two bugs: the splits were swapped (training on the 10,000 test images and "testing" on the 50,000 training images, so the test says nothing), and the training loader did not shuffle (the same batch order every epoch hurts SGD). Now trainset has ${
            n("trainset")
          } images and testset ${n("testset")}. The test set needs no shuffling.`,
        );
      },
    },
    {
      kind: "code",
      id: "2",
      title: T("取一批随机的训练图像", "A batch of random training images"),
      text: T(
        "写两行代码,从数据加载器中取出随机的训练图像:`images` 和 `labels`。",
        "Write two lines that get random training images from the data loader: `images` and `labels`.",
      ),
      hints: [
        T(
          "`iter(trainloader)` 得到迭代器,`next(…)` 取出一批。",
          "`iter(trainloader)` gives an iterator, `next(…)` one batch.",
        ),
        T(
          "const dataiter = iter(trainloader); const [images, labels] = next(dataiter)",
          "const dataiter = iter(trainloader); const [images, labels] = next(dataiter)",
        ),
      ],
      solution: "const dataiter = iter(trainloader)\nconst [images, labels] = next(dataiter)",
      wrong: ["const images = torch.rand(4, 3, 32, 32)"],
      pytorch: "dataiter = iter(trainloader)\nimages, labels = next(dataiter)",
      check(ctx) {
        const expected = ctx.L(
          "images:(4, 3, 32, 32) 的 float32 张量;labels:4 个类别下标",
          "images: a float32 tensor (4, 3, 32, 32); labels: 4 class indices",
        );
        const im = need<unknown>(ctx, "images", expected);
        if (im.missing) return im.missing;
        if (!hasShape(im.value, [4, 3, 32, 32])) return fail(expected, `images: ${describe(im.value, ctx)}`);
        const lb = need<unknown>(ctx, "labels", expected);
        if (lb.missing) return lb.missing;
        if (!hasShape(lb.value, [4]) || lb.value.dtype !== torch.int64) {
          return fail(expected, `labels: ${describe(lb.value, ctx)}`);
        }
        return PASS;
      },
      explain: T(
        "一批 4 张图(batch_size = 4),每张 3×32×32;`Normalize` 把像素变到了 [-1, 1]。`shuffle: true` 让每次取到的都是随机的一批。",
        "A batch of 4 images (batch_size = 4), each 3×32×32; `Normalize` mapped the pixels to [-1, 1]. `shuffle: true` makes every batch a random one.",
      ),
      demo: {
        code: `imshow(torchvision.utils.make_grid(images).div(2).add(0.5))
print(list(labels.tolist()).map((i) => classes[i]).join("  "))`,
        text: T("把这一批图像还原到 [0, 1] 显示出来:", "the batch, mapped back to [0, 1] and shown:"),
        fails: false,
      },
    },
    {
      kind: "guess",
      id: "3",
      title: T("训练代码里的错误", "Bugs in the training code"),
      text: T(
        `下面的训练代码能运行,但有错误(包括计算效率低下)吗?后果是什么?(课程已定义 \`Net\`、\`net\`、\`criterion\`、\`optimizer\`,见上。)
${BUGGY_LOOP.replace(/^/gm, "    ")}
课程会现场演示:同一批数据连续两次 backward 而中间不清零,以及把 loss 张量加进 running_loss。`,
        `Does the training code below, which runs, have bugs (inefficiency included)? What do they cause? (The lesson defined \`Net\`, \`net\`, \`criterion\`, \`optimizer\` above.)
${BUGGY_LOOP.replace(/^/gm, "    ")}
The lesson demonstrates live: two backward passes on one batch with nothing cleared between them, and adding the loss tensor into running_loss.`,
      ),
      setup: NET,
      snippet: `const [inputs, labels] = next(iter(trainloader))
net.zero_grad()
criterion(net(inputs), labels).backward()
const g1 = net.fc3.bias.grad.clone()
criterion(net(inputs), labels).backward()   // the loop's next backward: nothing cleared before it
const g2 = net.fc3.bias.grad.clone()
let running_loss = 0
running_loss = criterion(net(inputs), labels).add(running_loss)
print("g2 / g1:", g2.div(g1).mean().item())
print("running_loss:", running_loss)`,
      snippetAfter: true,
      multi: true,
      hints: [
        T(
          "看看循环里少了哪一步(和第 2 课练习 26 比较)。",
          "Which step is missing from the loop (compare lesson 2, exercise 26)?",
        ),
        T(
          "running_loss 里存的是什么类型的值?它还连着什么?",
          "What kind of value does running_loss hold, and what is it still attached to?",
        ),
      ],
      choices: [
        {
          text: T(
            "缺少 `optimizer.zero_grad()`:每次 backward 都加在旧梯度上",
            "`optimizer.zero_grad()` is missing: each backward adds to the old gradients",
          ),
          holds: (o, ctx) => o.ok && same(ctx.scope.g2, (ctx.scope.g1 as Tensor).mul(2), 1e-4),
        },
        {
          text: T(
            "`running_loss` 累加的是 loss 张量:它让每一步的计算图都活着(占内存、变慢);应该用 `loss.item()`",
            "`running_loss` adds the loss tensor: it keeps every step's graph alive (memory, time); use `loss.item()`",
          ),
          holds: (o, ctx) =>
            o.ok && isTensor(ctx.scope.running_loss) && (ctx.scope.running_loss as Tensor).grad_fn !== null,
        },
        {
          text: T(
            "学习率 0.001 太小,SGD 学不到东西",
            "the learning rate 0.001 is too small for SGD to learn anything",
          ),
          holds: () => false,
        },
        {
          text: T(
            "`loss.backward()` 应该放在 `optimizer.step()` 之后",
            "`loss.backward()` should come after `optimizer.step()`",
          ),
          holds: () => false,
        },
      ],
      answer: "a b",
      pytorch: `for epoch in range(2):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, labels = data
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss
        if i % 2000 == 1999:
            print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 2000:.3f}')
            running_loss = 0.0`,
      explain: T(
        "g2 正好是 g1 的两倍:不清零,梯度就一直累加,每一步的更新都是错的。running_loss 带着 `grad_fn`:每一步的计算图都被它拉住,内存越用越多、越来越慢。修复:每步先 `optimizer.zero_grad()`,用 `running_loss += loss.item()`;评估时放在 `torch.no_grad()` 里。",
        "g2 is exactly twice g1: without clearing, gradients keep accumulating and every update is wrong. running_loss carries a `grad_fn`: it holds on to every step's graph, so memory grows and steps slow down. The fix: `optimizer.zero_grad()` at each step and `running_loss += loss.item()`; evaluate inside `torch.no_grad()`.",
      ),
    },
    {
      kind: "answer",
      id: "4",
      title: T("训练!", "Train it!"),
      text: T(
        `用修好的循环训练教程里的网络(SGD,lr 0.001,momentum 0.9,batch 4),然后按类别报告测试准确率。课程用你的 \`net\`、\`criterion\`、\`optimizer\` 和 loader 运行这段代码,并显示进度条和损失曲线:
${FIXED_LOOP.replace(/^/gm, "    ")}
一个 epoch 是 12,500 步;PyTorch 的教程训练 2 个 epoch,准确率约 54%。Ctrl-C 可以提前停止(已学到的权重保留,照样评估)。`,
        `Train the tutorial's network with the fixed loop (SGD, lr 0.001, momentum 0.9, batch 4), then report test accuracy per class. The lesson runs this code on your \`net\`, \`criterion\`, \`optimizer\` and loaders, with a progress bar and a loss curve:
${FIXED_LOOP.replace(/^/gm, "    ")}
One epoch is 12,500 steps; PyTorch's tutorial trains 2 epochs and reaches about 54%. Ctrl-C stops early (the weights learned so far stay, and it still evaluates).`,
      ),
      setup: `torch.manual_seed(0)
const net = new Net()
const criterion = nn.CrossEntropyLoss()
const optimizer = optim.SGD(net.parameters(), { lr: 0.001, momentum: 0.9 })`,
      prompt: T(
        "训练几个 epoch?(教程:2;想先快速看看可以输入 0.1)",
        "How many epochs? (the tutorial: 2; 0.1 for a quick look)",
      ),
      hints: [
        T(
          "输入一个数,比如 2。小数表示只训练一部分(0.5 = 半个 epoch)。",
          "Type a number, such as 2. A fraction trains part of an epoch (0.5 = half).",
        ),
      ],
      answer: "2",
      wrong: ["0", "abc"],
      check: trainAndTest,
      explain: (ctx) => {
        const acc = ctx.stash.accuracy as number | undefined;
        const fake = ctx.stash.fake === true;
        const a = acc === undefined ? "?" : acc.toFixed(1);
        if (fake) {
          return T(
            `准确率 ${a}%:FakeData 的标签是随机的,10 类里瞎猜就是 10% 左右。用真实的 CIFAR-10 再来一次(\`.reset\`),能看到网络真正在学。`,
            `Accuracy ${a}%: FakeData's labels are random, and guessing among 10 classes gives about 10%. Run it again on the real CIFAR-10 (\`.reset\`) to see the network learn.`,
          );
        }
        return T(
          `准确率 ${a}%(PyTorch 教程 2 个 epoch 约 ${TUTORIAL_ACCURACY}%;随机猜是 10%)。训练好的网络还在 \`net\` 里:试试 \`net(images).max(1)\`。`,
          `Accuracy ${a}% (PyTorch's tutorial: about ${TUTORIAL_ACCURACY}% after 2 epochs; chance is 10%). The trained network is still in \`net\`: try \`net(images).max(1)\`.`,
        );
      },
    },
  ],
  outro: T(
    "恭喜!你已经能读懂并写出完整的 PyTorch 训练流程了:张量、自动求导、网络、数据加载、训练和评估。接下来可以看官方的快速入门(保存和加载模型、数据集与数据加载器),或者在 `deno task repl` 里自由练习。",
    "Congratulations: you can read and write a whole PyTorch training pipeline: tensors, autograd, networks, data loading, training and evaluation. Next, PyTorch's quickstart (saving and loading models, datasets and loaders), or free practice in `deno task repl`.",
  ),
};

/** Exercise 1: the splits the right way round, the training loader shuffling, the loaders over the new sets. */
function checkLoading(ctx: Ctx): Verdict {
  const expected = ctx.L(
    "trainset:train=true(50,000 张);trainloader 加载 trainset 并打乱;testset:train=false(10,000 张);testloader 加载 testset",
    "trainset with train=true (50,000 images); trainloader over trainset, shuffled; testset with train=false (10,000 images); testloader over testset",
  );
  const get = (n: string) => ctx.scope[n] as Record<string, unknown> | undefined;
  const [ts, tl, te, tel] = ["trainset", "trainloader", "testset", "testloader"].map(get);
  const size = (d: unknown) => {
    try {
      return len(d);
    } catch {
      return "?";
    }
  };
  if (!ts || !te || !tl || !tel) {
    const missing = ["trainset", "trainloader", "testset", "testloader"].filter((n) => !get(n));
    return fail(expected, ctx.L(`缺少 ${missing.join(", ")}`, `missing ${missing.join(", ")}`));
  }
  const { RandomSampler } = torch.utils.data;
  if (ts.train !== true) {
    return fail(
      expected,
      ctx.L(
        `trainset 的 train=${ts.train}(${size(ts)} 张)`,
        `trainset has train=${ts.train} (${size(ts)} images)`,
      ),
    );
  }
  if (te.train !== false) {
    return fail(
      expected,
      ctx.L(
        `testset 的 train=${te.train}(${size(te)} 张)`,
        `testset has train=${te.train} (${size(te)} images)`,
      ),
    );
  }
  if (tl.dataset !== ts) {
    return fail(
      expected,
      ctx.L("trainloader 加载的不是新的 trainset", "trainloader does not load the new trainset"),
      ctx.L("重新创建 trainloader。", "Make trainloader again."),
    );
  }
  if (!(tl.sampler instanceof RandomSampler)) {
    return fail(expected, ctx.L("trainloader 不打乱顺序", "trainloader does not shuffle"));
  }
  if (tel.dataset !== te) {
    return fail(
      expected,
      ctx.L("testloader 加载的不是新的 testset", "testloader does not load the new testset"),
      ctx.L("重新创建 testloader。", "Make testloader again."),
    );
  }
  return PASS;
}

async function trainAndTest(answer: string, ctx: Ctx): Promise<Verdict> {
  const epochs = Number(answer.trim());
  const expected = ctx.L("一个正数(epoch 数,最多 20)", "a positive number of epochs (at most 20)");
  if (!Number.isFinite(epochs) || epochs <= 0 || epochs > 20) {
    return fail(expected, JSON.stringify(answer.trim()));
  }
  for (const name of ["net", "criterion", "optimizer", "trainloader", "testset"]) {
    if (!(name in ctx.scope)) {
      return fail(ctx.L(`变量 ${name}`, `a variable ${name}`), ctx.L("缺少它", "it is missing"));
    }
  }
  const check = ctx.options.mode === "check";
  const fake = ctx.stash.fake === true;
  const steps = check ? ctx.options.trainSteps : undefined;
  const device = await chooseDevice(ctx);
  if (check) {
    ctx.io.note(
      `[check] ${device === "cpu" ? "" : `on ${device}: `}${steps} batches of ${
        fake ? "FakeData" : "CIFAR-10"
      }, not ${epochs} epochs; tested on 400 images`,
    );
  } else if (device !== "cpu") {
    ctx.io.note(
      ctx.L(
        `在 webgpu:0 上训练(${torch.webgpu.get_device_name()}):课程把 \`net\` 移过去(\`net.to("webgpu")\`),每批数据也一样(\`inputs.to("webgpu")\`),损失用 \`await loss.item_async()\` 读回。`,
        `Training on webgpu:0 (${torch.webgpu.get_device_name()}): the lesson moves \`net\` there (\`net.to("webgpu")\`), and each batch too (\`inputs.to("webgpu")\`), and reads the loss back with \`await loss.item_async()\`.`,
      ),
    );
  }
  let run: TrainRun;
  let acc: Accuracy;
  try {
    if (device !== "cpu") await placeModel(ctx, device);
    run = await train(ctx, epochs, steps, device);
    if (run.error) return fail(ctx.L("训练完成", "training to finish"), run.error);
    acc = await evaluate(ctx, check ? 400 : undefined, device);
  } finally {
    // back on the cpu, where the learner's images are: `net(images)` keeps working
    if (device !== "cpu") {
      await placeModel(ctx, "cpu");
      if (!check) ctx.io.note(ctx.L("`net` 已移回 cpu。", "`net` is back on the cpu."));
    }
  }
  ctx.io.text(report(ctx, run, acc).join("\n"));
  ctx.stash.accuracy = acc.total ? (100 * acc.correct) / acc.total : 0;
  const finite = run.losses.every(Number.isFinite);
  if (!finite) {
    return fail(ctx.L("有限的损失", "finite losses"), ctx.L("损失出现了 NaN/Inf", "NaN or Inf losses"));
  }
  if (acc.total === 0) {
    return fail(
      ctx.L("评估至少一张图", "at least one test image evaluated"),
      ctx.L("没有评估任何图像", "none"),
    );
  }
  return PASS;
}
