#!/usr/bin/env bash
# Runs sanitize.cpp (every kernel, exact-size buffers) under AddressSanitizer and UBSan.
# Not part of the test suite (the sanitized build and run take about a minute on 2 cores):
#   tests/TopKLoss.Tests/Cuda/native/sanitize.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
g++ -std=c++20 -O1 -g -ffp-contract=off -fno-math-errno -pthread -fsanitize=address,undefined -fno-sanitize-recover=all \
  -Wall -Werror -Wno-unused-function -o "$tmp/sanitize" "$here/sanitize.cpp"
"$tmp/sanitize"
