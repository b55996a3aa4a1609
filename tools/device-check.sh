#!/usr/bin/env bash
# The GPU self-check of the CUDA kernels, as one command on the GPU machine (≤ 6 minutes).
#
# Here (a CPU machine, from the checkout root):
#   tools/device-check.sh pack
#     publishes tools/device-check self-contained into .device/ (shared/tools/device/pack.sh) and
#     copies the reference vectors beside it (../shared does not travel).
# There (carry .device; results under $OUT):
#   bash tools/device-check.sh            check, then bench
#   bash tools/device-check.sh check      PTX load, every kernel on tiny/edge shapes and the reference
#                                          vectors against the CPU float64 kernels, autograd on CUDA:
#                                          PASS/FAIL table in $OUT/device-check.txt
#   bash tools/device-check.sh bench      fwd+bwd at 256 × {1000, 100000}, k ∈ {5, 20}, B = 10 against
#                                          cross_entropy and the tensor-ops fallback: $OUT/device-bench.csv
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mode="${1:-all}"
out="${OUT:-$root/.device/out}"

case "$mode" in
  pack)
    shared="${SHARED:-$root/../shared}"
    [[ -d "$shared/tools/device" ]] || shared=/work/shared
    # As shared/tools/device/pack.sh (which also runs from a git worktree, where .git is a file):
    # publish self-contained, drop the CPU libtorch (the GPU machine brings its CUDA one), tar.
    tmp=$(mktemp -d)
    dotnet publish tools/device-check/TopKLoss.DeviceCheck.csproj -c Release -r linux-x64 --self-contained -o "$tmp/app" \
      -p:DebugType=none > "$tmp/publish.log" 2>&1 || { grep -E "error" "$tmp/publish.log" | sort -u | head -20; exit 1; }
    find "$tmp/app" -maxdepth 1 \( -name 'libtorch*.so*' -o -name 'libc10*.so*' -o -name 'libgomp*.so*' -o -name 'libshm.so' \
      -o -name 'libaoti_custom_ops.so' -o -name 'libbackend_with_compiler.so' -o -name 'libjitbackend_test.so' \
      -o -name 'libnnapi_backend.so' -o -name 'libtorchbind_test.so' \) -delete
    mkdir -p .device
    tar -C "$tmp/app" -cJf .device/device-check.tar.xz .
    echo topk-device-check > .device/device-check.entry
    cp "$shared/tools/device/run.sh" .device/run.sh
    rm -rf "$tmp"
    mkdir -p .device/reference
    cp "$shared"/testdata/reference/{smooth_svm,esp}.json .device/reference/
    echo "carry .device; on the GPU machine: bash tools/device-check.sh"
    ;;
  check|bench|all)
    mkdir -p "$out"
    [[ -f .device/device-check.tar.xz ]] || { echo "no .device/device-check.tar.xz: run tools/device-check.sh pack first (on a CPU machine)"; exit 2; }
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$out/device.txt"
    status=0
    if [[ "$mode" != bench ]]; then
      timeout 200 bash .device/run.sh device-check check --reference .device/reference 2>&1 | tee "$out/device-check.log"
      status=${PIPESTATUS[0]}
    fi
    if [[ "$mode" != check ]]; then
      timeout 150 bash .device/run.sh device-check bench 2>&1 | tee "$out/device-bench.log"
      [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
    fi
    exit "$status"
    ;;
  *) echo "usage: tools/device-check.sh [pack|check|bench|all]"; exit 2 ;;
esac
