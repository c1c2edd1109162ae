/**
 * `nn.Parameter`: a tensor that a Module registers as learnable.
 * @module
 */
import { Tensor } from "../tensor/tensor.ts";
import { callable } from "./callable.ts";

/**
 * A leaf tensor that requires grad by default and prints as
 * `Parameter containing:\ntensor(…, requires_grad=True)`.
 */
export class ParameterClass extends Tensor {
  /**
   * @param data the values (storage is shared, as PyTorch's Parameter shares it)
   * @param requires_grad whether it learns (default true)
   */
  constructor(data?: Tensor, requires_grad: boolean | { requires_grad?: boolean } = true) {
    if (typeof requires_grad === "object") requires_grad = requires_grad.requires_grad ?? true;
    const d = data ?? emptyTensor();
    super(d._storage, d._shape.slice(), d._strides.slice(), d._offset);
    if (requires_grad) this.requires_grad_(true);
  }
  /** `Parameter containing:` then the tensor's text. */
  override toString(): string {
    return "Parameter containing:\n" + super.toString();
  }
}

let makeEmpty: (() => Tensor) | null = null;
/** Lets the tensor core provide `torch.empty(0)` without an import cycle. */
export function setEmptyFactory(f: () => Tensor): void {
  makeEmpty = f;
}
function emptyTensor(): Tensor {
  if (!makeEmpty) throw new Error("Parameter needs data");
  return makeEmpty();
}

/** `nn.Parameter(data, requires_grad=true)`, with or without `new`. */
export const Parameter = callable(ParameterClass);
/** The type of a Parameter. */
export type Parameter = ParameterClass;
