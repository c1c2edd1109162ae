// torchvision's resnet18 rebuilt: seeded init, outputs, gradients, printed tree and
// state-dict keys equal torchvision's (fixture from real PyTorch), and pretrained weights
// load from PyTorch's cache directory.
import assert from "node:assert/strict";
import { torch } from "../../mod.ts";
import { models } from "../../lib/torchvision/models/models.ts";
import fx from "../fixtures/resnet18.json" with { type: "json" };

function close(got: number[], want: number[], rtol: number, what: string): void {
  got.forEach((g, i) => {
    const w = want[i];
    assert.ok(Math.abs(g - w) <= 1e-5 + rtol * Math.abs(w), `${what}[${i}]: got ${g}, want ${w}`);
  });
}

Deno.test("resnet18: seeded weights, outputs and gradients equal torchvision's", () => {
  torch.manual_seed(0);
  const m = models.resnet18();
  const data = torch.rand(1, 3, 64, 64);
  const p = m(data);
  close(m.conv1.weight.index(0, 0, 0).tolist() as number[], fx.conv1_w_first7, 1e-6, "conv1.weight");
  close(m.fc.bias!.index("0:5").tolist() as number[], fx.fc_bias_first5, 1e-6, "fc.bias");
  close(p.index(0, "0:8").tolist() as number[], fx.logits_first8, 1e-4, "logits");
  close([p.sum().item() as number], [fx.logits_sum], 1e-4, "logits sum");
  p.sum().backward();
  close(m.conv1.weight.grad!.index(0, 0, 0).tolist() as number[], fx.conv1_grad_first7, 2e-3, "conv1 grad");
  close([m.fc.weight.grad!.sum().item() as number], [fx.fc_grad_sum], 1e-3, "fc grad sum");
});

Deno.test("resnet18: printed tree, parameter names and state-dict keys", () => {
  const m = models.resnet18();
  assert.equal(String(m), fx.repr);
  assert.deepEqual([...m.named_parameters()].map(([n]) => n), fx.param_names);
  assert.deepEqual(Object.keys(m.state_dict()), fx.state_keys);
});

Deno.test("pretrained weights load from $TORCH_HOME/hub/checkpoints, else a clear error", () => {
  const home = Deno.makeTempDirSync();
  const old = Deno.env.get("TORCH_HOME");
  Deno.env.set("TORCH_HOME", home);
  try {
    const W = models.ResNet18_Weights.DEFAULT;
    // not cached and nothing to download from here: a clear error, nothing left behind
    const url = (W as unknown as { url: string }).url;
    Object.defineProperty(W, "url", {
      value: "http://127.0.0.1:9/resnet18-f37072fd.pth",
      configurable: true,
    });
    try {
      assert.throws(
        () => models.resnet18({ weights: W }),
        /Cannot load ResNet18_Weights\.IMAGENET1K_V1: resnet18-f37072fd\.pth is not in .*hub\/checkpoints and downloading it failed/s,
      );
    } finally {
      Object.defineProperty(W, "url", { value: url, configurable: true });
    }
    assert.deepEqual([...Deno.readDirSync(`${home}/hub/checkpoints`)], []);
    torch.manual_seed(3);
    const src = models.resnet18();
    Deno.mkdirSync(`${home}/hub/checkpoints`, { recursive: true });
    torch.save(src.state_dict(), W.cache_path());
    const m = models.resnet18({ weights: W }).eval();
    src.eval();
    const x = torch.rand(1, 3, 32, 32);
    assert.ok(torch.equal(m(x), src(x)));
    assert.equal(String(W), "ResNet18_Weights.IMAGENET1K_V1");
    assert.equal(W.meta.categories.length, 1000);
  } finally {
    if (old === undefined) Deno.env.delete("TORCH_HOME");
    else Deno.env.set("TORCH_HOME", old);
    Deno.removeSync(home, { recursive: true });
  }
});
