/**
 * torchvision.transforms against tests/fixtures/vision.json (torchvision 0.14 + Pillow 9.4 +
 * PyTorch 1.13, written by tests/fixtures/gen_data.py): Image results byte for byte, tensor
 * results exactly or within float rounding, random transforms draw for draw after manual_seed.
 */
import assert from "node:assert/strict";
import { torch } from "../../mod.ts";
import type { Tensor } from "../../lib/tensor/tensor.ts";
import { Image } from "../../lib/torchvision/image.ts";
import * as T from "../../lib/torchvision/transforms.ts";
import { f32, fnv1a32, image, maxDiff, vision } from "./_fixture.ts";
import { decodeBase64 } from "./_b64.ts";

const tv = vision.transforms;
const imgs: Record<string, Image> = Object.fromEntries(
  Object.entries(tv.images).map(([k, v]) => [k, image(v as never)]),
);
const F = T.functional;

function values(t: Tensor): Float32Array {
  return t.data_sync() as Float32Array;
}

function sameImage(got: unknown, want: { mode: string; size: number[]; data: string }): string | null {
  if (!(got instanceof Image)) return `not an Image: ${got}`;
  if (got.mode !== want.mode || got.width !== want.size[0] || got.height !== want.size[1]) {
    return `got ${got.mode} ${got.width}x${got.height}, want ${want.mode} ${want.size[0]}x${want.size[1]}`;
  }
  const w = decodeBase64(want.data);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < w.length; i++) {
    if (got.data[i] !== w[i]) {
      bad++;
      if (first < 0) first = i;
    }
  }
  return bad ? `${bad} bytes differ (first at ${first}: ${got.data[first]} vs ${w[first]})` : null;
}

function randAfter(want: string): string | null {
  const got = torch.rand(2).data_sync() as Float32Array;
  return maxDiff(got, f32(want)) === 0 ? null : "the global generator is not where PyTorch left it";
}

function check(failures: string[], label: string, problem: string | null): void {
  if (problem) failures.push(`${label}: ${problem}`);
}

Deno.test("ToTensor and Normalize equal torchvision's", () => {
  const failures: string[] = [];
  check(
    failures,
    "byte_to_unit",
    maxDiff(values(F.to_tensor(Image.new("L", [256, 1], 0))), new Float32Array(256)) === 0 ? null : "zeros",
  );
  const ramp = new Image(Uint8Array.from({ length: 256 }, (_, i) => i), 256, 1, "L");
  check(
    failures,
    "byte_to_unit",
    maxDiff(values(F.to_tensor(ramp)), f32(tv.byte_to_unit)) === 0 ? null : "x / 255",
  );
  for (const k of ["rgb", "gray"]) {
    const d = maxDiff(values(T.ToTensor()(imgs[k])), f32(tv.to_tensor[k]));
    check(failures, `to_tensor ${k}`, d === 0 ? null : `max diff ${d}`);
  }
  const n = T.Normalize(tv.normalize.mean, tv.normalize.std);
  const d1 = maxDiff(values(n(T.ToTensor()(imgs.rgb))), f32(tv.normalize.values));
  check(failures, "normalize (tensor ops)", d1 === 0 ? null : `max diff ${d1}`);
  const fused = T.Compose([T.ToTensor(), T.Normalize(tv.normalize.mean, tv.normalize.std)])(imgs.rgb);
  const d2 = maxDiff(values(fused), f32(tv.normalize.values));
  check(failures, "normalize (Compose on pixels)", d2 === 0 ? null : `max diff ${d2}`);
  const half = T.Compose([T.ToTensor(), T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])])(imgs.rgb);
  const d3 = maxDiff(values(half), f32(tv.normalize_half));
  check(failures, "normalize 0.5", d3 === 0 ? null : `max diff ${d3}`);
  assert.deepEqual(failures, []);
});

