/**
 * The engine-level arithmetic of optimizer steps. An update runs every
 * training step on every parameter, so it works on engine values directly:
 * no facade tensors, no graph, scalar math folded into JS numbers, and each
 * result written back through the tensor's storage (the same Tensor object,
 * its version bumped, as PyTorch's in-place ops do).
 *
 * Everything made inside `update()` is a temporary of that call and is
 * disposed when it returns, except the values written into a tensor or
 * wrapped as a new one.
 * @module
 */
import { tf } from "../engine/backend.ts";
import { run, wrap } from "../tensor/dispatch.ts";
import { temp } from "../tensor/storage.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** An engine value inside an update. */
export type E = tf.Tensor;

/** Runs an update body; its temporaries are disposed at the end. */
export function update<T>(name: string, body: () => T): T {
  return run(name, body);
}

/** A tensor's values, as float32. */
export function read(t: Tensor): E {
  const v = t._read();
  return v.dtype === "float32" ? v : temp(tf.cast(v, "float32"));
}

/** Writes a value through a tensor (in place: same object, storage version bumped). */
export function write(t: Tensor, v: E): void {
  const e = t.dtype.engine as tf.DataType;
  t._write(v.dtype === e ? v : temp(tf.cast(v, e)), false);
}

/** A new tensor holding `v`, with `like`'s dtype and device. */
export function fresh(v: E, like: Tensor): Tensor {
  return wrap(tf.clone(v), like.dtype, like.device);
}

/** A new tensor of zeros shaped like `like`. */
export function zerosLike(like: Tensor): Tensor {
  return update("zeros_like", () => wrap(tf.zeros(like._shape, "float32"), like.dtype, like.device));
}

/** A float32 scalar, disposed with the update. */
export function scalar(v: number): E {
  return temp(tf.scalar(v, "float32"));
}

/** `a + b`. */
export function add(a: E, b: E): E {
  return temp(tf.add(a, b));
}
/** `a - b`. */
export function sub(a: E, b: E): E {
  return temp(tf.sub(a, b));
}
/** `a * b`. */
export function mul(a: E, b: E): E {
  return temp(tf.mul(a, b));
}
/** `a / b`. */
export function div(a: E, b: E): E {
  return temp(tf.div(a, b));
}
/** `sqrt(a)`. */
export function sqrt(a: E): E {
  return temp(tf.sqrt(a));
}
/** `-a`. */
export function neg(a: E): E {
  return temp(tf.neg(a));
}
/** Elementwise maximum. */
export function maximum(a: E, b: E): E {
  return temp(tf.maximum(a, b));
}

/** `a * s` (a scalar); `a` itself when s is 1. */
export function mulS(a: E, s: number): E {
  return s === 1 ? a : mul(a, scalar(s));
}
/** `a + s` (a scalar); `a` itself when s is 0. */
export function addS(a: E, s: number): E {
  return s === 0 ? a : add(a, scalar(s));
}
/** `a / s` (a scalar); `a` itself when s is 1. */
export function divS(a: E, s: number): E {
  return s === 1 ? a : div(a, scalar(s));
}
/** PyTorch's `a.add(b, alpha=s)`: `a + s·b`. */
export function addScaled(a: E, b: E, s: number): E {
  if (s === 0) return a;
  if (s === -1) return sub(a, b);
  return add(a, mulS(b, s));
}
/** PyTorch's `a.lerp(b, w)`, with its CPU formula (which end it starts from depends on w). */
export function lerp(a: E, b: E, w: number): E {
  const d = sub(b, a);
  return w < 0.5 ? add(a, mulS(d, w)) : sub(b, mulS(d, 1 - w));
}
