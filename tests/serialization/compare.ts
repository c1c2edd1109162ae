/**
 * Compares JavaScript values with the JSON descriptions that
 * tests/fixtures/gen_checkpoints.py writes of Python objects.
 *
 * - mode "load": `actual` is what denotorch loaded from a file PyTorch wrote
 *   (floats may have come back as whole numbers; float64/float16/bfloat16
 *   tensors as float32, 8/16-bit integers as int64).
 * - mode "ours": `actual` is what denotorch saved and `desc` what PyTorch
 *   loaded from it (JS integers must have become Python ints, objects and
 *   Maps OrderedDicts unless tagged as dicts).
 */
import assert from "node:assert/strict";
import { Size, Tensor } from "../../mod.ts";
import { current_parameter_type, PY_TYPE } from "../../lib/serialization/mod.ts";

/** A description of one Python value. */
// deno-lint-ignore no-explicit-any
export type Desc = any;

const WIDENED: Record<string, string> = {
  float64: "float32",
  float16: "float32",
  bfloat16: "float32",
  int8: "int64",
  uint8: "int64",
  int16: "int64",
};

function num(v: unknown): number {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v as number;
}

function isParam(t: Tensor): boolean {
  const pt = current_parameter_type();
  if (pt) return pt.is(t);
  return t.constructor.name === "Parameter" || t.constructor.name === "ParameterClass";
}

/** Checks `actual` against `desc`, throwing an assertion error naming the path. */
export function check(actual: unknown, desc: Desc, mode: "load" | "ours", path = "obj"): void {
  const storages = new Map<number, unknown>();
  const back = new Map<unknown, number>();
  const go = (a: unknown, d: Desc, p: string): void => {
    const fail = (why: string): never =>
      assert.fail(`${p}: ${why} (got ${describeJS(a)}, expected ${JSON.stringify(d).slice(0, 200)})`);
    switch (d.type) {
      case "none":
        if (a !== null) fail("expected null");
        return;
      case "bool":
        if (a !== d.value) fail("wrong bool");
        return;
      case "int":
        if (typeof d.value === "string") {
          if (typeof a !== "bigint" || a !== BigInt(d.value)) fail("expected a bigint");
        } else if (typeof a !== "number" || a !== d.value || (mode === "ours" && Object.is(a, -0))) {
          fail("wrong int");
        }
        return;
      case "float": {
        const want = num(d.value);
        if (typeof a !== "number") return fail("expected a number");
        if (!Object.is(a, want)) fail("wrong float");
        if (mode === "ours" && Number.isInteger(a) && !Object.is(a, -0)) {
          fail("a JS integer was written as a float");
        }
        return;
      }
      case "str":
        if (a !== d.value) fail("wrong str");
        return;
      case "bytes": {
        if (!(a instanceof Uint8Array)) return fail("expected a Uint8Array");
        const hex = [...a].map((b) => b.toString(16).padStart(2, "0")).join("");
        if (hex !== d.value) fail("wrong bytes");
        return;
      }
      case "size":
        if (!(a instanceof Size) || !a.equals(d.value)) fail("expected a torch.Size");
        return;
      case "dtype":
        if (String(a) !== `torch.${d.value}`) fail("wrong dtype");
        return;
      case "device":
        if (String(a) !== d.value) fail("wrong device");
        return;
      case "list":
      case "tuple": {
        if (!Array.isArray(a)) return fail(`expected an array for a ${d.type}`);
        if (Object.isFrozen(a) !== (d.type === "tuple")) {
          fail(d.type === "tuple" ? "a tuple must be a frozen array" : "a list must not be frozen");
        }
        if (a.length !== d.items.length) fail("wrong length");
        d.items.forEach((x: Desc, i: number) => go(a[i], x, `${p}[${i}]`));
        return;
      }
      case "set": {
        if (!(a instanceof Set)) return fail("expected a Set");
        if (a.size !== d.items.length) fail("wrong size");
        const items = [...a];
        for (const x of d.items) {
          if (!items.some((y) => ok(() => go(y, x, p)))) fail(`no element matches ${JSON.stringify(x)}`);
        }
        return;
      }
      case "dict":
      case "OrderedDict": {
        if (typeof a !== "object" || a === null) return fail("expected a dict");
        const tag = (a as { [PY_TYPE]?: string })[PY_TYPE];
        const kind = tag ?? (mode === "ours" ? "OrderedDict" : undefined);
        if (kind !== d.type) fail(`expected a ${d.type}, tagged ${tag}`);
        const entries: [unknown, unknown][] = a instanceof Map ? [...a.entries()] : Object.entries(a);
        if (entries.length !== d.items.length) fail(`has ${entries.length} keys, expected ${d.items.length}`);
        d.items.forEach(([k, v]: [Desc, Desc], i: number) => {
          go(entries[i][0], k, `${p}<key ${i}>`);
          go(entries[i][1], v, `${p}[${JSON.stringify(k.value)}]`);
        });
        const attrs = d.attrs ?? {};
        for (const [name, v] of Object.entries(attrs)) {
          const own = Object.getOwnPropertyDescriptor(a, name);
          if (!own || own.enumerable) fail(`attribute ${name} should be a non-enumerable property`);
          go(own!.value, v, `${p}.${name}`);
        }
        return;
      }
      case "tensor": {
        if (!(a instanceof Tensor)) return fail("expected a Tensor");
        const dt = mode === "load" ? (WIDENED[d.dtype] ?? d.dtype) : d.dtype;
        if (a.dtype.name !== dt) fail(`dtype ${a.dtype.name}, expected ${dt}`);
        assert.deepEqual([...a.shape], d.shape, `${p}: shape`);
        assert.deepEqual(a.stride(), d.stride, `${p}: stride`);
        assert.equal(a.storage_offset(), d.offset, `${p}: storage offset`);
        assert.equal(a._storage.numel, d.storage_numel, `${p}: storage size`);
        assert.equal(a.requires_grad, d.requires_grad, `${p}: requires_grad`);
        if (mode === "ours" || current_parameter_type()) {
          assert.equal(isParam(a), d.parameter, `${p}: Parameter`);
        }
        // one storage in the file ↔ one storage here
        const seen = storages.get(d.storage);
        if (seen === undefined) {
          if (back.has(a._storage)) {
            fail(`shares a storage that PyTorch does not share (storage ${back.get(a._storage)})`);
          }
          storages.set(d.storage, a._storage);
          back.set(a._storage, d.storage);
        } else if (seen !== a._storage) fail(`should share storage ${d.storage}`);
        const flat = a.reshape(-1).tolist() as (number | boolean)[];
        const want = (d.values as unknown[]).map((
          v,
        ) => (dt === "bool" ? v : dt === "float32" ? Math.fround(num(v)) : v));
        assert.equal(flat.length, want.length, `${p}: numel`);
        flat.forEach((v, i) => {
          if (!Object.is(v, want[i]) && !(v === 0 && want[i] === 0 && d.dtype !== "float32")) {
            fail(`value ${i} is ${v}, expected ${want[i]}`);
          }
        });
        return;
      }
    }
    fail(`unknown description type ${d.type}`);
  };
  go(actual, desc, path);
}

function ok(f: () => void): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

function describeJS(a: unknown): string {
  if (a instanceof Tensor) return `Tensor ${a.dtype} ${JSON.stringify([...a.shape])}`;
  if (a instanceof Map) return "Map";
  if (Array.isArray(a)) return Object.isFrozen(a) ? "frozen array" : "array";
  if (typeof a === "object" && a !== null) return a.constructor?.name ?? "object";
  return `${typeof a} ${String(a)}`;
}
