/**
 * Lesson 1, tensors: the seed's 12 exercises (`../shared/EXERCISES.md`).
 * @module
 */
import { T } from "../i18n.ts";
import {
  describe,
  fail,
  findProduced,
  gotText,
  hasShape,
  isTensor,
  need,
  PASS,
  same,
  shapeText,
} from "../judge.ts";
import type { Ctx, Lesson, Verdict } from "../types.ts";
import { device, dtype, Tensor, torch } from "../../mod.ts";

/** The learner's tensor `name` of shape `shape`, or a verdict. */
function tensorVar(ctx: Ctx, name: string, shape: number[], what: string): Tensor | Verdict {
  const v = need<unknown>(ctx, name, what);
  if (v.missing) return v.missing;
  if (!isTensor(v.value)) return fail(what, describe(v.value, ctx));
  if (!hasShape(v.value, shape)) {
    return fail(
      what,
      describe(v.value, ctx),
      ctx.L(`${name} 的形状应为 ${shapeText(shape)}。`, `${name} should have shape ${shapeText(shape)}.`),
    );
  }
  return v.value;
}

/** Whether `x` is a verdict rather than a tensor. */
function isVerdict(x: unknown): x is Verdict {
  return typeof x === "object" && x !== null && "ok" in x && !(x instanceof Tensor);
}

/** A produced tensor equal to `want` (computed from the learner's own variables). */
function producedEqual(ctx: Ctx, want: Tensor, expected: string, exclude: unknown[] = []): Verdict {
  const t = findProduced(ctx, (v) => isTensor(v) && !exclude.includes(v) && same(v, want));
  if (t) return PASS;
  const shown = findProduced(ctx, isTensor);
  if (shown && exclude.includes(shown)) {
    return fail(
      expected,
      describe(shown, ctx),
      ctx.L("这是原来的张量本身,而不是新的结果。", "That is the original tensor itself, not a new result."),
    );
  }
  return fail(expected, gotText(ctx));
}

