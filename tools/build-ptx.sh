#!/usr/bin/env bash
# Compiles the CUDA kernels (src/TopKLoss/Cuda/Kernels/topk_kernels.cu) to PTX for sm_80 and
# sm_90 with Debian's clang-16, no CUDA SDK (shared/docs/gpu-kernels.md):
#   tools/build-ptx.sh OUTDIR     writes OUTDIR/topk_sm80.ptx and OUTDIR/topk_sm90.ptx
# The library's build runs it (src/TopKLoss/TopKLoss.csproj) and embeds the PTX. Without clang-16
# it says so and writes nothing (exit 0): that build has no CUDA kernels and uses the tensor ops.
# A kernel that does not compile, or PTX that calls an external function (there is no libdevice
# here: every function must be in the sources), fails the build; so does a missing clang-16 when
# TOPKLOSS_REQUIRE_PTX is set (.ci/run sets it).
# -ffp-contract=off: no fused multiply-adds that the C# code and the g++ emulation do not do.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/src/TopKLoss/Cuda/Kernels"
out="${1:?usage: build-ptx.sh OUTDIR}"
clang="${CLANG:-clang-16}"
if ! command -v "$clang" >/dev/null; then
  if [[ -n "${TOPKLOSS_REQUIRE_PTX:-}" ]]; then echo "build-ptx: error: $clang not found and TOPKLOSS_REQUIRE_PTX is set" >&2; exit 1; fi
  echo "build-ptx: $clang not found (apt-get install clang-16): building without CUDA kernels"
  exit 0
fi
mkdir -p "$out"
for arch in 80 90; do
  "$clang" -x cuda --cuda-device-only --cuda-gpu-arch=sm_$arch -nocudainc -nocudalib \
    -Xclang -target-feature -Xclang +ptx78 -O3 -ffp-contract=off -include "$src/tk_builtins.h" \
    -S "$src/topk_kernels.cu" -o "$out/topk_sm$arch.ptx.tmp"
  if grep -q '\.extern \.func' "$out/topk_sm$arch.ptx.tmp"; then
    echo "build-ptx: error: sm_$arch PTX calls an external function (no libdevice):" >&2
    grep '\.extern \.func' "$out/topk_sm$arch.ptx.tmp" >&2
    rm -f "$out/topk_sm$arch.ptx.tmp"
    exit 1
  fi
  mv "$out/topk_sm$arch.ptx.tmp" "$out/topk_sm$arch.ptx"
done
echo "build-ptx: wrote $out/topk_sm80.ptx, $out/topk_sm90.ptx"
