/**
 * Comparing facade results with the outcomes gen_nn.py recorded from PyTorch:
 * tensors by dtype, shape, requires_grad, grad_fn and values within float32
 * tolerances (large ones by a summary), printed text, lists and dicts.
 */
import assert from "node:assert/strict";
import { device, dtype, Size, Tensor } from "../../mod.ts";
import {
  compareValues as sharedCompareValues,
  decode,
  describe,
  type Json,
  listOf,
  reprOf,
  unwrapSuffix,
} from "../parity.ts";

export { decode, describe };

export type { Json };

export type Expected =
  | {
    type: "tensor";
    repr: string | null;
    grad_fn: string | null;
    requires_grad: boolean;
    dtype: string;
    shape: number[];
    values: Json;
    max_abs: number;
  }
  | {
    type: "summary";
    dtype: string;
    shape: number[];
    sum: number;
    abs_sum: number;
    max_abs: number;
    /** The values at i·(numel - 1) // 15, i = 0…15. */
    samples: Json[];
    grad_fn: string | null;
    requires_grad: boolean;
  }
  | { type: "size"; repr: string; value: number[] }
  | { type: "dtype"; repr: string }
  | { type: "device"; repr: string }
  | { type: "bool"; value: boolean }
  | { type: "int"; value: number }
  | { type: "float"; value: number | string }
  | { type: "str"; value: string }
  | { type: "none" }
  | { type: "list"; items: Expected[] }
  | { type: "dict"; keys: string[]; items: Expected[] }
  | { type: "error"; error: string; message: string };

/** Relative and absolute (times the tensor's largest magnitude) tolerances for float32 results. */
export const RTOL = 5e-5;
export const ATOL = 5e-6;

export function close(got: number, want: number, scale: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= ATOL * Math.max(scale, 1e-3) + RTOL * Math.abs(want);
}

function compareValues(got: unknown, want: Json, isFloat: boolean, scale: number, where: string): void {
  sharedCompareValues(got, want, isFloat, where, (g, w) => close(g, w, scale));
}

/** The printed text with every digit blanked: the layout, signs and suffixes, not the last digit. */
function layout(s: string): string {
  return s.replace(/\d/g, "0");
}

function flat(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x as number];
}

export function compareTensor(
  got: unknown,
  want: Expected & { type: "tensor" | "summary" },
  where: string,
): void {
  assert.ok(got instanceof Tensor, `${where}: expected a Tensor, got ${describe(got)}`);
  assert.equal(String(got.dtype), `torch.${want.dtype}`, `${where}: dtype`);
  assert.deepEqual([...got.shape], want.shape, `${where}: shape`);
  assert.equal(got.requires_grad, want.requires_grad, `${where}: requires_grad`);
  const name = got.grad_fn === null ? null : got.grad_fn.name();
  assert.equal(name, want.grad_fn, `${where}: grad_fn`);
  const isFloat = got.dtype.is_floating_point;
  if (want.type === "tensor") {
    compareValues(listOf(got), want.values, isFloat, want.max_abs, `${where}: values`);
    if (want.repr !== null) {
      const text = reprOf(got);
      const wanted = text === String(got) ? want.repr : unwrapSuffix(want.repr);
      // values agree within float32 rounding (checked above); the last printed digit may differ
      assert.ok(
        text === wanted || layout(text) === layout(wanted),
        `${where}: repr\n  got:  ${JSON.stringify(text)}\n  want: ${JSON.stringify(want.repr)}`,
      );
    }
    return;
  }
  const values = flat(listOf(got));
  const sum = values.reduce((a, b) => a + b, 0);
  const absSum = values.reduce((a, b) => a + Math.abs(b), 0);
  const maxAbs = values.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
  assert.ok(
    Math.abs(sum - want.sum) <= ATOL * want.abs_sum + 1e-6,
    `${where}: sum ${sum}, want ${want.sum}`,
  );
  assert.ok(
    close(absSum, want.abs_sum, want.abs_sum),
    `${where}: sum of |x| ${absSum}, want ${want.abs_sum}`,
  );
  assert.ok(close(maxAbs, want.max_abs, want.max_abs), `${where}: max |x| ${maxAbs}, want ${want.max_abs}`);
  want.samples.forEach((_, k) => {
    const i = Math.floor((k * (values.length - 1)) / 15);
    assert.ok(
      close(values[i], decode(want.samples[k]) as number, want.max_abs),
      `${where}: element ${i}: got ${values[i]}, want ${want.samples[k]}`,
    );
  });
}

export function compare(got: unknown, want: Expected, where: string): void {
  switch (want.type) {
    case "tensor":
    case "summary":
      return compareTensor(got, want, where);
    case "size":
      assert.ok(got instanceof Size, `${where}: expected a torch.Size, got ${describe(got)}`);
      assert.deepEqual([...got], want.value, `${where}: sizes`);
      assert.equal(String(got), want.repr, `${where}: repr`);
      return;
    case "dtype":
      assert.ok(got instanceof dtype, `${where}: expected a dtype, got ${describe(got)}`);
      assert.equal(String(got), want.repr, `${where}: repr`);
      return;
    case "device":
      assert.ok(got instanceof device, `${where}: expected a device, got ${describe(got)}`);
      // a case made on webgpu reports webgpu where PyTorch's (on cpu) reports cpu
      assert.equal(
        got.repr(),
        got.type === "webgpu" ? want.repr.replace("type='cpu'", "type='webgpu', index=0") : want.repr,
        `${where}: repr`,
      );
      return;
    case "bool":
      assert.equal(got, want.value, `${where}: bool`);
      return;
    case "int":
      assert.equal(got, want.value, `${where}: int`);
      return;
    case "float":
      assert.equal(typeof got, "number", `${where}: number expected, got ${describe(got)}`);
      assert.ok(
        close(got as number, decode(want.value) as number, 1),
        `${where}: got ${got}, want ${want.value}`,
      );
      return;
    case "str":
      assert.equal(got, want.value, `${where}: str`);
      return;
    case "none":
      assert.ok(got === null || got === undefined, `${where}: expected None, got ${describe(got)}`);
      return;
    case "list":
      assert.ok(Array.isArray(got), `${where}: expected a list, got ${describe(got)}`);
      assert.equal(got.length, want.items.length, `${where}: length`);
      want.items.forEach((w, i) => compare(got[i], w, `${where}[${i}]`));
      return;
    case "dict": {
      assert.ok(got !== null && typeof got === "object", `${where}: expected a dict, got ${describe(got)}`);
      const o = got as Record<string, unknown>;
      assert.deepEqual(Object.keys(o), want.keys, `${where}: keys`);
      want.keys.forEach((k, i) => compare(o[k], want.items[i], `${where}[${k}]`));
      return;
    }
    case "error":
      throw new Error(`${where}: expected ${want.error}: ${want.message}, got ${describe(got)}`);
  }
}
