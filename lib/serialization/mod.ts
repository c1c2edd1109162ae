/**
 * PyTorch checkpoints and safetensors: `torch.save` / `torch.load` in
 * PyTorch's zip format (and the legacy format, read only), with a safe
 * unpickler that never runs code from a file; `safetensors.torch`'s
 * `load_file` / `save_file` / `load` / `save`.
 * @module
 */
export {
  current_parameter_type,
  load,
  type LoadOptions,
  type MapLocation,
  type ParameterType,
  pickle_loads,
  register_parameter_type,
  save,
  save_bytes,
  type SaveOptions,
  type StorageInfo,
  type SyncWriter,
} from "./checkpoint.ts";
export { PicklingError, PY_TYPE, UnpicklingError } from "./pickle.ts";
export { SafetensorError, type TensorDict } from "./safetensors.ts";
import * as st from "./safetensors.ts";

/** `safetensors.torch`: `load_file`, `save_file`, `load`, `save`, plus `metadata`. */
export const safetensors = {
  torch: {
    load_file: st.load_file,
    save_file: st.save_file,
    load: st.load,
    save: st.save,
    metadata: st.metadata,
  },
};
