/**
 * The REPL engine, for `repl/main.ts` and the lessons: a {@link Session}
 * evaluates TypeScript inputs (declarations persist, top-level await, loops
 * guarded), shows values PyTorch-style, completes, documents and runs
 * `.commands`; none of it touches a terminal.
 *
 * @example A session
 * ```ts
 * import * as facade from "../../mod.ts";
 * import { facadeGlobals, Session } from "./mod.ts";
 * const s = new Session({ globals: facadeGlobals(facade as unknown as Record<string, unknown>) });
 * await s.evaluate("const a = torch.ones(2, 2)");
 * console.log((await s.evaluate("a.sum()")).text); // tensor(4.)
 * ```
 * @module
 */
export {
  type EvalOptions,
  type EvalResult,
  facadeGlobals,
  isCommand,
  Session,
  type SessionOptions,
} from "./session.ts";
export { display, type DisplayOptions, errorName, formatError, formatTrace } from "./display.ts";
export { complete, type Completion, members } from "./complete.ts";
export { help, HelpText, INTRO, qualifiedName } from "./help.ts";
export { type Command, COMMANDS, formatSeconds, timeit } from "./commands.ts";
export {
  Guard,
  KeyboardInterrupt,
  Reason,
  SystemExit,
  TimeoutError,
  Watchdog,
  type WatchdogEvent,
} from "./guard.ts";
export {
  compile,
  type Compiled,
  type CompileOptions,
  guardLoops,
  isIncomplete,
  stripTypes,
} from "./transform.ts";
export { tokenize } from "./tokens.ts";
export { reportStrayErrors } from "./stray.ts";
export {
  deferPrint,
  type DeviceTensor,
  deviceTensorsIn,
  fetchForDisplay,
  fetchTensor,
  isDeviceTensor,
  settlePrints,
} from "./readback.ts";
