/**
 * Helpers shared by the torchvision tests: decoding tests/fixtures/vision.json (base64 float32 and
 * image bytes), comparing values, and where the shared CIFAR-10 archive is.
 */
import { decodeBase64 } from "./_b64.ts";
import { Image } from "../../lib/torchvision/image.ts";
import fixture from "../fixtures/vision.json" with { type: "json" };

// deno-lint-ignore no-explicit-any
export const vision = fixture as any;

/** `../shared/datasets/cifar-10-binary.tar.gz` beside the project root. */
export const SHARED_ARCHIVE =
  new URL("../../../shared/datasets/cifar-10-binary.tar.gz", import.meta.url).pathname;
/** Whether the shared archive is there (CI has `../shared` beside the project). */
export const HAVE_ARCHIVE = (() => {
  try {
    return Deno.statSync(SHARED_ARCHIVE).isFile;
  } catch {
    return false;
  }
})();

/** Its MD5 (it differs from the official archive's). */
export const SHARED_MD5 = "bc270918b8fcd00b2f297b0c09c93642";

/** Float32 values from the fixture's base64. */
export function f32(b64: string): Float32Array {
  const bytes = decodeBase64(b64);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** An Image from the fixture's `{ mode, size, data }`. */
export function image(x: { mode: "L" | "RGB"; size: [number, number]; data: string }): Image {
  return new Image(decodeBase64(x.data), x.size[0], x.size[1], x.mode);
}

/** The largest |a - b|. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** FNV-1a (32-bit) of bytes, as gen_data.py computes it. */
export function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** An IDX file (MNIST's format) of unsigned bytes. */
export function idx(shape: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * shape.length);
  const dv = new DataView(head.buffer);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((d, i) => dv.setInt32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}