export const lesson1: Lesson = {
  n: 1,
  title: T("张量", "Tensors"),
  intro: T(
    `张量是一种特殊的数据结构,和数组、矩阵很像。PyTorch 用张量表示模型的输入、输出和参数。它和 NumPy 的 ndarray 相似,只是还能在 GPU 等硬件上运行。
先想一想,再动手,最后对照答案:这样学得最好。(官方张量教程:https://pytorch.org/tutorials/beginner/basics/tensorqs_tutorial.html)`,
    `Tensors are a specialised data structure, very like arrays and matrices. PyTorch encodes a model's inputs, outputs and parameters as tensors. They are like NumPy's ndarrays, except that they can run on GPUs and other hardware.
Think first, try, then compare with the answer: that is how this sticks. (The official tensor tutorial: https://pytorch.org/tutorials/beginner/basics/tensorqs_tutorial.html)`,
  ),
  exercises: [
    {
      kind: "code",
      id: "1",
      title: T("把列表变成张量", "A list into a tensor"),
      text: T(
        "把二维列表 `[[5, 3], [0, 9]]` 转换为一个张量。",
        "Turn the 2-D list `[[5, 3], [0, 9]]` into a tensor.",
      ),
      hints: [
        T(
          "`torch.tensor(data)` 从(嵌套的)列表创建张量。",
          "`torch.tensor(data)` builds a tensor from (nested) lists.",
        ),
        T("torch.tensor([[5, 3], [0, 9]])", "torch.tensor([[5, 3], [0, 9]])"),
      ],
      solution: "torch.tensor([[5, 3], [0, 9]])",
      wrong: ["torch.tensor([5, 3, 0, 9])", "torch.tensor([[5, 3], [0, 9]], { dtype: torch.float32 })"],
      pytorch: "torch.tensor([[5, 3], [0, 9]])",
      check(ctx) {
        const expected = ctx.L(
          "一个 int64 张量,值为 [[5, 3], [0, 9]]",
          "an int64 tensor holding [[5, 3], [0, 9]]",
        );
        const t = findProduced(ctx, (v) => isTensor(v) && JSON.stringify(v.tolist()) === "[[5,3],[0,9]]") as
          | Tensor
          | undefined;
        if (!t) return fail(expected, gotText(ctx));
        if (t.dtype !== torch.int64) {
          return fail(
            expected,
            describe(t, ctx),
            ctx.L(
              "数据全是整数时 PyTorch 给出 int64,不用指定 dtype。",
              "All-integer data gives int64 in PyTorch: no dtype needed.",
            ),
          );
        }
        return PASS;
      },
      explain: T(
        "`torch.tensor` 复制数据。数据全是整数,所以 dtype 是 int64(就像 Python 的 int)。JavaScript 里 `5.0 === 5`,要浮点数请写 `{ dtype: torch.float32 }`。",
        "`torch.tensor` copies the data. All the values are integers, so the dtype is int64 (as Python ints give). In JavaScript `5.0 === 5`: write `{ dtype: torch.float32 }` when you want floats.",
      ),
    },
    {
      kind: "code",
      id: "2",
      title: T("均匀分布的随机张量", "Uniform random numbers"),
      text: T(
        "创建形状为 (5, 4) 的张量 `t`,元素是区间 [0, 1) 上均匀分布的随机数。",
        "Create a tensor `t` of shape (5, 4) holding random numbers uniformly distributed on [0, 1).",
      ),
      hints: [
        T(
          "`torch.rand` 在 [0, 1) 上均匀采样;`torch.randn` 是正态分布。",
          "`torch.rand` samples uniformly on [0, 1); `torch.randn` is the normal distribution.",
        ),
        T("const t = torch.rand(5, 4)", "const t = torch.rand(5, 4)"),
      ],
      solution: "const t = torch.rand(5, 4)",
      wrong: ["const t = torch.randn(5, 4)", "const t = torch.ones(5, 4)", "const t = torch.rand(4, 5)"],
      pytorch: "t = torch.rand(5, 4)",
      check(ctx) {
        const expected = ctx.L(
          "变量 t:形状 (5, 4)、float32、[0, 1) 上的随机数",
          "a variable t: shape (5, 4), float32, random numbers in [0, 1)",
        );
        const t = tensorVar(ctx, "t", [5, 4], expected);
        if (isVerdict(t)) return t;
        if (t.dtype !== torch.float32) return fail(expected, describe(t, ctx));
        const vals = t.flatten().tolist() as number[];
        const lo = Math.min(...vals);
        const hi = Math.max(...vals);
        if (lo < 0 || hi >= 1) {
          return fail(
            expected,
            ctx.L(
              `取值范围 [${lo.toFixed(3)}, ${hi.toFixed(3)}]`,
              `values from ${lo.toFixed(3)} to ${hi.toFixed(3)}`,
            ),
          );
        }
        if (new Set(vals).size < 10) {
          return fail(expected, ctx.L("这些值不像随机数", "values that do not look random"));
        }
        return PASS;
      },
      explain: T(
        "`torch.rand(5, 4)` 和 `torch.rand([5, 4])` 都可以(PyTorch 里是 `torch.rand(5, 4)` 或 `torch.rand((5, 4))`)。设了 `torch.manual_seed(0)` 后,这里给出的数字和 PyTorch 完全相同。",
        "`torch.rand(5, 4)` and `torch.rand([5, 4])` both work (PyTorch: `torch.rand(5, 4)` or `torch.rand((5, 4))`). After `torch.manual_seed(0)` the numbers are exactly PyTorch's.",
      ),
    },
    {
      kind: "code",
      id: "3",
      title: T("设备和数据类型", "Device and dtype"),
      text: T(
        "找出张量 `t` 所在的设备及其数据类型。",
        "Find the device tensor `t` lives on, and its data type.",
      ),
      hints: [
        T("张量有 `.device` 和 `.dtype` 两个属性。", "Tensors have a `.device` and a `.dtype` attribute."),
        T("可以分两次输入,也可以一次:`[t.device, t.dtype]`", "Two inputs, or one: `[t.device, t.dtype]`"),
      ],
      solution: "[t.device, t.dtype]",
      wrong: ["t.shape"],
      pytorch: "t.device, t.dtype",
      check(ctx) {
        const t = ctx.scope.t;
        const expected = ctx.L("看过 t.device 和 t.dtype", "t.device and t.dtype, looked at");
        if (!isTensor(t)) {
          return fail(expected, ctx.L("没有张量 t(先做练习 2)", "no tensor t (exercise 2 makes it)"));
        }
        const seen = ctx.history.flatMap((v) => (Array.isArray(v) ? v : [v]));
        const dev = seen.some((v) => v instanceof device && String(v) === String(t.device));
        const dt = seen.some((v) => v instanceof dtype && v === t.dtype);
        if (dev && dt) return PASS;
        const shown = [dev ? "device ✓" : "device ✗", dt ? "dtype ✓" : "dtype ✗"].join(", ");
        return fail(expected, `${shown} (${ctx.L("最近一次", "last")}: ${describe(ctx.value, ctx)})`);
      },
      explain: T(
        "`device(type='cpu')`:张量默认在 CPU 上(这里由 TensorFlow.js 的 wasm 内核计算)。`torch.float32` 是浮点数的默认类型。",
        "`device(type='cpu')`: tensors live on the CPU by default (here TensorFlow.js's wasm kernels compute). `torch.float32` is the default floating dtype.",
      ),
    },
    {
      kind: "code",
      id: "4",
      title: T("连接成 (8, 4)", "Join into (8, 4)"),
      text: T(
        "创建两个形状为 (4, 4) 的随机张量 `u` 和 `v`,再把它们连接成形状为 (8, 4) 的张量。",
        "Create two random tensors `u` and `v` of shape (4, 4), then join them into a tensor of shape (8, 4).",
      ),
      hints: [
        T(
          "`torch.cat` 沿已有的维度连接;第 0 维是行。",
          "`torch.cat` joins along an existing dimension; dimension 0 is the rows.",
        ),
        T(
          "const u = torch.rand(4, 4); const v = torch.rand(4, 4); torch.cat([u, v], 0)",
          "const u = torch.rand(4, 4); const v = torch.rand(4, 4); torch.cat([u, v], 0)",
        ),
      ],
      solution: "const u = torch.rand(4, 4)\nconst v = torch.rand(4, 4)\ntorch.cat([u, v], 0)",
      wrong: ["const u = torch.rand(4, 4); const v = torch.rand(4, 4); torch.cat([u, v], 1)"],
      pytorch: "u = torch.rand(4, 4)\nv = torch.rand(4, 4)\ntorch.cat((u, v), 0)",
      check(ctx) {
        const expected = ctx.L(
          "u 和 v 沿第 0 维连接,形状 (8, 4)",
          "u and v joined along dimension 0: shape (8, 4)",
        );
        const u = tensorVar(ctx, "u", [4, 4], expected);
        if (isVerdict(u)) return u;
        const v = tensorVar(ctx, "v", [4, 4], expected);
        if (isVerdict(v)) return v;
        return producedEqual(ctx, torch.cat([u, v], 0), expected);
      },
      explain: T(
        "`torch.cat([u, v], 0)`(也叫 `torch.concat`)沿第 0 维拼接:4 + 4 = 8 行。PyTorch 写元组 `(u, v)`,这里写数组。",
        "`torch.cat([u, v], 0)` (also `torch.concat`) joins along dimension 0: 4 + 4 = 8 rows. PyTorch takes a tuple `(u, v)`; here an array.",
      ),
    },
    {
      kind: "code",
      id: "5",
      title: T("堆叠成 (2, 4, 4)", "Stack into (2, 4, 4)"),
      text: T(
        "连接 `u` 和 `v`,得到形状为 (2, 4, 4) 的张量。",
        "Join `u` and `v` into a tensor of shape (2, 4, 4).",
      ),
      hints: [
        T(
          "`cat` 不会增加维度;`torch.stack` 会新建一个维度。",
          "`cat` adds no dimension; `torch.stack` makes a new one.",
        ),
        T("torch.stack([u, v], 0)", "torch.stack([u, v], 0)"),
      ],
      solution: "torch.stack([u, v], 0)",
      wrong: ["torch.cat([u, v], 0)", "torch.stack([u, v], 1)"],
      pytorch: "torch.stack((u, v), 0)",
      check(ctx) {
        const expected = ctx.L(
          "torch.stack 得到的 (2, 4, 4) 张量:[0] 是 u,[1] 是 v",
          "a (2, 4, 4) tensor from torch.stack: [0] is u, [1] is v",
        );
        const u = tensorVar(ctx, "u", [4, 4], expected);
        if (isVerdict(u)) return u;
        const v = tensorVar(ctx, "v", [4, 4], expected);
        if (isVerdict(v)) return v;
        return producedEqual(ctx, torch.stack([u, v], 0), expected);
      },
      explain: T(
        "`torch.stack` 在指定位置插入一个新维度,再沿它连接:两个 (4, 4) 变成 (2, 4, 4)。",
        "`torch.stack` inserts a new dimension at the given place and joins along it: two (4, 4) become (2, 4, 4).",
      ),
    },
    {
      kind: "code",
      id: "6",
      title: T("堆叠成 (4, 4, 2)", "Stack into (4, 4, 2)"),
      text: T(
        "连接 `u` 和 `v`,得到形状为 (4, 4, 2) 的张量,命名为 `w`。",
        "Join `u` and `v` into a tensor `w` of shape (4, 4, 2).",
      ),
      hints: [
        T("新维度要放在最后:第 2 维。", "The new dimension goes last: dimension 2."),
        T("const w = torch.stack([u, v], 2)", "const w = torch.stack([u, v], 2)"),
      ],
      solution: "const w = torch.stack([u, v], 2)",
      wrong: ["const w = torch.stack([u, v], 0)", "const w = torch.stack([v, u], 2)"],
      pytorch: "w = torch.stack((u, v), 2)",
      check(ctx) {
        const expected = ctx.L(
          "变量 w,形状 (4, 4, 2),w[..., 0] 是 u、w[..., 1] 是 v",
          "a variable w of shape (4, 4, 2) with w[..., 0] equal to u and w[..., 1] to v",
        );
        const u = tensorVar(ctx, "u", [4, 4], expected);
        if (isVerdict(u)) return u;
        const v = tensorVar(ctx, "v", [4, 4], expected);
        if (isVerdict(v)) return v;
        const w = tensorVar(ctx, "w", [4, 4, 2], expected);
        if (isVerdict(w)) return w;
        if (same(w.index("...", 0), u) && same(w.index("...", 1), v)) return PASS;
        return fail(
          expected,
          ctx.L("w 的最后一维不是 [u, v] 的顺序", "w's last dimension does not hold u then v"),
        );
      },
      explain: T(
        '`torch.stack([u, v], 2)`:新维度在最后,所以 `w[..., 0]` 就是 `u`(这里写作 `w.index("...", 0)` 或 `w["..., 0"]`)。',
        '`torch.stack([u, v], 2)`: the new dimension is last, so `w[..., 0]` is `u` (written `w.index("...", 0)` or `w["..., 0"]` here).',
      ),
    },
    {
      kind: "code",
      id: "7",
      title: T("取一个元素", "Index one element"),
      text: T(
        "索引 `w` 中位于 3, 3, 0 的元素,命名为 `e`。",
        "Index `w` at 3, 3, 0 and call that element `e`.",
      ),
      hints: [
        T(
          "PyTorch 的 `w[3, 3, 0]` 在这里写作 `w.index(3, 3, 0)`(或 `w[3][3][0]`)。",
          "PyTorch's `w[3, 3, 0]` is `w.index(3, 3, 0)` here (or `w[3][3][0]`).",
        ),
        T("const e = w.index(3, 3, 0)", "const e = w.index(3, 3, 0)"),
      ],
      solution: "const e = w.index(3, 3, 0)",
      wrong: ["const e = w.index(3, 3)", "const e = w.index(3, 3, 1)"],
      pytorch: "e = w[3, 3, 0]",
      check(ctx) {
        const expected = ctx.L(
          "变量 e:0 维张量,等于 w[3, 3, 0]",
          "a variable e: a 0-d tensor equal to w[3, 3, 0]",
        );
        const w = ctx.scope.w;
        if (!isTensor(w)) return fail(expected, ctx.L("没有张量 w(练习 6)", "no tensor w (exercise 6)"));
        const e = need<unknown>(ctx, "e", expected);
        if (e.missing) return e.missing;
        if (!isTensor(e.value) || e.value.dim() !== 0) return fail(expected, describe(e.value, ctx));
        return same(e.value, w.index(3, 3, 0)) ? PASS : fail(expected, describe(e.value, ctx));
      },
      explain: T(
        "整数索引把每一维都选掉,剩下一个 0 维张量(不是 JavaScript 数字;要数字用 `e.item()`)。",
        "Integer indices select every dimension away, leaving a 0-d tensor (not a JavaScript number; `e.item()` gives that).",
      ),
    },
    {
      kind: "guess",
      id: "8",
      title: T("e 来自 u 还是 v?", "Is e from u or v?"),
      text: T(
        "`e` 的值在 `u` 和 `v` 中的哪一个里?先猜,再看验证。",
        "Which one holds `e`'s value: `u` or `v`? Guess, then see it verified.",
      ),
      snippet: "[e.eq(u.index(3, 3)), e.eq(v.index(3, 3))]",
      pytorch: "e == u[3, 3], e == v[3, 3]",
      hints: [
        T(
          "stack 的第 2 维:下标 0 来自列表里的第一个张量。",
          "Stacking on dimension 2: index 0 of it comes from the first tensor of the list.",
        ),
      ],
      choices: [
        { text: T("u", "u"), holds: (o) => o.ok && ((o.value as Tensor[])[0].item() as boolean) },
        { text: T("v", "v"), holds: (o) => o.ok && ((o.value as Tensor[])[1].item() as boolean) },
      ],
      answer: "a",
      explain: T(
        "`w = stack([u, v], 2)`,最后一维的下标 0 是 `u`:`w[3, 3, 0] == u[3, 3]` → `tensor(True)`。",
        "`w = stack([u, v], 2)`: index 0 of the last dimension is `u`, so `w[3, 3, 0] == u[3, 3]` → `tensor(True)`.",
      ),
    },
    {
      kind: "code",
      id: "9",
      title: T("逐元素平方", "Square elementwise"),
      text: T(
        "创建形状为 (4, 3)、全为 1 的张量 `a`,再对 `a` 做逐元素的自乘。",
        "Create a tensor `a` of ones with shape (4, 3), then multiply `a` by itself elementwise.",
      ),
      hints: [
        T(
          "`torch.ones(4, 3)`;PyTorch 的 `a * a` 在这里是 `a.mul(a)`。",
          "`torch.ones(4, 3)`; PyTorch's `a * a` is `a.mul(a)` here.",
        ),
        T("const a = torch.ones(4, 3); a.mul(a)", "const a = torch.ones(4, 3); a.mul(a)"),
      ],
      solution: "const a = torch.ones(4, 3)\na.mul(a)",
      wrong: ["const a = torch.ones(4, 3); a", "const a = torch.ones(4, 3); a.matmul(a.T)"],
      pytorch: "a = torch.ones(4, 3)\na * a",
      check(ctx) {
        const expected = ctx.L(
          "a = 全 1 的 (4, 3),以及 a 逐元素乘 a 的结果",
          "a = ones of shape (4, 3), and the elementwise product a * a",
        );
        const a = tensorVar(ctx, "a", [4, 3], expected);
        if (isVerdict(a)) return a;
        if (!same(a, torch.ones(4, 3))) return fail(expected, describe(a, ctx));
        return producedEqual(ctx, a.mul(a), expected, [a]);
      },
      explain: T(
        "JavaScript 没有运算符重载,所以 `a * a` 写成 `a.mul(a)`(或 `torch.mul(a, a)`、`a.pow(2)`)。1 × 1 还是 1。",
        "JavaScript has no operator overloading, so `a * a` is `a.mul(a)` (or `torch.mul(a, a)`, `a.pow(2)`). 1 × 1 is still 1.",
      ),
      demo: {
        code: "const b = torch.ones(2)\nb.add(1)\nprint(b)\nb.add_(1)\nprint(b)",
        text: T(
          "`add` 返回新张量,`add_`(下划线)原地修改:",
          "`add` returns a new tensor; `add_` (underscore) changes it in place:",
        ),
        fails: false,
      },
    },
    {
      kind: "code",
      id: "10",
      title: T("增加一个维度", "Add a dimension"),
      text: T("给 `a` 添加一个新的第 0 维。", "Add a new leading dimension (dimension 0) to `a`."),
      hints: [
        T(
          "`unsqueeze(dim)` 在 dim 处插入大小为 1 的维度。",
          "`unsqueeze(dim)` inserts a dimension of size 1 at dim.",
        ),
        T("a.unsqueeze(0)", "a.unsqueeze(0)"),
      ],
      solution: "a.unsqueeze(0)",
      wrong: ["a.unsqueeze(1)", "a.unsqueeze(2)"],
      pytorch: "a.unsqueeze(0)   # or a[None]",
      check(ctx) {
        const expected = ctx.L("形状为 (1, 4, 3) 的张量", "a tensor of shape (1, 4, 3)");
        const a = tensorVar(ctx, "a", [4, 3], expected);
        if (isVerdict(a)) return a;
        return producedEqual(ctx, a.unsqueeze(0), expected);
      },
      explain: T(
        "`a.unsqueeze(0)` 得到 (1, 4, 3) 的视图(和 `a` 共享内存)。PyTorch 的 `a[None]` 这里写作 `a.index(null)`。",
        "`a.unsqueeze(0)` gives a (1, 4, 3) view (sharing `a`'s memory). PyTorch's `a[None]` is `a.index(null)` here.",
      ),
    },
    {
      kind: "code",
      id: "11",
      title: T("矩阵乘以转置", "Times its transpose"),
      text: T("计算 `a` 与其转置的矩阵乘法。", "Compute the matrix product of `a` and its transpose."),
      hints: [
        T(
          "PyTorch 的 `a @ b` 在这里是 `a.matmul(b)`;转置是 `a.T`。",
          "PyTorch's `a @ b` is `a.matmul(b)` here; the transpose is `a.T`.",
        ),
        T("a.matmul(a.T)", "a.matmul(a.T)"),
      ],
      solution: "a.matmul(a.T)",
      wrong: ["a.mul(a)", "a.T.matmul(a)"],
      pytorch: "a @ a.T",
      check(ctx) {
        const expected = ctx.L("a @ a.T:形状 (4, 4)", "a @ a.T: shape (4, 4)");
        const a = tensorVar(ctx, "a", [4, 3], expected);
        if (isVerdict(a)) return a;
        return producedEqual(ctx, a.matmul(a.T), expected);
      },
      explain: T(
        "(4, 3) 乘 (3, 4) 得 (4, 4),每个元素是 3 个 1×1 之和:全是 3。",
        "(4, 3) times (3, 4) gives (4, 4); each entry sums three 1×1 products: all 3.",
      ),
    },
    {
      kind: "guess",
      id: "12",
      title: T("a.mul(a) 是什么?", "What is a.mul(a)?"),
      text: T("`a.mul(a)` 会得到什么?", "What does `a.mul(a)` give?"),
      snippet: "a.mul(a)",
      pytorch: "a.mul(a)",
      hints: [T("`mul` 就是 `*`。", "`mul` is `*`.")],
      choices: [
        {
          text: T("逐元素乘积:形状 (4, 3) 的全 1 张量", "the elementwise product: ones of shape (4, 3)"),
          holds: (o, ctx) =>
            o.ok && isTensor(ctx.scope.a) &&
            same(o.value, (ctx.scope.a as Tensor).mul(ctx.scope.a as Tensor)) && hasShape(o.value, [4, 3]),
        },
        {
          text: T("矩阵乘积:形状 (4, 4)", "the matrix product: shape (4, 4)"),
          holds: (o) => o.ok && hasShape(o.value, [4, 4]),
        },
        { text: T("报错:形状不匹配", "an error: the shapes do not match"), holds: (o) => !o.ok },
      ],
      answer: "a",
      explain: T(
        "`mul` 是逐元素乘法(PyTorch 的 `*`),和练习 9 一样;矩阵乘法是 `matmul`(`@`)。",
        "`mul` multiplies elementwise (PyTorch's `*`), as in exercise 9; the matrix product is `matmul` (`@`).",
      ),
      demo: {
        code: "a.mul(a.T)",
        text: T(
          "`a.mul(a.T)` 也是逐元素乘法,而 (4, 3) 和 (3, 4) 无法广播:",
          "`a.mul(a.T)` is elementwise too, and (4, 3) and (3, 4) do not broadcast:",
        ),
        fails: true,
      },
    },
  ],
  outro: T(
    "张量的创建、连接、索引和两种乘法都会了。下一课:自动求导和神经网络。",
    "Creating, joining, indexing tensors and the two products: done. Next: autograd and neural networks.",
  ),
};
