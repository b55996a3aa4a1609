// CPU emulation of the few CUDA features the kernels use, for g++ (the native test library):
// every CUDA thread of a block is a std::thread, __syncthreads is a std::barrier, the dynamic
// shared memory is one buffer per block, and blocks run one after another. It checks the
// arithmetic and the indexing; it cannot show races, missing barriers that happen to work here,
// or speed.
#pragma once
#include <barrier>
#include <cstring>
#include <thread>
#include <vector>

#define TK_EMULATION 1
#define __global__
#define __device__
#define __forceinline__ inline

struct tk_emu_thread_state
{
    unsigned thread, block_dim, block, grid_dim;
    std::barrier<>* barrier;
    unsigned char* shared;
};

inline thread_local tk_emu_thread_state tk_emu;

inline unsigned tk_thread() { return tk_emu.thread; }
inline unsigned tk_block_dim() { return tk_emu.block_dim; }
inline unsigned tk_block() { return tk_emu.block; }
inline unsigned tk_grid_dim() { return tk_emu.grid_dim; }
inline void tk_sync() { tk_emu.barrier->arrive_and_wait(); }

#define TK_SHARED_DYNAMIC(type, name) type* name = reinterpret_cast<type*>(tk_emu.shared)

// Runs body() as grid × block CUDA threads. Shared memory starts filled with 0xCD so that a
// kernel reading shared memory it did not write gets garbage here too.
template <class Body>
void tk_emu_run(unsigned grid, unsigned block, unsigned shared_bytes, Body body)
{
    std::vector<unsigned char> shared(shared_bytes); // exact: the sanitizer run (native/sanitize.sh) sees overruns
    for (unsigned b = 0; b < grid; b++)
    {
        if (!shared.empty()) std::memset(shared.data(), 0xCD, shared.size());
        std::barrier<> barrier(block);
        std::vector<std::thread> threads;
        threads.reserve(block);
        for (unsigned t = 0; t < block; t++)
            threads.emplace_back([&, t] {
                tk_emu = { t, block, b, grid, &barrier, shared.data() };
                body();
            });
        for (auto& th : threads) th.join();
    }
}