Deno.test("Normalize errors as torchvision's", () => {
  const x = torch.rand(3, 2, 2);
  assert.throws(() => T.Normalize([0.5], [0])(x), /std evaluated to zero after conversion to torch.float32/);
  assert.throws(() => T.Normalize([0.5, 0.5], [1, 1])(x), /doesn't match the broadcast shape \[2, 2, 2\]/);
  assert.throws(
    () => T.Normalize([0.5], [1])(torch.ones(2, 2)),
    /Expected tensor to be a tensor image of size/,
  );
  assert.throws(() => T.Normalize([0.5], [1])(torch.tensor([[[1, 2], [3, 4]]])), /should be a float tensor/);
  assert.throws(() => T.ToTensor()(x), /pic should be PIL Image or ndarray. Got <class 'torch.Tensor'>/);
});

Deno.test("CenterCrop equals torchvision's on images and tensors", () => {
  const failures: string[] = [];
  for (const c of tv.center_crop) {
    const label = `center_crop ${c.image} ${JSON.stringify(c.size)}`;
    check(failures, label, sameImage(T.CenterCrop(c.size)(imgs[c.image]), c.pil));
    const t = T.CenterCrop(c.size)(T.ToTensor()(imgs[c.image])) as Tensor;
    const d = maxDiff(values(t), f32(c.tensor));
    check(failures, label + " (tensor)", d === 0 ? null : `max diff ${d}`);
  }
  assert.deepEqual(failures, []);
});

Deno.test("Resize equals Pillow on images and interpolate on tensors", () => {
  const failures: string[] = [];
  for (const r of tv.resize) {
    const label = `resize ${r.image} ${JSON.stringify(r.size)} ${r.mode}`;
    check(failures, label, sameImage(T.Resize(r.size, r.mode)(imgs[r.image]), r.pil));
    if (r.tensor) {
      const t = T.Resize(r.size, r.mode)(T.ToTensor()(imgs[r.image])) as Tensor;
      const d = maxDiff(values(t), f32(r.tensor));
      check(failures, label + " (tensor)", d <= (r.mode === "nearest" ? 0 : 2e-6) ? null : `max diff ${d}`);
    }
    if (r.tensor_aa) {
      const t = T.Resize(r.size, r.mode, null, true)(T.ToTensor()(imgs[r.image])) as Tensor;
      const d = maxDiff(values(t), f32(r.tensor_aa));
      check(failures, label + " (tensor, antialias)", d <= 2e-6 ? null : `max diff ${d}`);
    }
  }
  const m = tv.resize_max_size;
  check(failures, "resize max_size", sameImage(T.Resize(m.size, { max_size: m.max_size })(imgs.big), m.pil));
  assert.deepEqual(failures, []);
});

Deno.test("Pad equals torchvision's in every padding mode", () => {
  const failures: string[] = [];
  for (const p of tv.pad) {
    const label = `pad ${p.image} ${JSON.stringify(p.padding)} ${p.mode}`;
    check(failures, label, sameImage(T.Pad(p.padding, p.fill, p.mode)(imgs[p.image]), p.pil));
    if (p.tensor) {
      const t = T.Pad(p.padding, { fill: p.fill, padding_mode: p.mode })(
        T.ToTensor()(imgs[p.image]),
      ) as Tensor;
      const d = maxDiff(values(t), f32(p.tensor));
      check(failures, label + " (tensor)", d === 0 ? null : `max diff ${d}`);
    }
  }
  assert.deepEqual(failures, []);
});

Deno.test("flips equal torchvision's", () => {
  assert.equal(sameImage(F.hflip(imgs.rgb), tv.flip.h), null);
  assert.equal(sameImage(F.vflip(imgs.rgb), tv.flip.v), null);
  assert.equal(maxDiff(values(F.hflip(T.ToTensor()(imgs.rgb)) as Tensor), f32(tv.flip.h_tensor)), 0);
});

Deno.test("random transforms make PyTorch's choices after manual_seed", () => {
  const failures: string[] = [];
  for (const c of tv.random_crop) {
    torch.manual_seed(c.seed);
    const t = c.kind === "pad2"
      ? T.RandomCrop(4, { padding: 2 })
      : c.kind === "reflect"
      ? T.RandomCrop([3, 5], { padding: [1, 2], padding_mode: "reflect" })
      : c.kind === "pad_if_needed"
      ? T.RandomCrop(8, { pad_if_needed: true, fill: 9 })
      : T.RandomCrop(4, { padding: 1 });
    const src = c.kind === "reflect" ? imgs.gray : imgs.rgb;
    c.outputs.forEach((want: never, i: number) => {
      const label = `random_crop ${c.kind} seed ${c.seed} #${i}`;
      if (c.kind === "tensor") {
        const d = maxDiff(values(t(T.ToTensor()(src)) as Tensor), f32(want));
        check(failures, label, d === 0 ? null : `max diff ${d}`);
      } else check(failures, label, sameImage(t(src), want));
    });
    check(failures, `random_crop ${c.kind} seed ${c.seed}`, randAfter(c.rand_after));
  }
  for (const c of tv.random_flip) {
    torch.manual_seed(c.seed);
    const t = c.kind === "h" ? T.RandomHorizontalFlip() : T.RandomVerticalFlip(c.p);
    const flipped = c.flipped.map(() => t(imgs.rgb) !== imgs.rgb);
    check(
      failures,
      `flip ${c.kind} seed ${c.seed}`,
      JSON.stringify(flipped) === JSON.stringify(c.flipped) ? null : JSON.stringify(flipped),
    );
    check(failures, `flip ${c.kind} seed ${c.seed}`, randAfter(c.rand_after));
  }
  for (const c of tv.random_resized_crop) {
    torch.manual_seed(c.seed);
    const t = T.RandomResizedCrop(5);
    c.outputs.forEach((want: never, i: number) =>
      check(failures, `rrc seed ${c.seed} #${i}`, sameImage(t(imgs.big), want))
    );
    check(failures, `rrc seed ${c.seed}`, randAfter(c.rand_after));
  }
  // CIFAR-10's augmentation pipeline, four draws
  const aug = T.Compose([
    T.RandomCrop(32, { padding: 4 }),
    T.RandomHorizontalFlip(),
    T.ToTensor(),
    T.Normalize([0.4914, 0.4822, 0.4465], [0.247, 0.243, 0.261]),
  ]);
  torch.manual_seed(0);
  for (const want of tv.cifar_augment.outputs) {
    const v = values(aug(imgs.cifar));
    check(
      failures,
      "cifar augment",
      fnv1a32(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) === want.fnv1a32 ? null : "values differ",
    );
  }
  check(failures, "cifar augment", randAfter(tv.cifar_augment.rand_after));
  assert.deepEqual(failures, []);
});

Deno.test("ToPILImage converts as mul(255).byte() does", () => {
  for (const c of [tv.to_pil_image, tv.to_pil_image_rgb]) {
    const x = torch.tensor(f32(c.input)).view(c.shape);
    assert.equal(sameImage(T.ToPILImage()(x), c.pil), null);
  }
  assert.throws(() => T.ToPILImage()(torch.rand(2, 3, 4)), /2-channel images are not supported/);
  assert.throws(() => T.ToPILImage("L")(torch.rand(3, 2, 2)), /Incorrect mode \(L\)/);
});

Deno.test("transform reprs are torchvision's", () => {
  const r = tv.reprs;
  assert.equal(String(T.Compose([T.ToTensor(), T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])])), r.compose);
  assert.equal(String(T.RandomCrop(32, { padding: 4 })), r.random_crop);
  assert.equal(String(T.RandomCrop([3, 4])), r.random_crop_none);
  assert.equal(String(T.RandomHorizontalFlip()), r.hflip);
  assert.equal(String(T.RandomVerticalFlip(0.3)), r.vflip);
  assert.equal(String(T.Resize(256)), r.resize);
  assert.equal(String(T.Resize([3, 4])), r.resize_hw);
  assert.equal(String(T.CenterCrop(224)), r.center_crop);
  assert.equal(String(T.Lambda((x: unknown) => x)), r.lambda);
  assert.equal(String(T.Pad(4)), r.pad);
  assert.equal(String(T.Pad([1, 2], { fill: 3, padding_mode: "edge" })), r.pad_edge);
  assert.equal(String(T.ToPILImage()), r.to_pil);
  assert.equal(String(T.ToPILImage("L")), r.to_pil_l);
  assert.equal(String(T.RandomResizedCrop(224)), r.rrc);
  assert.equal(Deno.inspect(T.ToTensor()), "ToTensor()");
});

Deno.test("transforms are callable objects made with or without new", () => {
  const t = new T.ToTensor();
  assert.equal(typeof t, "function");
  assert.ok(T.ToTensor() instanceof T.ToTensor);
  assert.deepEqual([...(t(imgs.rgb) as Tensor).shape], [3, 5, 7]);
  const lam = T.Lambda((x: number) => x + 1);
  assert.equal(lam(1), 2);
  assert.equal(T.Compose([lam, (x: number) => x * 10])(1), 20);
  assert.throws(() => T.Lambda(3 as never), /Argument lambd should be callable/);
  assert.throws(() => T.RandomCrop(3, { paddin: 1 }), /unexpected keyword argument 'paddin'/);
  assert.throws(
    () => T.RandomCrop(9)(imgs.rgb),
    /Required crop size \(9, 9\) is larger than input image size \(5, 7\)/,
  );
  assert.throws(() => T.Resize([1, 2, 3]), /should have 1 or 2 values/);
  assert.throws(() => T.Pad(1, 0, "wrap" as never), /Padding mode should be either/);
});
