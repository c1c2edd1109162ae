/**
 * `torch.Size`: a tensor's shape, an Array that prints as PyTorch does.
 * @module
 */

/** A shape such as `torch.Size([5, 4])`. */
export class Size extends Array<number> {
  /**
   * Builds a Size from a list of dimension sizes.
   * @param dims the sizes
   * @returns a new Size
   * @example Print a shape
   * ```ts
   * import { Size } from "./size.ts";
   * console.log(String(Size.of_(5, 4))); // torch.Size([5, 4])
   * ```
   */
  static of_(...dims: number[]): Size {
    const s = new Size();
    for (const d of dims) s.push(d);
    return s;
  }
  /** Builds a Size from an array. */
  static from_(dims: readonly number[]): Size {
    const s = new Size();
    for (const d of dims) s.push(d);
    return s;
  }
  /** Number of elements a tensor of this shape holds. */
  numel(): number {
    let n = 1;
    for (const d of this) n *= d;
    return n;
  }
  /** `torch.Size([5, 4])` */
  override toString(): string {
    return `torch.Size([${this.join(", ")}])`;
  }
  /** Deno's console shows the PyTorch text. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
  /** Sizes compare by value with arrays (`t.shape.equals([5, 4])`). */
  equals(other: readonly number[]): boolean {
    return other.length === this.length && this.every((d, i) => d === other[i]);
  }
  // Array methods that build a new array (map, slice, filter) give a plain Array.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
}
