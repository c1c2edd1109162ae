// Engine memory is owned: a synchronous loop that drops its tensors keeps
// engine memory bounded (spilling), spilled tensors stay correct, and dead
// tensors are released once the event loop turns.
import assert from "node:assert/strict";
import { torch } from "../../mod.ts";

const gc = (globalThis as { gc?: () => void }).gc;

function withLimits(maxBytes: number, maxTensors: number, body: () => void): void {
  const old = { ...torch.memory_limits };
  torch.memory_limits.maxBytes = maxBytes;
  torch.memory_limits.maxTensors = maxTensors;
  try {
    body();
  } finally {
    Object.assign(torch.memory_limits, old);
  }
}

Deno.test("a plain `x = x.add(1)` loop keeps engine memory bounded", () => {
  const budget = 8 * 1024 * 1024;
  withLimits(budget, 2000, () => {
    let x = torch.zeros(10000); // 40 kB
    let peak = 0;
    for (let i = 0; i < 20000; i++) {
      x = x.add(1);
      if (i % 500 === 0) peak = Math.max(peak, torch.memory_stats().resident_bytes);
    }
    // 20,000 × 40 kB = 800 MB would be resident without ownership
    assert.ok(peak <= budget + 80000, `resident bytes peaked at ${peak}`);
    assert.ok(torch.memory_stats().engine_bytes < 64 * 1024 * 1024);
    assert.equal(x.index(0).item(), 20000);
    assert.equal(x.sum().item(), 20000 * 10000);
  });
});

Deno.test("the same loop with many small tensors is bounded by count", () => {
  withLimits(1 << 30, 1000, () => {
    let s = torch.tensor(0);
    for (let i = 0; i < 10000; i++) s = s.add(1);
    assert.ok(torch.memory_stats().resident_storages <= 1001);
    assert.equal(s.item(), 10000);
  });
});

Deno.test("spilled tensors keep their values, views and in-place writes", () => {
  torch.manual_seed(0);
  const a = torch.rand(50, 40);
  const before = a.tolist();
  const v = a.index(":", "1:3");
  withLimits(1 << 30, 50, () => {
    for (let i = 0; i < 500; i++) torch.ones(3).mul(2);
  });
  assert.ok(torch.memory_stats().spills > 0);
  assert.deepEqual(a.tolist(), before); // read back from the spilled copy
  v.fill_(7); // write through a view of a spilled storage
  assert.equal(a.index(4, 2).item(), 7);
  assert.equal(a.index(4, 0).item(), (before as number[][])[4][0]);
});

Deno.test("dead tensors are released after the event loop turns", async () => {
  if (!gc) {
    console.log("skipped: run with --v8-flags=--expose-gc to force collection");
    return;
  }
  const start = torch.memory_stats().finalized;
  (() => {
    for (let i = 0; i < 200; i++) torch.ones(1000).add(i);
  })();
  for (let k = 0; k < 5 && torch.memory_stats().finalized - start < 200; k++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(torch.memory_stats().finalized - start >= 200, "finalizers released the dead storages");
});
