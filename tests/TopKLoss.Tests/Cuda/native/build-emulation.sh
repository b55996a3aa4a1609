#!/usr/bin/env bash
# Builds the CPU emulation of the CUDA kernels (emulation.cpp, tk_emulation.h) for the tests:
#   build-emulation.sh OUTFILE     (the test project's build runs it)
# Without g++ it says so and builds nothing: the emulated tests then skip, saying why.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build-emulation.sh OUTFILE}"
if ! command -v g++ >/dev/null; then echo "build-emulation: g++ not found: the emulated CUDA tests will skip"; exit 0; fi
mkdir -p "$(dirname "$out")"
g++ -std=c++20 -O2 -fPIC -shared -ffp-contract=off -fno-math-errno -pthread -Wall -Werror -Wno-unused-function \
  -o "$out.tmp" "$here/emulation.cpp"
mv "$out.tmp" "$out"
