/**
 * Kernels compiled to WebAssembly on the wasm heap (engine/kernels.ts, engine/wasm.ts):
 * `heapTranspose` (for `tf.transpose` around convolutions) against `tf.transpose` over every
 * permutation of assorted shapes, element for element; the small products of `nn.Linear`
 * (`heapLinear` and its gradients) against `tf.matMul`, and through `nn.Linear` itself.
 */
import assert from "node:assert/strict";
import { nn, type Tensor, torch } from "../../mod.ts";
import { tf } from "../../lib/engine/backend.ts";
import {
  heapLinear,
  heapLinearGradInput,
  heapLinearGradWeight,
  heapTranspose,
  onWasm,
} from "../../lib/engine/kernels.ts";

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])
  );
}

const SHAPES = [[7], [3, 5], [1, 4], [2, 3, 4], [4, 1, 3], [2, 3, 5, 7], [4, 3, 32, 32], [4, 28, 28, 6], [
  1,
  64,
  4,
  4,
]];

Deno.test("heapTranspose: every permutation matches tf.transpose", () => {
  const onWasmBackend = onWasm(torch.zeros(1)._storage.engine());
  let ran = 0;
  for (const shape of SHAPES) {
    for (const perm of permutations(shape.length)) {
      for (const dtype of ["float32", "int32"] as const) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(Array.from({ length: n }, (_, i) => (i * 7919) % 1000 - 500), shape, dtype);
        const got = heapTranspose(x, perm);
        const want = tf.transpose(x, perm);
        if (got !== null) {
          ran++;
          assert.deepEqual(got.shape, want.shape, `${shape} ${perm}`);
          assert.equal(got.dtype, dtype);
          assert.deepEqual(
            Array.from(got.dataSync()),
            Array.from(want.dataSync()),
            `${shape} ${perm} ${dtype}`,
          );
          got.dispose();
        }
        want.dispose();
        x.dispose();
      }
    }
  }
  if (onWasmBackend) assert.ok(ran > 100, `the wasm path ran (${ran})`);
});

/**
 * Largest difference relative to the reference's largest magnitude: products summed in another
 * order differ by float32 rounding of the partial sums, which scale with the largest values,
 * not with each (possibly tiny) result.
 */
function relErr(got: tf.Tensor, want: tf.Tensor): number {
  assert.deepEqual(got.shape, want.shape);
  const a = got.dataSync();
  const b = want.dataSync();
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / scale);
  return e;
}

Deno.test("heapLinear and its gradients match tf.matMul (odd sizes, with and without bias)", () => {
  if (!onWasm(torch.zeros(1)._storage.engine())) return; // the wasm backend's kernels
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [4, 120, 400], [8, 84, 120], [5, 10, 84], [6, 9, 3]]) {
    // seeded: the same data every run
    const x = tf.randomNormal([m, k], 0, 1, "float32", 1);
    const w = tf.randomNormal([n, k], 0, 1, "float32", 2);
    const b = tf.randomNormal([n], 0, 1, "float32", 3);
    const g = tf.randomNormal([m, n], 0, 1, "float32", 4);
    const y = heapLinear(x, w, b)!;
    assert.ok(relErr(y, tf.add(tf.matMul(x, w, false, true), b)) < 1e-5, `forward ${m}x${n}x${k}`);
    assert.ok(relErr(heapLinear(x, w, null)!, tf.matMul(x, w, false, true)) < 1e-5, `no bias ${m}x${n}x${k}`);
    assert.ok(relErr(heapLinearGradInput(g, w)!, tf.matMul(g, w)) < 1e-5, `input grad ${m}x${n}x${k}`);
    assert.ok(
      relErr(heapLinearGradWeight(g, x)!, tf.matMul(g, x, true, false)) < 1e-5,
      `weight grad ${m}x${n}x${k}`,
    );
  }
  assert.equal(heapLinear(tf.zeros([2, 3], "int32"), tf.zeros([4, 3]), null), null, "float32 only");
});

Deno.test("nn.Linear: a few rows (compiled kernels) agree with many rows (the engine's products)", () => {
  torch.manual_seed(2);
  const lin = nn.Linear(37, 11);
  const x = torch.randn(12, 37);
  const few = x.narrow(0, 0, 3).contiguous().requires_grad_();
  const many = x.clone().requires_grad_();
  lin.zero_grad();
  lin(few).pow(2).sum().backward();
  const wFew = (lin.weight.grad as Tensor).tolist() as number[][];
  lin.zero_grad();
  // the same three rows, padded with zero rows that add nothing to the weight's gradient
  const mask = torch.zeros(12, 1);
  torch.no_grad(() => mask.narrow(0, 0, 3).fill_(1));
  lin(many).mul(mask).pow(2).sum().backward();
  const wMany = (lin.weight.grad as Tensor).tolist() as number[][];
  wFew.forEach((row, i) =>
    row.forEach((v, j) => assert.ok(Math.abs(v - wMany[i][j]) < 1e-4 * (1 + Math.abs(v))))
  );
  const gFew = (few.grad as Tensor).tolist() as number[][];
  const gMany = ((many.grad as Tensor).narrow(0, 0, 3)).tolist() as number[][];
  gFew.forEach((row, i) =>
    row.forEach((v, j) => assert.ok(Math.abs(v - gMany[i][j]) < 1e-4 * (1 + Math.abs(v))))
  );
  assert.equal(lin(few).grad_fn?.name(), "AddmmBackward0");
});
