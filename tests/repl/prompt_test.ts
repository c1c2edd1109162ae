// The parts of `repl/prompt.ts` that need no terminal: the history file and the error line. The prompt
// itself (line editing, Ctrl-C) is driven in tmux by terminal_test.ts here and in tests/lessons.
import assert from "node:assert/strict";
import { appendHistory, errorLine, HISTORY_SIZE, historyPath, loadHistory } from "../../repl/prompt.ts";

Deno.test("history: $DENOTORCH_HISTORY wins over the program's file; empty means none", () => {
  const before = Deno.env.get("DENOTORCH_HISTORY");
  try {
    Deno.env.delete("DENOTORCH_HISTORY");
    assert.equal(historyPath("/x/history"), "/x/history");
    assert.equal(historyPath(null), null);
    Deno.env.set("DENOTORCH_HISTORY", "/y/h");
    assert.equal(historyPath("/x/history"), "/y/h");
    Deno.env.set("DENOTORCH_HISTORY", "");
    assert.equal(historyPath("/x/history"), null);
  } finally {
    if (before === undefined) Deno.env.delete("DENOTORCH_HISTORY");
    else Deno.env.set("DENOTORCH_HISTORY", before);
  }
});

Deno.test("history: appending makes the folder; loading gives the newest first and cuts a long file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/sub/history`;
    assert.deepEqual(loadHistory(path), []);
    appendHistory(path, "a = 1");
    appendHistory(path, "a + 1");
    assert.deepEqual(loadHistory(path), ["a + 1", "a = 1"]);
    const many = Array.from({ length: 2 * HISTORY_SIZE + 5 }, (_, i) => `x${i}`);
    Deno.writeTextFileSync(path, many.join("\n") + "\n\n");
    const h = loadHistory(path);
    assert.equal(h.length, HISTORY_SIZE);
    assert.equal(h[0], `x${2 * HISTORY_SIZE + 4}`);
    assert.equal(Deno.readTextFileSync(path).split("\n").filter((l) => l).length, HISTORY_SIZE);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("errorLine: the error's name in red, after blank lines; plain without colours", () => {
  assert.equal(errorLine("RuntimeError: bad", false), "RuntimeError: bad");
  assert.equal(errorLine("RuntimeError: bad", true), "\x1b[31mRuntimeError\x1b[0m: bad");
  assert.equal(errorLine("\nKeyboardInterrupt", true), "\n\x1b[31mKeyboardInterrupt\x1b[0m");
});
