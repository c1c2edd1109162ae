/**
 * Loaded into Deno's own REPL by `deno task repl` (which runs in the project
 * root, so the import below resolves from there): the facade and the
 * Python-style helpers as globals, so a learner types PyTorch at once.
 * A dedicated REPL with PyTorch-style output and commands replaces this.
 */
// Deno's REPL resolves imports in an --eval-file from the working directory
// (the project root under `deno task`), not from this file.
const denotorch: typeof import("../mod.ts") = await import(
  new URL("mod.ts", `file://${Deno.cwd()}/`).href
);

Object.assign(globalThis, denotorch);
// Errors read as one line (PyTorch's message), not a stack through the facade.
Error.stackTraceLimit = 0;
console.log(
  `denotorch ${"\u2014"} PyTorch's tensor API on TensorFlow.js (${denotorch.torch.backend()} backend). ` +
    "torch, print, len, range, enumerate, zip, iter, next, list are loaded.",
);
