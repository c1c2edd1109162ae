/**
 * PyTorch's exception kinds. The REPL prints them as Python does
 * (`RuntimeError: ...`), so learners see PyTorch's own wording.
 * @module
 */

/** Base of every error the facade raises on purpose. */
export class TorchError extends Error {
  /** Python's exception class name, shown before the message. */
  pyName = "RuntimeError";
}

/** PyTorch's `RuntimeError`. */
export class RuntimeError extends TorchError {
  override name = "RuntimeError";
  override pyName = "RuntimeError";
}

/** PyTorch's `IndexError`. */
export class IndexError extends TorchError {
  override name = "IndexError";
  override pyName = "IndexError";
}

/** Python's `TypeError` (argument of the wrong kind). */
export class TorchTypeError extends TorchError {
  override name = "TypeError";
  override pyName = "TypeError";
}

/** Python's `ValueError`. */
export class ValueError extends TorchError {
  override name = "ValueError";
  override pyName = "ValueError";
}

/** Python's `NotImplementedError`. */
export class NotImplementedError extends TorchError {
  override name = "NotImplementedError";
  override pyName = "NotImplementedError";
}
