// The one translation unit of the CUDA kernels: clang-16 compiles it to PTX (tools/build-ptx.sh),
// g++ to the CPU emulation library (tests/TopKLoss.Tests/Cuda/native/emulation.cpp includes it).
#include "smooth_svm.cu"
#include "noised_topk.cu"
