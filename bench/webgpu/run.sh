#!/usr/bin/env bash
# The GPU benchmark on a lent GPU machine (issue 9): PyTorch CUDA, then denotorch on webgpu (and its
# cpu device for reference), then the ratios. Run from anywhere; needs bench/webgpu/.carry/ from
# bench/webgpu/prepare.sh (carried: there is no Deno and no registry there). docs/webgpu-bench.md.
#
#   bench/webgpu/run.sh [extra bench.ts flags]
#
# Environment (all optional):
#   OUT             where the logs go (the device tool sets it): cuda.txt, webgpu.txt, summary.md
#   CUDA_TIMEOUT    seconds for bench.py (default 75)
#   WEBGPU_TIMEOUT  seconds for bench.ts (default 180)
#   WEBGPU_BUDGET   bench.ts starts no workload after this many seconds (default 120)
#   CUDA_ARGS, WEBGPU_ARGS  extra flags for bench.py / bench.ts (e.g. --big 16x3x224x224)
#   DENO_WEBGPU_BACKEND  wgpu's backend (default vulkan)
#   DENO            a deno binary to use instead of the carried one
#   PYTHON          the Python with PyTorch (default python3, which is that one there)
#   SKIP_CUDA=1     webgpu side only
#   ALLOW_FALLBACK=1  run on a software adapter (lavapipe) instead of refusing it: to try this
#                   script where there is no GPU
#   THEIRS          the label summarise.py pairs with webgpu (default cuda; torch_cpu after
#                   CUDA_ARGS=--device cpu)
set -uo pipefail
cd "$(dirname "$0")/../.."
C=bench/webgpu/.carry
OUT=${OUT:-/tmp/webgpu-bench}
mkdir -p "$OUT"
t0=$(date +%s)
log() { echo "== [$(($(date +%s) - t0)) s] $*"; }

if [ ! -f "$C/bench.js" ]; then
  echo "run.sh: no $C/bench.js: run bench/webgpu/prepare.sh here and carry bench/webgpu/.carry" >&2
  exit 1
fi

log "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | sed 's/^/DEVICE_SMI /'
echo "kernel $(uname -r), $(nproc) CPUs"

# Vulkan: the loader (libvulkan.so.1) may be missing there; the NVIDIA ICD is in the driver's folder
# (no grep -q: it would stop reading, ldconfig would die of SIGPIPE, and pipefail would say "missing")
if ! ldconfig -p | grep 'libvulkan\.so\.1' >/dev/null; then
  log "unpacking the carried Vulkan loader .debs"
  for f in "$C"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} ($(ldconfig -p | grep -c 'libvulkan\.so\.1') loader)"
# Vulkan only: without it, a failed Vulkan start falls back quietly to wgpu's GL backend (seen here:
# a bad VK_DRIVER_FILES still gave lavapipe, through GL)
export DENO_WEBGPU_BACKEND=${DENO_WEBGPU_BACKEND:-vulkan}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp} DENO_DIR=${DENO_DIR:-/tmp/deno-dir} DENO_NO_UPDATE_CHECK=1

if [ -z "${DENO:-}" ]; then
  DENO=/tmp/deno-bench/deno
  if [ ! -x "$DENO" ]; then
    mkdir -p /tmp/deno-bench
    if command -v xz >/dev/null; then
      xz -dc "$C/deno.xz" >"$DENO.tmp"
    else # Python's lzma reads .xz too
      "${PYTHON:-python3}" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' \
        "$C/deno.xz" >"$DENO.tmp"
    fi
    chmod +x "$DENO.tmp" && mv "$DENO.tmp" "$DENO"
  fi
fi
"$DENO" --version | head -1

if [ "${SKIP_CUDA:-0}" != 1 ]; then
  log "PyTorch CUDA (bench/webgpu/bench.py)"
  # shellcheck disable=SC2086 # CUDA_ARGS is a list of flags
  PYTHONUNBUFFERED=1 timeout -k 5 "${CUDA_TIMEOUT:-75}" "${PYTHON:-python3}" bench/webgpu/bench.py ${CUDA_ARGS:-} 2>&1 |
    tee "$OUT/cuda.txt"
  echo "(exit ${PIPESTATUS[0]})"
fi

require_real=--require-real
[ "${ALLOW_FALLBACK:-0}" = 1 ] && require_real=
log "denotorch webgpu + cpu (bench/webgpu/.carry/bench.js)"
# shellcheck disable=SC2086 # WEBGPU_ARGS is a list of flags
timeout -k 5 "${WEBGPU_TIMEOUT:-180}" "$DENO" run -A --no-config --no-lock \
  --import-map="$C/import_map.json" --v8-flags=--expose-gc "$C/bench.js" \
  $require_real --with-cpu --budget "${WEBGPU_BUDGET:-120}" ${WEBGPU_ARGS:-} "$@" 2>&1 | tee "$OUT/webgpu.txt"
echo "(exit ${PIPESTATUS[0]})"

log "ratios"
python3 bench/webgpu/summarise.py --theirs "${THEIRS:-cuda}" "$OUT/webgpu.txt" "$OUT/cuda.txt" | tee "$OUT/summary.md"
log "done"
