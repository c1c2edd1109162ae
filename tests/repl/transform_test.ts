// The REPL's compiler: statement splitting, declarations, loop guards, completeness.
import assert from "node:assert/strict";
import { tokenize } from "../../lib/repl/tokens.ts";
import { compile, guardLoops, isIncomplete } from "../../lib/repl/transform.ts";

Deno.test("tokenize: strings, templates, regexes, comments and brackets", () => {
  const s = tokenize("a / b; x = /re[/]g/i.test(`t ${ {a: 1}.a } u`) // c\n'q'");
  assert.deepEqual(
    s.tokens.filter((t) => t.type !== "punct").map((t) => [t.type, t.value]),
    [
      ["name", "a"],
      ["name", "b"],
      ["name", "x"],
      ["regex", "/re[/]g/i"],
      ["name", "test"],
      ["tmpl", "`t ${"],
      ["name", "a"],
      ["num", "1"],
      ["name", "a"],
      ["tmpl", "} u`"],
      ["str", "'q'"],
    ],
  );
  assert.equal(s.open.length, 0);
  assert.equal(s.unterminated, null);
  assert.deepEqual(tokenize("f(`a ${b").open, ["(", "${"]);
  assert.equal(tokenize("/* open").unterminated, "comment");
  assert.equal(tokenize("x)").mismatch, true);
});

Deno.test("isIncomplete: open brackets, operators at the end, control heads", () => {
  for (
    const s of ["foo(", "{", "[1,", "`a${", "/* x", "1 +", "if (x)", "x.", "const x: number =", "class A {"]
  ) {
    assert.equal(isIncomplete(s), true, s);
  }
  for (const s of ["x = 1", "a b", "'abc", "}", "const x = 1;", "", "f()\n", "for (;;) {}"]) {
    assert.equal(isIncomplete(s), false, s);
  }
});

Deno.test("compile: declarations become globals, the last expression is returned", () => {
  const c = compile("const x: number = 1; x + 1");
  assert.deepEqual(c.declared, ["x"]);
  assert.equal(c.hasValue, true);
  assert.match(c.body, /;\(\s*x\s*= 1\); return \(x \+ 1\n\);/);

  const d = compile("let a, {b, c: [d, e = 2], ...f} = obj");
  assert.deepEqual(d.declared, ["a", "b", "d", "e", "f"]);
  assert.equal(d.hasValue, false);
  assert.match(d.body, /a = undefined, \{b, c: \[d, e = 2\], \.\.\.f\} = obj\)/);

  const cls = compile("class Net extends nn.Module { forward(x) { return x } }");
  assert.deepEqual(cls.declared, ["Net"]);
  assert.match(cls.body, /^;Net = class Net extends/);
});

Deno.test("compile: function declarations are hoisted as assignments", () => {
  const c = compile("f(); function f() { return 1 }");
  assert.deepEqual(c.declared, ["f"]);
  assert.ok(c.body.startsWith("f = function f() { return 1 };\n"));
  assert.equal(c.hasValue, false); // the last statement is the declaration
});

Deno.test("compile: statements split at line breaks as JavaScript does", () => {
  assert.match(compile("const a = 1\nconst b = 2\na + b").body, /return \(a \+ b\n\);$/);
  // a line starting with `.` or `(` continues the previous one
  assert.match(compile("a\n.b()").body, /^return \(a\n\.b\(\)\n\);$/);
  // a block body then a new statement
  const c = compile("if (x) {\n 1\n} else {\n 2\n}\ny");
  assert.match(c.body, /\}\nreturn \(y\n\);$/);
  // arrow functions with block bodies end at the brace
  assert.deepEqual(compile("const f = () => {\n  return 1\n}\nf()").declared, ["f"]);
});

Deno.test("compile: imports become awaited dynamic imports", () => {
  const c = compile(
    "import { a, b as c } from './m.ts'\nimport * as ns from 'node:path'\nimport d from 'x'",
    {
      base: "file:///tmp/",
    },
  );
  assert.deepEqual(c.declared, ["a", "c", "ns", "d"]);
  assert.equal(c.usesAwait, true);
  assert.match(c.body, /await __repl\.imp\('\.\/m\.ts', "file:\/\/\/tmp\/"\)/);
  assert.match(c.body, /c = __repl_m\d+\["b"\]/);
});

Deno.test("compile: export and using", () => {
  assert.deepEqual(compile("export const q = 1; export function g() {}").declared, ["q", "g"]);
  const u = compile("using _ = torch.no_grad(); x.mul(2)");
  assert.match(u.body, /^using _ = torch\.no_grad\(\); return \(x\.mul\(2\)/);
});

Deno.test("guardLoops: every kind of loop ticks", () => {
  assert.equal(guardLoops("while (x) {}"), "while (__repl.tick() && (x)) {}");
  assert.equal(guardLoops("do { i++ } while (i < 3)"), "do { i++ } while (__repl.tick() && (i < 3))");
  assert.equal(
    guardLoops("for (let i = 0; i < n; i++) s += i"),
    "for (let i = 0; __repl.tick() && ( i < n); i++) s += i",
  );
  assert.equal(guardLoops("for (;;) {}"), "for (; __repl.tick();) {}");
  assert.equal(guardLoops("for (const x of xs) { f(x) }"), "for (const x of xs) { __repl.tick(); f(x) }");
  assert.equal(guardLoops("for (const x of xs) f(x)"), "for (const x of __repl.iter( xs)) f(x)");
  assert.equal(guardLoops("for await (const x of xs) f(x)"), "for await (const x of __repl.aiter( xs)) f(x)");
  assert.equal(guardLoops("a.while(1); s = 'for (;;)'"), "a.while(1); s = 'for (;;)'");
});

Deno.test("compile: syntax errors carry V8's message", () => {
  assert.throws(() => compile("a b"), { name: "SyntaxError", message: "Unexpected identifier 'b'" });
  assert.throws(() => compile("1 +"), { name: "SyntaxError", message: "unexpected end of input" });
  // TypeScript that strip mode cannot erase is transformed instead
  assert.match(compile("enum E { A, B }\nE.B").body, /E\.B/);
});
