#!/usr/bin/env bash
# Builds, here, what bench/webgpu/run.sh needs on a lent GPU machine, where there is no Deno, no
# npm registry and maybe no Vulkan loader: everything lands in bench/webgpu/.carry/ (git-ignored),
# the one path the device call carries. See docs/webgpu-bench.md.
#
#   bench/webgpu/prepare.sh            # bundle + wasm files + import map + deno.xz + loader .debs
#
#   .carry/bench.js          `deno bundle --platform=deno bench/webgpu/bench.ts` (tfjs and all inside)
#   .carry/wasm/*.wasm       tfjs-backend-wasm's binaries (the cpu device, for --with-cpu)
#   .carry/import_map.json   maps the wasm package's specifier to wasm/, for lib/engine/backend.ts's
#                            `import.meta.resolve` (a bundle run outside the project cannot resolve npm:)
#   .carry/deno.xz           this machine's deno binary, xz-compressed (rebuilt only when deno changes)
#   .carry/debs/*.deb        amd64 Vulkan loader and GL dispatch libraries (the device README's list)
set -euo pipefail
cd "$(dirname "$0")/../.."
C=bench/webgpu/.carry
WASM_SPEC="npm:@tensorflow/tfjs-backend-wasm@4.22.0"
mkdir -p "$C"

echo "== bundle"
deno bundle --platform=deno -o "$C/bench.js" bench/webgpu/bench.ts
# the bundle must not import anything at run time (no registry there) …
if grep -nE '(^|[^.])\bimport\s*\(\s*"(npm|jsr|https?):|^\s*(import|export)\b[^;]*\bfrom\s*"(npm|jsr|https?):' "$C/bench.js"; then
  echo "prepare.sh: the bundle still imports a package at run time (above)" >&2
  exit 1
fi
# … and the wasm folder is found through this exact specifier (lib/engine/backend.ts's wasmDir)
if ! grep -qF "import.meta.resolve(\"$WASM_SPEC\")" "$C/bench.js"; then
  echo "prepare.sh: the bundle no longer resolves \"$WASM_SPEC\": update the import map below to what lib/engine/backend.ts asks for" >&2
  exit 1
fi

echo "== wasm binaries and import map"
wasm_dir=$(deno eval "console.log(new URL('./', import.meta.resolve('$WASM_SPEC')).pathname)" 2>/dev/null || true)
if ! ls "$wasm_dir"/*.wasm >/dev/null 2>&1; then
  wasm_dir=$(echo node_modules/.deno/@tensorflow+tfjs-backend-wasm@4.22.0/node_modules/@tensorflow/tfjs-backend-wasm/dist)
fi
rm -rf "$C/wasm"
mkdir -p "$C/wasm"
cp "$wasm_dir"/*.wasm "$C/wasm/"
# the target file need not exist: backend.ts takes its folder, and tfjs reads wasm/<binary>.wasm
printf '{ "imports": { "%s": "./wasm/tf-backend-wasm.js" } }\n' "$WASM_SPEC" >"$C/import_map.json"

echo "== deno binary"
deno_bin=$(readlink -f "$(command -v deno)")
stamp="$(deno --version | head -1) $(stat -c '%s %Y' "$deno_bin")"
if [ -f "$C/deno.xz" ] && [ "$(cat "$C/deno.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "kept $C/deno.xz ($stamp)"
else
  echo "compressing $deno_bin ($stamp): about a minute"
  xz -T0 -6 -c "$deno_bin" >"$C/deno.xz.tmp"
  mv "$C/deno.xz.tmp" "$C/deno.xz"
  echo "$stamp" >"$C/deno.stamp"
fi

echo "== Vulkan loader .debs (amd64)"
if ls "$C"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  echo "kept $C/debs"
else
  mkdir -p "$C/debs" /tmp/amd64-lists/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64-lists)
  apt-get "${o[@]}" update >/dev/null
  (cd "$C/debs" && apt-get "${o[@]}" download libvulkan1 libglvnd0 libegl1 libopengl0 libgl1 libglx0 libgles2)
fi

echo "== sizes (the device call carries at most 64 MiB with the working tree)"
du -sh "$C"/* | sed 's/^/  /'
tree_kib=$({
  git ls-files
  git ls-files --others --exclude-standard
} | sort -u | while read -r f; do [ -f "$f" ] && stat -c %s "$f"; done | awk '{s += $1} END {print int(s / 1024)}')
carry_kib=$(du -sk "$C" | cut -f1)
echo "  working tree $((tree_kib / 1024)) MiB + carry $((carry_kib / 1024)) MiB = $(((tree_kib + carry_kib) / 1024)) MiB"
if [ $((tree_kib + carry_kib)) -gt $((60 * 1024)) ]; then
  echo "prepare.sh: that is too close to the 64 MiB limit" >&2
  exit 1
fi
echo "ready: carry [\"bench/webgpu/.carry\"] and run bench/webgpu/run.sh (docs/webgpu-bench.md)"
