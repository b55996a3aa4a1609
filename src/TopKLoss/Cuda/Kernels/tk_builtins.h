// Included first (clang -include) when clang-16 compiles the kernels to PTX without the CUDA SDK
// (-nocudainc): clang knows the CUDA attributes and the NVVM builtins, but not the SDK's names.
// tk_emulation.h defines the same names for g++ (the kernels' CPU test build).
#pragma once
#define TK_CUDA 1
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))

__device__ __forceinline__ unsigned tk_thread() { return __nvvm_read_ptx_sreg_tid_x(); }
__device__ __forceinline__ unsigned tk_block_dim() { return __nvvm_read_ptx_sreg_ntid_x(); }
__device__ __forceinline__ unsigned tk_block() { return __nvvm_read_ptx_sreg_ctaid_x(); }
__device__ __forceinline__ unsigned tk_grid_dim() { return __nvvm_read_ptx_sreg_nctaid_x(); }
__device__ __forceinline__ void tk_sync() { __syncthreads(); }

// The block's dynamic shared memory (the launch's sharedMemBytes), as an array of `type`.
#define TK_SHARED_DYNAMIC(type, name) extern __shared__ type name[]
