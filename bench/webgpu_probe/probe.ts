// deno-lint-ignore-file no-import-prefix -- bundled with `deno bundle` to run where no import map or registry exists
// Raw tfjs-webgpu under Deno on a real GPU: does it start, and how fast are the kernels
// the facade will need (matmul, conv, conv gradients), timed with awaited readback.
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
const adapter = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
console.log(
  "adapter:",
  adapter ? JSON.stringify((adapter as unknown as { info: Record<string, unknown> }).info) : "none",
  "fallback:",
  adapter?.isFallbackAdapter,
);
const ok = await tf.setBackend("webgpu");
console.log("webgpu backend:", ok, tf.getBackend());
async function time(name: string, f: () => tf.Tensor, reps = 20) {
  for (let i = 0; i < 3; i++) {
    const r = f();
    await r.data();
    r.dispose();
  }
  const t0 = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < reps; i++) {
    last?.dispose();
    last = f();
  }
  await last!.data();
  last!.dispose();
  const ms = (performance.now() - t0) / reps;
  console.log(`RESULT webgpu ${name} ${ms.toFixed(3)} ms`);
}
const a = tf.randomNormal([1024, 1024]);
const b = tf.randomNormal([1024, 1024]);
await time("matmul1024", () => tf.matMul(a, b));
for (
  const [n, c, h, o, k] of [[4, 3, 32, 6, 5], [64, 3, 32, 6, 5], [64, 6, 14, 16, 5], [1, 64, 16, 64, 3], [
    32,
    64,
    56,
    64,
    3,
  ]]
) {
  const x = tf.randomNormal([n, h, h, c]);
  const w = tf.randomNormal([k, k, c, o]);
  await time(
    `conv_fwd_${n}x${c}x${h}->${o}k${k}`,
    () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "valid"),
  );
  const dy = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "valid");
  await time(
    `conv_dX_${n}x${c}x${h}->${o}k${k}`,
    () =>
      tf.conv2dTranspose(
        dy as tf.Tensor4D,
        w as tf.Tensor4D,
        x.shape as [number, number, number, number],
        1,
        "valid",
      ),
  );
  await time(
    `conv_dW_${n}x${c}x${h}->${o}k${k}`,
    () => (tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
      strides: 1,
      pad: "valid",
      dataFormat: "NHWC",
      filterShape: w.shape,
    }) as tf.Tensor),
  );
}
const big = tf.randomNormal([64, 3, 32, 32]);
await time("transpose_64x3x32x32", () => tf.transpose(big, [0, 2, 3, 1]));
await time("add_small", () => tf.add(tf.scalar(1), tf.scalar(2)), 200);
