/**
 * The checkpoints denotorch writes for real PyTorch to check
 * (tests/fixtures/gen_checkpoints.py runs this file, loads the results with
 * PyTorch and records its verdict in verify_ours.json). Every value is
 * built from exact binary fractions, so the bytes do not depend on the
 * engine's arithmetic.
 *
 *     deno run --allow-read --allow-write --allow-env tests/serialization/ours.ts tests/fixtures/checkpoints
 */
import { Tensor, torch } from "../../mod.ts";
import { float32 } from "../../lib/tensor/dtype.ts";
import {
  current_parameter_type,
  load,
  PY_TYPE,
  safetensors,
  save_bytes,
} from "../../lib/serialization/mod.ts";

const HERE = new URL(".", import.meta.url);
/** The committed fixtures folder. */
export const FIXTURES: URL = new URL("../fixtures/checkpoints/", HERE);

/** Stand-in Parameter class when `nn` has not registered its own (saved as a Parameter by its name). */
export class Parameter extends Tensor {}

/** A Parameter of whichever type is registered. */
export function parameter(data: Tensor, requires_grad = true): Tensor {
  const pt = current_parameter_type();
  if (pt) return pt.make(data, requires_grad);
  const p = new Parameter(data._storage, data._shape.slice(), data._strides.slice(), data._offset);
  if (requires_grad) p.requires_grad_(true);
  return p;
}

function f32(values: number[], shape: number[]): Tensor {
  return torch.tensor(values, { dtype: "float32" }).reshape(shape);
}

function seq(n: number, scale: number, shift = 0): number[] {
  return Array.from({ length: n }, (_, i) => (i - shift) / scale);
}

function hidden(o: object, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: false, writable: true, configurable: true });
}

/** A state_dict for tests/fixtures/gen_checkpoints.py's Net (Conv2d(2,3,3), BatchNorm2d(3), Linear(12,4)). */
export function stateDict(): Record<string, Tensor> {
  const sd: Record<string, Tensor> = {
    "conv.weight": f32(seq(54, 64, 27), [3, 2, 3, 3]),
    "conv.bias": f32([0.125, -0.25, 0.5], [3]),
    "bn.weight": f32([1, 1.5, 2], [3]),
    "bn.bias": f32([0, -0.5, 0.25], [3]),
    "bn.running_mean": f32([0.5, -0.125, 0.0625], [3]),
    "bn.running_var": f32([1, 2, 0.5], [3]),
    "bn.num_batches_tracked": torch.tensor(5),
    "fc.weight": f32(seq(48, 32, 24), [4, 12]),
    "fc.bias": f32([0.5, -0.5, 0.25, -0.25], [4]),
  };
  hidden(sd, "_metadata", {
    "": { version: 1 },
    conv: { version: 1 },
    bn: { version: 2 },
    fc: { version: 1 },
  });
  return sd;
}

/** Everything else: views, shared storage, Parameters, containers, primitives. */
export function mixed(): Record<string, unknown> {
  const base = f32(seq(12, 8), [3, 4]);
  const shared = f32([1.5, -2, 3.25, 0, 7, -1], [6]);
  const t = torch.tensor([[1, 2], [3, 4]]);
  const intKeys = new Map<unknown, unknown>([[0, "a"], [1, "b"]]);
  Object.defineProperty(intKeys, PY_TYPE, { value: "dict", enumerable: false });
  const plainDict = { x: 1, y: [2, 3] };
  Object.defineProperty(plainDict, PY_TYPE, { value: "dict", enumerable: false });
  const od = { b: torch.tensor([true, false, true]), a: 3 };
  hidden(od, "_metadata", { "": { version: 1 } });
  return {
    float32: f32([0.5, -1.25, 3, 1e-8, 2, -0], [2, 3]),
    int64: torch.tensor([-3, 0, 2147483647, -2147483648]),
    int32: torch.tensor([[7, -8]], { dtype: "int32" }),
    bool: torch.tensor([[true, false], [false, true]]),
    scalar: torch.tensor(2.5),
    empty: torch.zeros(0, 3),
    noncontig: base.index(":", "::2"),
    transposed: base.T,
    base,
    shared_whole: shared,
    shared_tail: shared.index("2:"),
    shared_view: shared.index("1:5").view(2, 2),
    expanded: f32([1, 2], [2, 1]).expand(2, 3),
    requires_grad: torch.tensor([0.5, 1.5], { requires_grad: true }),
    param: parameter(f32([1, -1], [1, 2])),
    param_frozen: parameter(f32([3], [1]), false),
    same_twice: [t, t],
    nested: {
      list: [1, 2.5, "x", null, true, Object.freeze([1, 2])],
      tuple: Object.freeze([torch.tensor([9]), [f32([8.5], [1])]]),
    },
    big_int: 2 ** 40,
    huge_int: 2n ** 70n,
    neg: -7,
    float: 0.1,
    negative_zero: -0,
    str: "héllo ✓",
    bytes: new Uint8Array([0, 255, 97, 98]),
    size: torch.Size([2, 3]),
    dtype: float32,
    device: torch.device("cpu"),
    int_keys: intKeys,
    digit_keys: new Map([["10", 1], ["2", 2]]),
    plain_dict: plainDict,
    set: new Set([3]),
    od,
  };
}

/** Loads PyTorch's state_dict fixture and writes it back. */
export function resaved(): unknown {
  return load(Deno.readFileSync(new URL("pt_state_dict.pt", FIXTURES)));
}

/** Tensors for safetensors. */
export function tensors(): Record<string, Tensor> {
  return {
    weight: f32([0.5, -1.25, 3, 1e-8, 2, -0], [2, 3]),
    ids: torch.tensor([5, -6, 2147483647]),
    i32: torch.tensor([1, 2], { dtype: "int32" }),
    mask: torch.tensor([true, false, true]),
    "10": f32([1], [1]),
    "2": f32([2], [1]),
  };
}

/** Every file this script writes: name → [the value saved, its bytes]. */
export function ours(): Record<string, [unknown, Uint8Array]> {
  const out: Record<string, [unknown, Uint8Array]> = {};
  const pt = (name: string, v: unknown) => (out[name] = [v, save_bytes(v, name.replace(/\.pt$/, ""))]);
  pt("ours_state_dict.pt", stateDict());
  pt("ours_mixed.pt", mixed());
  pt("ours_resaved.pt", resaved());
  const ts = tensors();
  out["ours.safetensors"] = [ts, safetensors.torch.save(ts, { format: "pt" })];
  return out;
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? FIXTURES.pathname;
  for (const [name, [, bytes]] of Object.entries(ours())) {
    Deno.writeFileSync(`${dir}/${name}`, bytes);
    console.log(`wrote ${dir}/${name} (${bytes.length} bytes)`);
  }
}
