/**
 * The lessons' own words (commands, feedback), in both languages, and the
 * default language from the locale.
 * @module
 */
import type { Lang, Text } from "./types.ts";

/** A text in both languages. */
export const T = (zh: string, en: string): Text => ({ zh, en });

/** The language of the locale: LC_ALL, then LC_MESSAGES, then LANG (`zh_CN.UTF-8` → zh); English otherwise. */
export function localeLang(env: (k: string) => string | undefined): Lang {
  for (const k of ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"]) {
    const v = env(k);
    if (v) return /^zh/i.test(v) ? "zh" : "en";
  }
  return "en";
}

/** The lessons' messages. */
export const MSG = {
  lesson: T("第 {n} 课", "Lesson {n}"),
  exercise: T("练习 {id}", "Exercise {id}"),
  of: T("{i}/{n}", "{i}/{n}"),
  starter: T("起始代码(已为你运行):", "Starter code (already run for you):"),
  setup: T("本练习的准备代码(已运行):", "This exercise's setup (already run):"),
  resume: T("欢迎回来:从练习 {id} 继续。", "Welcome back: resuming at exercise {id}."),
  rebuilt: T(
    "已重新运行起始代码和练习 {ids} 的参考答案,后面的练习需要的变量都准备好了。",
    "Ran the starter code and the reference answers of exercises {ids} again, so the variables the next exercises need are there.",
  ),
  rebuiltStarter: T("已重新运行起始代码。", "Re-ran the starter code."),
  commands: T(
    "命令:.hint 提示 · .solution 答案(尝试之后)· .skip 跳过 · .back 上一题 · .goto k · .list · .reset · .quit",
    "Commands: .hint · .solution (after an attempt) · .skip · .back · .goto k · .list · .reset · .quit",
  ),
  codePrompt: T(
    "在提示符后输入 TypeScript(PyTorch 的 API)。",
    "Type TypeScript (PyTorch's API) at the prompt.",
  ),
  guessPrompt: T("先猜:输入字母{multi}。", "Guess first: type a letter{multi}."),
  guessMulti: T("(可多选,用空格分隔,如 a c)", " (several may hold: separate them, e.g. a c)"),
  guessBad: T(
    "请用 {letters} 中的字母作答{multi}。这一题先猜,然后课程会替你现场运行代码。",
    "Answer with {letters}{multi}. This one is a guess: the lesson runs the code live for you afterwards.",
  ),
  guessBadMulti: T("(可多选)", " (one or more)"),
  running: T("现场运行:", "Running it live:"),
  runningChoice: T("选项 {c}:", "Choice {c}:"),
  outcomeOk: T("运行成功", "runs"),
  outcomeErr: T("出错", "fails"),
  right: T("✓ 猜对了!", "✓ Right!"),
  wrongGuess: T(
    "✗ 没猜中:你选了 {got},实际结果符合 {exp}。",
    "✗ Not quite: you said {got}; what really happened matches {exp}.",
  ),
  correct: T("✓ 正确!", "✓ Correct!"),
  notYet: T("还不对。", "Not yet."),
  expected: T("期望:", "Expected:"),
  got: T("得到:", "Got:"),
  noValue: T(
    "这次输入没有产生值(undefined),也没有定义新变量。要让课程检查,请以表达式结尾,或按题目要求给变量赋值。",
    "That input gave no value (undefined) and defined nothing. To be checked, end with an expression, or assign the variable the exercise asks for.",
  ),
  syntax: T(
    "语法错误:这行代码不是合法的 TypeScript。检查括号和引号;输入未完成时提示符会变成 `...`。",
    "A syntax error: that is not valid TypeScript. Check brackets and quotes (an unfinished input gets a `...` prompt).",
  ),
  threw: T(
    "这次输入抛出了错误(见上)。没关系,练习还在等你:改一改再试,或 .hint 看提示。",
    "That input threw an error (above). No harm done: the exercise is still waiting. Change it and try again, or .hint.",
  ),
  interrupted: T("已中断。变量都还在。", "Interrupted. Your variables are still there."),
  checkerError: T("检查时出错:{msg}", "error while checking: {msg}"),
  hint: T("提示 {i}/{n}:", "Hint {i}/{n}:"),
  noMoreHints: T(
    "没有更多提示了。.solution 可以看参考答案。",
    "No more hints. .solution shows the reference answer.",
  ),
  tryFirst: T(
    "先试一次(答错也没关系),然后 .solution 才会显示参考答案。.hint 可以看提示。",
    "Try first (a wrong answer counts), then .solution shows the reference answer. .hint gives a hint.",
  ),
  solution: T("参考答案:", "Reference answer:"),
  solutionPytorch: T("PyTorch 原文:", "In PyTorch:"),
  solutionGuess: T(
    "这是一道猜测题:作答后课程会现场运行代码,结果本身就是答案。",
    "This is a guess: answer it and the lesson runs the code live; the outcome is the answer.",
  ),
  skipped: T(
    "已跳过练习 {id}(已运行参考答案,让后面的练习可以继续)。",
    "Skipped exercise {id} (its reference answer ran, so later exercises have what they need).",
  ),
  noSuchExercise: T("没有练习 {k}。.list 列出所有练习。", "There is no exercise {k}. .list shows them."),
  atFirst: T("已经是第一题了。", "This is the first exercise."),
  rebuilding: T("正在重建练习 {id} 之前的状态…", "Rebuilding the state before exercise {id}…"),
  resetConfirm: T(
    "确定要清除第 {n} 课的进度并从头开始吗?[y/N] ",
    "Reset lesson {n}'s progress and start over? [y/N] ",
  ),
  resetDone: T("第 {n} 课的进度已清除。", "Lesson {n}'s progress is cleared."),
  resetCancelled: T("未重置。", "Not reset."),
  saved: T(
    "进度已保存。下次运行 `deno task lesson {n}` 会从这里继续。",
    "Progress saved. `deno task lesson {n}` resumes here.",
  ),
  finished: T("第 {n} 课完成!", "Lesson {n} complete!"),
  finishedCounts: T(
    "{done} 题完成,{missed} 题猜错,{skipped} 题跳过。",
    "{done} done, {missed} guessed wrong, {skipped} skipped.",
  ),
  finishedAlready: T(
    "这一课已经做完了。可以继续在提示符下试代码,.goto k 重温某题,.reset 从头再来,.quit 退出。",
    "You finished this lesson. Keep trying code at the prompt, .goto k to revisit an exercise, .reset to start over, .quit to leave.",
  ),
  next: T("下一课:`deno task lesson {n}`", "Next: `deno task lesson {n}`"),
  listTitle: T("第 {n} 课的练习:", "Lesson {n}'s exercises:"),
  help: T(
    `课程命令:
  .hint         下一条提示
  .solution     参考答案(尝试之后)
  .skip         跳过本题(运行参考答案)
  .back         上一题
  .goto k       跳到练习 k
  .list         所有练习及其状态
  .reset        清除本课进度(需确认)
  .quit         保存并退出
REPL 的命令也能用:.trace .time .memory .load .save .timeout。Ctrl-C 中断正在运行的代码。`,
    `Lesson commands:
  .hint         the next hint
  .solution     the reference answer (after an attempt)
  .skip         skip this exercise (its reference answer runs)
  .back         the previous exercise
  .goto k       go to exercise k
  .list         every exercise and its status
  .reset        clear this lesson's progress (asks first)
  .quit         save and leave
The REPL's commands work too: .trace .time .memory .load .save .timeout. Ctrl-C stops running code.`,
  ),
  unknownCommand: T("未知命令 {c}(.help 列出命令)", "unknown command {c} (.help lists them)"),
  menuTitle: T(
    "denotorch 课程:PyTorch 基础,用 TypeScript 来学",
    "denotorch lessons: PyTorch basics, in TypeScript",
  ),
  menuChoose: T("选择一课 [{d}](q 退出):", "Choose a lesson [{d}] (q to quit): "),
  menuBad: T("请输入 0 到 {max} 之间的课号,或 q。", "Type a lesson number from 0 to {max}, or q."),
  noSuchLesson: T("没有第 {n} 课。可选的课程:", "There is no lesson {n}. The lessons:"),
  statusDone: T("完成", "done"),
  statusMissed: T("猜错", "missed"),
  statusSkipped: T("跳过", "skipped"),
  statusTodo: T("未做", "to do"),
  replayFailed: T(
    "重建状态时练习 {id} 的参考答案出错:{msg}。后面的练习可能缺少变量。",
    "Rebuilding the state, exercise {id}'s reference answer failed: {msg}. Later exercises may miss variables.",
  ),
  quitHint: T("(要退出请输入 .quit,或再按一次 Ctrl-C)", "(To leave, type .quit or press Ctrl-C again)"),
  demo: T("再看一个:", "One more thing:"),
} as const;

/** Fills `{name}` placeholders. */
export function fill(s: string, vars: Record<string, string | number> = {}): string {
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}
