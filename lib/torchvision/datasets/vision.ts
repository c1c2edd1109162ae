/**
 * `VisionDataset`: the base of torchvision's datasets (root, transforms, and its repr).
 * @module
 */
import { Dataset } from "../../data/dataset.ts";
import { isKw } from "../../tensor/dispatch.ts";
import { TorchTypeError } from "../../errors.ts";

/**
 * What an item's image and target are typed as: anything, since the transforms decide (an Image
 * without them, usually a Tensor with them), as Python leaves it open.
 */
// deno-lint-ignore no-explicit-any
export type Any = any;

/** A transform: any function (transforms objects are functions too). */
// deno-lint-ignore no-explicit-any
export type TransformFn = (x: any) => any;

/** Options every vision dataset takes. */
export interface VisionOptions {
  transform?: TransformFn | null;
  target_transform?: TransformFn | null;
}

/** The default download root, as the PyTorch tutorial's `root='./data'`. */
export const DEFAULT_ROOT = "./data";

/** Splits `(root?, opts?)`: the root may be left out (`CIFAR10({ train: true })`). */
export function rootAndOptions<O>(root: unknown, opts: O | undefined): [string, O] {
  if (isKw(root)) return [DEFAULT_ROOT, root as O];
  if (root === undefined || root === null) return [DEFAULT_ROOT, (opts ?? {}) as O];
  if (typeof root !== "string") {
    throw new TorchTypeError(`root should be a path (a string), got ${typeof root}`);
  }
  return [root, (opts ?? {}) as O];
}

function transformRepr(t: TransformFn, head: string): string[] {
  const lines = String(t.toString === Function.prototype.toString ? `<function ${t.name || "<lambda>"}>` : t)
    .split("\n");
  return [head + lines[0], ...lines.slice(1).map((l) => " ".repeat(head.length) + l)];
}

/** Base of the vision datasets: an item is `[image, target]` after the transforms. */
export class VisionDataset<I = unknown, T = unknown> extends Dataset<[I, T]> {
  readonly root: string;
  readonly transform: TransformFn | null;
  readonly target_transform: TransformFn | null;
  _repr_indent = 4;

  constructor(root: string, opts: VisionOptions = {}) {
    super();
    this.root = root;
    this.transform = opts.transform ?? null;
    this.target_transform = opts.target_transform ?? null;
    for (
      const [name, t] of [["transform", this.transform], ["target_transform", this.target_transform]] as const
    ) {
      if (t !== null && typeof t !== "function") throw new TorchTypeError(`${name} should be callable`);
    }
  }

  /** Applies the transforms to one raw item. */
  _apply(img: unknown, target: unknown): [I, T] {
    return [
      (this.transform ? this.transform(img) : img) as I,
      (this.target_transform ? this.target_transform(target) : target) as T,
    ];
  }

  /** Dataset-specific lines of the repr. */
  extra_repr(): string {
    return "";
  }

  /** torchvision's repr. */
  override toString(): string {
    const head = "Dataset " + this.constructor.name;
    const body = [`Number of datapoints: ${(this as unknown as { __len__(): number }).__len__()}`];
    body.push(`Root location: ${this.root}`);
    const extra = this.extra_repr();
    if (extra) body.push(...extra.split("\n"));
    if (this.transform || this.target_transform) {
      const t = ["StandardTransform"];
      if (this.transform) t.push(...transformRepr(this.transform, "Transform: "));
      if (this.target_transform) t.push(...transformRepr(this.target_transform, "Target transform: "));
      body.push(t.join("\n"));
    }
    return [head, ...body.map((l) => " ".repeat(this._repr_indent) + l)].join("\n");
  }
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}
