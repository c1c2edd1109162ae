/**
 * Lesson 0, quick start: what the prompt is, how PyTorch translates, how
 * lessons work (checkers, guesses, commands, progress).
 * @module
 */
import { T } from "../i18n.ts";
import { describe, fail, findProduced, gotText, hasShape, isTensor, need, PASS } from "../judge.ts";
import type { Lesson } from "../types.ts";
import { Tensor } from "../../mod.ts";

export const lesson0: Lesson = {
  n: 0,
  title: T("快速开始", "Quick start"),
  intro: T(
    `denotorch 是一个说 PyTorch 的 TypeScript 交互环境:\`torch.rand(5, 4)\` 打印出的文字和 PyTorch 一模一样,同一个随机种子给出同样的数字。
教程原本让你用 Colab 或 pip 安装 torch;这里什么都不用装:\`deno task repl\` 打开自由练习的提示符,\`deno task lesson N\` 打开第 N 课。

PyTorch 到 TypeScript 的翻译规则很机械:
  a + b, a * b, a @ b      →  a.add(b), a.mul(b), a.matmul(b)
  t[3, 3, 0], t[:, 1:3]    →  t.index(3, 3, 0), t.index(":", "1:3")(也可写 t["1:3, 0"])
  f(x, dim=1, keepdim=True)→  f(x, 1, { keepdim: true })   关键字参数放进最后一个对象
  None, True, (1, 2)       →  null, true, [1, 2]
  x = …                    →  const x = …(在提示符下可以重复声明)

课程怎么进行:每道题在提示符后输入代码,课程检查的是你得到的值和变量,不是你敲的字;答错会告诉你期望什么、实际得到什么。"先猜"题先让你预测,再现场运行代码给你看真实结果(报错也照样显示)。
命令:.hint 提示 · .solution 参考答案(先试一次)· .skip 跳过 · .back / .goto k 前后跳转 · .list 列表 · .reset 重来 · .quit 退出。进度自动保存,下次从原处继续。`,
    `denotorch is a TypeScript prompt that speaks PyTorch: \`torch.rand(5, 4)\` prints exactly PyTorch's text, and the same seed gives the same numbers.
The tutorial asks you to use Colab or pip-install torch; here nothing needs installing: \`deno task repl\` opens a free prompt, \`deno task lesson N\` opens lesson N.

PyTorch translates mechanically:
  a + b, a * b, a @ b      →  a.add(b), a.mul(b), a.matmul(b)
  t[3, 3, 0], t[:, 1:3]    →  t.index(3, 3, 0), t.index(":", "1:3")  (or t["1:3, 0"])
  f(x, dim=1, keepdim=True)→  f(x, 1, { keepdim: true })   keyword arguments go in a last object
  None, True, (1, 2)       →  null, true, [1, 2]
  x = …                    →  const x = …   (declaring again at the prompt is fine)

How lessons work: you answer each exercise by typing code at the prompt; the lesson checks the values and variables you end up with, not the text you typed, and a wrong answer shows what was expected and what you got. "Guess first" questions ask for your prediction, then run the code live and show the real outcome, errors included.
Commands: .hint · .solution (after an attempt) · .skip · .back / .goto k · .list · .reset · .quit. Progress is saved as you go and resumes where you stopped.`,
  ),
  exercises: [
    {
      kind: "code",
      id: "1",
      title: T("第一个张量", "A first tensor"),
      text: T(
        "在提示符后输入 `torch.ones(3)` 并回车:一个包含三个 1 的张量。",
        "Type `torch.ones(3)` at the prompt and press Enter: a tensor of three ones.",
      ),
      hints: [
        T(
          "原样输入 torch.ones(3) 即可,结果会像 PyTorch 那样打印出来。",
          "Type torch.ones(3) as it is; the result prints as PyTorch prints it.",
        ),
      ],
      solution: "torch.ones(3)",
      wrong: ["torch.zeros(3)", "torch.ones(2)"],
      pytorch: "torch.ones(3)",
      check(ctx) {
        const t = findProduced(ctx, isTensor);
        if (hasShape(t, [3]) && (t.eq(1).all().item() as boolean)) return PASS;
        return fail(ctx.L("形状为 (3,) 的全 1 张量", "a tensor of shape (3,) holding ones"), gotText(ctx));
      },
      explain: T(
        "这就是 PyTorch 的打印格式:`tensor([1., 1., 1.])`,浮点数写成 `1.`。提示符显示最后一个表达式的值。",
        "That is PyTorch's own text: `tensor([1., 1., 1.])`, floats written `1.`. The prompt shows the value of the last expression.",
      ),
    },
    {
      kind: "code",
      id: "2",
      title: T("变量会保留", "Variables persist"),
      text: T(
        "把张量 `[1, 2, 3]` 存进变量 `x`:`const x = torch.tensor([1, 2, 3])`。之后的输入都能用到 `x`。",
        "Store the tensor `[1, 2, 3]` in a variable `x`: `const x = torch.tensor([1, 2, 3])`. Later inputs can use `x`.",
      ),
      hints: [
        T("const x = torch.tensor([1, 2, 3])", "const x = torch.tensor([1, 2, 3])"),
      ],
      solution: "const x = torch.tensor([1, 2, 3])",
      wrong: ["const x = torch.tensor([3, 2, 1])"],
      pytorch: "x = torch.tensor([1, 2, 3])",
      check(ctx) {
        const expected = ctx.L("变量 x,值为 tensor([1, 2, 3])", "a variable x holding tensor([1, 2, 3])");
        const x = need<unknown>(ctx, "x", expected);
        if (x.missing) return x.missing;
        const t = x.value;
        if (isTensor(t) && hasShape(t, [3]) && JSON.stringify(t.tolist()) === "[1,2,3]") return PASS;
        return fail(expected, describe(t, ctx));
      },
      explain: T(
        "声明会一直保留,也可以再次声明同一个名字(就像在 Python 里重新赋值)。全是整数的数据得到 int64,和 PyTorch 一样。",
        "Declarations persist, and declaring the same name again is fine (as rebinding in Python). All-integer data gives int64, as in PyTorch.",
      ),
    },
    {
      kind: "guess",
      id: "3",
      title: T("先猜再看", "Guess, then see"),
      text: T(
        "`x.sum()` 会得到什么?先猜,课程随后现场运行它。",
        "What does `x.sum()` give? Guess first; the lesson then runs it live.",
      ),
      snippet: "x.sum()",
      pytorch: "x.sum()",
      hints: [
        T(
          "PyTorch 的归约运算返回的是张量,不是 Python 数字。",
          "PyTorch's reductions return tensors, not Python numbers.",
        ),
      ],
      choices: [
        {
          text: T("一个 0 维张量 tensor(6)", "a 0-d tensor, tensor(6)"),
          holds: (o) => o.ok && o.value instanceof Tensor && o.value.dim() === 0 && o.value.item() === 6,
        },
        { text: T("数字 6", "the number 6"), holds: (o) => o.ok && o.value === 6 },
        { text: T("报错", "an error"), holds: (o) => !o.ok },
      ],
      answer: "a",
      explain: T(
        "归约得到 0 维张量;要取出 JavaScript 数字用 `.item()`。好了,快速开始就到这里:接下来是第 1 课,张量。",
        "A reduction gives a 0-d tensor; `.item()` turns it into a JavaScript number. That is the quick start: lesson 1, tensors, is next.",
      ),
      demo: { code: "x.sum().item()", text: T("`.item()` 取出数字:", "`.item()` gives the number:") },
    },
  ],
  outro: T(
    "你已经会用提示符、变量和课程命令了。",
    "You know the prompt, variables and the lesson commands.",
  ),
};
