/**
 * Autograd and engine memory: a long forward/backward loop stays within the
 * engine's bounds (and leaks no engine tensors), and backward without
 * retain_graph frees the tensors the graph saved, so a graph that is still
 * referenced (e.g. by `loss`) no longer pins engine memory.
 */
import assert from "node:assert/strict";
import { Tensor, torch } from "../../mod.ts";
import type { Node } from "../../lib/autograd/node.ts";

const gc = (globalThis as { gc?: () => void }).gc;

function withLimits<T>(maxBytes: number, maxTensors: number, body: () => T): T {
  const old = { ...torch.memory_limits };
  torch.memory_limits.maxBytes = maxBytes;
  torch.memory_limits.maxTensors = maxTensors;
  try {
    return body();
  } finally {
    Object.assign(torch.memory_limits, old);
  }
}

/** Every node of the graph behind `t`. */
function nodesOf(t: Tensor): Node[] {
  const seen = new Set<Node>();
  const stack = [t.grad_fn as unknown as Node];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const [next] of n.next_functions) if (next) stack.push(next);
  }
  return [...seen];
}

/** Lets finalizers run: collect, then turn the event loop a few times. */
async function settle(): Promise<void> {
  for (let k = 0; k < 4; k++) {
    gc!();
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("a 10,000-step forward/backward loop keeps engine memory bounded", () => {
  const budget = 512 * 1024;
  const maxTensors = 500;
  torch.manual_seed(0);
  const w = torch.randn(8, 4).mul(0.1).requires_grad_();
  const x = torch.rand(8, 4);
  const y = torch.rand(8, 4);
  const start = torch.memory_stats();
  const { peakBytes, peakStorages, peakTensors, first, last } = withLimits(budget, maxTensors, () => {
    let peakBytes = 0;
    let peakStorages = 0;
    let peakTensors = 0;
    let first = 0;
    let last = 0;
    for (let step = 0; step < 10000; step++) {
      const loss = x.mul(w).tanh().sub(y).square().sum();
      loss.backward();
      torch.no_grad(() => w.sub_(w.grad!.mul(0.1)));
      // alternate the two ways of clearing: set_to_none, and zeroing in place
      if (step % 2 === 0) w.grad = null;
      else w.grad!.zero_();
      if (step % 250 === 0) {
        const m = torch.memory_stats();
        peakBytes = Math.max(peakBytes, m.resident_bytes);
        peakStorages = Math.max(peakStorages, m.resident_storages);
        peakTensors = Math.max(peakTensors, m.engine_tensors);
        if (step === 0) first = loss.item() as number;
        last = loss.item() as number;
      }
    }
    return { peakBytes, peakStorages, peakTensors, first, last };
  });
  // ~15 new storages a step: 150,000 over the loop, all dead but not yet collected
  assert.ok(peakBytes <= budget + 16 * 1024, `resident bytes peaked at ${peakBytes}`);
  assert.ok(peakStorages <= maxTensors + 1, `resident storages peaked at ${peakStorages}`);
  // engine tensors are storages' data only: no temporaries leak from forward or backward
  assert.ok(
    peakTensors <= Math.max(start.engine_tensors, start.resident_storages) + maxTensors + 16,
    `engine tensors peaked at ${peakTensors} (started at ${start.engine_tensors})`,
  );
  assert.ok(last < first, `the loop learned (${first} → ${last})`);
});

Deno.test("backward without retain_graph frees every saved tensor of the graph", () => {
  torch.manual_seed(0);
  const w = torch.randn(4, 3, { requires_grad: true });
  const x = torch.rand(5, 4);
  const loss = x.matmul(w).sigmoid().mul(x.sum(1, true)).log().std().div(w.prod());
  const nodes = nodesOf(loss);
  const saving = nodes.filter((n) => n._saved !== null);
  assert.ok(saving.length >= 5, `several nodes save tensors (${saving.length})`);
  loss.backward({ retain_graph: true });
  assert.ok(saving.every((n) => n._saved !== null), "retain_graph keeps them");
  loss.backward();
  assert.ok(nodes.every((n) => n._saved === null), "a backward without retain_graph frees them all");
  assert.throws(() => loss.backward(), /backward through the graph a second time/);
});

Deno.test("torch.autograd.grad frees the graph too, unless retain_graph or create_graph", () => {
  const w = torch.rand(3, { requires_grad: true });
  const y = w.exp().mul(w).sum();
  const nodes = nodesOf(y);
  torch.autograd.grad(y, w, { create_graph: true });
  assert.ok(nodes.some((n) => n._saved !== null), "create_graph retains");
  torch.autograd.grad(y, w);
  assert.ok(nodes.every((n) => n._saved === null));
});

Deno.test("a referenced graph no longer pins engine memory after backward", async () => {
  if (!gc) {
    console.log("skipped: run with --v8-flags=--expose-gc to force collection");
    return;
  }
  const n = 256; // 256 KB per float32 intermediate
  const leafBytes = 4 * n * n;
  /** A graph over many kinds of op, each saving (or, wrongly, capturing) big tensors. */
  const build = (w: Tensor) => {
    const h = w.clone().permute(1, 0).mul(w).tanh();
    const [top, bottom] = h.split(n / 2);
    const c = torch.cat([bottom, top]).exp();
    const s = torch.stack([c, h]).sigmoid();
    const m = s.max(0).values.index([0, 5, 7]).square();
    const q = (torch.where(w.gt(0.5), w.clamp(0.1, 0.9), w.sqrt()) as Tensor).log();
    const r = w.matmul(w.t()).relu().mean();
    const v = h.reshape(-1).unsqueeze(0).squeeze().pow(2).sum();
    const z = w.mul(1);
    z.index_put_([3], 0); // CopySlices
    return m.sum().add(q.sum()).add(r).add(v).add(z.std()).add(h.unbind(0)[2].prod());
  };
  const run = async (retain: boolean) => {
    await settle();
    const before = torch.memory_stats().engine_bytes;
    const w = torch.rand(n, n).requires_grad_();
    const loss = build(w);
    await settle();
    const held = torch.memory_stats().engine_bytes - before;
    loss.backward({ retain_graph: retain });
    w.grad = null;
    await settle();
    const after = torch.memory_stats().engine_bytes - before;
    assert.ok(loss.requires_grad); // loss, and so its whole graph, is alive until here
    return { held, after };
  };
  const freed = await run(false);
  assert.ok(freed.held >= 10 * leafBytes, `the graph held its saved tensors (${freed.held} bytes)`);
  // w itself, and nothing but small leftovers (scalars, indices)
  assert.ok(freed.after <= leafBytes + 16 * 1024, `after backward only w is left (${freed.after} bytes)`);
  const kept = await run(true);
  assert.ok(kept.after >= 10 * leafBytes, `retain_graph keeps them (${kept.after} bytes)`);
});

Deno.test("retain_graph in a loop does not pile up: the same saved tensors serve every backward", async () => {
  torch.manual_seed(0);
  const w = torch.randn(100, { requires_grad: true });
  const loss = w.tanh().mul(w).sum();
  loss.backward({ retain_graph: true });
  if (gc) await settle();
  const start = torch.memory_stats().engine_tensors;
  for (let i = 0; i < 200; i++) loss.backward({ retain_graph: true });
  if (gc) await settle();
  assert.ok(torch.memory_stats().engine_tensors <= start + 8, "no growth across retained backwards");
  assert.ok(torch.allclose(w.grad!, w.tanh().add(w.mul(w.tanh().square().neg().add(1))).mul(201)));
});
