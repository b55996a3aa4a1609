// The CUDA kernels compiled by g++ for the CPU (tk_emulation.h), behind one C entry point that
// takes the arguments as cuLaunchKernel does (an array of pointers to the values), so the C#
// launcher code is the same for the driver and for this library.
#include "../../../../src/TopKLoss/Cuda/Kernels/tk_emulation.h"
#include "../../../../src/TopKLoss/Cuda/Kernels/topk_kernels.cu"
#include "../../../../src/TopKLoss/Cuda/Kernels/tk_math.cuh"
#include <cstring>
#include <utility>

template <class... A, std::size_t... I>
static void invoke(void (*kernel)(A...), void** args, std::index_sequence<I...>)
{
    kernel(*static_cast<A*>(args[I])...);
}

template <class... A>
static void invoke(void (*kernel)(A...), void** args) { invoke(kernel, args, std::index_sequence_for<A...>{}); }

struct Entry
{
    const char* name;
    void (*run)(void**);
};

#define TK_ENTRY(name) { #name, [](void** a) { invoke(&name, a); } }
#define TK_ESP_ENTRIES(TN, KMAX) TK_ENTRY(tk_svm_forward_##TN##_k##KMAX), TK_ENTRY(tk_svm_backward_##TN##_k##KMAX), \
    TK_ENTRY(tk_log_esp_forward_##TN##_k##KMAX), TK_ENTRY(tk_log_esp_backward_##TN##_k##KMAX)

static const Entry entries[] = {
    TK_ESP_ENTRIES(f32, 8), TK_ESP_ENTRIES(f32, 32), TK_ESP_ENTRIES(f64, 8), TK_ESP_ENTRIES(f64, 32),
    TK_ENTRY(tk_noised_forward_f32_k8), TK_ENTRY(tk_noised_forward_f32_k64),
    TK_ENTRY(tk_noised_forward_f64_k8), TK_ENTRY(tk_noised_forward_f64_k64),
    TK_ENTRY(tk_noised_backward_f32), TK_ENTRY(tk_noised_backward_f64), TK_ENTRY(tk_noise_fill),
};

// 0: ran; 1: no kernel of that name.
extern "C" int tk_emu_launch(const char* name, unsigned grid, unsigned block, unsigned shared_bytes, void** args)
{
    for (const Entry& e : entries)
        if (std::strcmp(e.name, name) == 0)
        {
            tk_emu_run(grid, block, shared_bytes, [&] { e.run(args); });
            return 0;
        }
    return 1;
}

// The portable math, for the bit-for-bit comparison with PortableMath.cs.
extern "C" void tk_emu_log(const double* x, double* y, int count) { for (int i = 0; i < count; i++) y[i] = tk_log(x[i]); }
extern "C" void tk_emu_exp(const double* x, double* y, int count) { for (int i = 0; i < count; i++) y[i] = tk_exp(x[i]); }
