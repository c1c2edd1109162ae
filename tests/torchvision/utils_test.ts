/**
 * make_grid and save_image against torchvision's (tests/fixtures/vision.json), the PNG codec, and
 * imshow's terminal drawing (24-bit colour half blocks) and its errors.
 */
import assert from "node:assert/strict";
import { torch } from "../../mod.ts";
import { Image } from "../../lib/torchvision/image.ts";
import { decodePNG, encodePNG } from "../../lib/torchvision/png.ts";
import { imshow, make_grid, save_image } from "../../lib/torchvision/utils.ts";
import { f32, image, maxDiff, vision } from "./_fixture.ts";
import { decodeBase64 } from "./_b64.ts";

Deno.test("make_grid equals torchvision's", () => {
  for (const c of vision.make_grid) {
    const x = torch.tensor(f32(c.input)).view(c.shape);
    const g = make_grid(x, c.kwargs);
    assert.deepEqual([...g.shape], c.out_shape, JSON.stringify(c.kwargs));
    const d = maxDiff(g.data_sync(), f32(c.output));
    assert.ok(d <= (c.kwargs.normalize ? 1e-6 : 0), `${JSON.stringify(c.kwargs)}: max diff ${d}`);
  }
  const list = make_grid([torch.ones(3, 2, 2), torch.zeros(3, 2, 2)], { padding: 1 });
  assert.equal(String(list.shape), "torch.Size([3, 4, 7])");
  assert.equal(String(make_grid(torch.rand(4, 3, 32, 32)).shape), "torch.Size([3, 36, 138])");
  assert.throws(() => make_grid(torch.rand(2, 2, 2, 2, 2)), /make_grid expects images of shape/);
});

Deno.test("save_image writes torchvision's pixels as a PNG, atomically", () => {
  const c = vision.save_image;
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/grid.png`;
    save_image(torch.tensor(f32(c.input)).view(c.shape), path, c.kwargs);
    const png = decodePNG(Deno.readFileSync(path));
    const want = image(c.png);
    assert.deepEqual([png.width, png.height, png.channels], [want.width, want.height, 3]);
    assert.deepEqual(png.pixels, want.data);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["grid.png"]);
    assert.throws(() => save_image(torch.rand(3, 2, 2), `${dir}/x.jpg`), /only PNG is supported here/);
    // Image.save and the codec round trip, gray and RGB
    const gray = new Image(Uint8Array.from({ length: 35 }, (_, i) => i * 7), 5, 7, "L");
    gray.save(`${dir}/g.png`);
    const back = decodePNG(Deno.readFileSync(`${dir}/g.png`));
    assert.deepEqual([back.width, back.height, back.channels], [5, 7, 1]);
    assert.deepEqual(back.pixels, gray.data);
    const rgb = image(vision.transforms.images.big);
    assert.deepEqual(decodePNG(encodePNG(rgb.data, rgb.width, rgb.height, 3)).pixels, rgb.data);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

function draw(img: Parameters<typeof imshow>[0], opts: Parameters<typeof imshow>[1] = {}): string {
  const out: Uint8Array[] = [];
  imshow(img, { ...opts, stream: { writeSync: (b) => (out.push(b), b.length) } });
  return out.map((b) => new TextDecoder().decode(b)).join("");
}

Deno.test("imshow draws two pixel rows per line with 24-bit colours", () => {
  // 3 rows x 2 columns: red green / blue white / black gray
  const t = torch.tensor([
    [[1, 0], [0, 1], [0, 0.5]],
    [[0, 1], [0, 1], [0, 0.5]],
    [[0, 0], [1, 1], [0, 0.5]],
  ], { dtype: "float32" });
  assert.equal(
    draw(t),
    "\x1b[38;2;255;0;0m\x1b[48;2;0;0;255m▀\x1b[38;2;0;255;0m\x1b[48;2;255;255;255m▀\x1b[0m\n" +
      "\x1b[38;2;0;0;0m\x1b[49m▀\x1b[38;2;128;128;128m▀\x1b[0m\n",
  );
  // an image given channels-last (as matplotlib takes it), and as an Image, draws the same
  const r = torch.rand(3, 4, 5);
  assert.equal(draw(r.permute(1, 2, 0)), draw(r));
  assert.equal(
    draw(
      new Image(
        Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 128, 128, 128]),
        2,
        3,
      ),
    ),
    draw(t),
  );
  // floats are clipped to [0, 1]; gray images use one level for all three
  assert.equal(
    draw(torch.tensor([[-1, 2]], { dtype: "float32" })),
    "\x1b[38;2;0;0;0m\x1b[49m▀\x1b[38;2;255;255;255m▀\x1b[0m\n",
  );
  // wide images are scaled down to the width asked for; scale enlarges
  const lines = draw(torch.rand(3, 36, 138), { width: 69 }).trimEnd().split("\n");
  assert.equal(lines.length, 9);
  // deno-lint-ignore no-control-regex
  assert.equal([...lines[0].replace(/\x1b\[[0-9;]*m/g, "")].length, 69);
  assert.equal(draw(torch.rand(1, 2, 2), { scale: 3 }).split("\n").length - 1, 3);
});

Deno.test("imshow rejects what is not an image, naming the shape", () => {
  assert.throws(
    () => draw(torch.rand(4, 3, 32, 32)),
    /Invalid shape \(4, 3, 32, 32\) for image data: .*; for a batch, draw imshow\(torchvision\.utils\.make_grid\(images\)\)/,
  );
  assert.throws(() => draw(torch.rand(2, 5, 5)), /Invalid shape \(2, 5, 5\) for image data/);
  assert.throws(() => draw(torch.rand(5)), /Invalid shape \(5\) for image data/);
  assert.throws(() => draw("cat" as never), /imshow expects a Tensor or an Image/);
  assert.throws(() => draw(torch.rand(3, 2, 2), { scale: 0 }), /scale must be a positive integer/);
});

Deno.test("the PNG decoder reads what Pillow wrote", () => {
  // torchvision's save_image output, re-encoded by PIL in gen_data.py, round-trips through our codec
  const want = decodeBase64(vision.save_image.png.data);
  const [w, h] = vision.save_image.png.size;
  assert.deepEqual(decodePNG(encodePNG(want, w, h, 3)).pixels, want);
});
