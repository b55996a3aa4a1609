// Every kernel on small and edge shapes with buffers of exactly the size the C# side allocates,
// under AddressSanitizer and UBSan (sanitize.sh): an out-of-bounds read or write of global or
// shared memory, which on a GPU would be garbage or a crash, stops the run here.
#include "../../../../src/TopKLoss/Cuda/Kernels/tk_emulation.h"
#include "../../../../src/TopKLoss/Cuda/Kernels/topk_kernels.cu"
#include <cstdio>
#include <random>

static std::mt19937_64 rng(1);

static std::vector<double> scores(int rows, int n)
{
    std::normal_distribution<double> normal(0.0, 3.0);
    std::vector<double> x(rows * n);
    for (auto& v : x) v = normal(rng);
    if (rows > 1 && n > 2) { x[n + 1] = TK_NAN; }            // row 1: NaN
    if (rows > 2 && n > 2) { x[2 * n] = -TK_INF; }           // row 2: −inf entry
    return x;
}

static unsigned esp_shared(int T, int K) { return (2 * T * (K + 1) + 8) * 8 + T * 4; }
static int checkpoints(int n, int T, int cap) { int c = ((n + T - 1) / T + cap - 1) / cap; return c < 1 ? 1 : c; }

template <int CAP, class Fwd, class Bwd, class LF, class LB>
static void esp(Fwd svm_forward, Bwd svm_backward, LF esp_forward, LB esp_backward)
{
    for (int n : { 2, 3, 7, 40, 100 })
        for (int T : { 1, 3, 8 })
            for (int k : { 1, CAP / 2, CAP })
            {
                if (k < 1) continue;
                int rows = 3, grid = 2;
                auto x = scores(rows, n);
                std::vector<long long> labels(rows);
                for (int r = 0; r < rows; r++) labels[r] = (r * 7) % n;
                if (k < n)
                {
                    std::vector<double> loss(rows), u(rows), shift(rows), up(rows, 0.7), grad(rows * n);
                    std::vector<int> kind(rows), hard(rows);
                    tk_emu_run(grid, T, esp_shared(T, k), [&] { svm_forward(x.data(), labels.data(), rows, n, k, 1.0 / k, 1.0, 1.0, k * 6.9, loss.data(), u.data(), shift.data(), kind.data(), hard.data()); });
                    int ck = checkpoints(n, T, CAP);
                    std::vector<double> scratch((size_t)grid * T * ck * k);
                    tk_emu_run(grid, T, esp_shared(T, k), [&] { svm_backward(x.data(), labels.data(), rows, n, k, 1.0 / k, 1.0, u.data(), shift.data(), kind.data(), hard.data(), up.data(), scratch.data(), ck, grad.data()); });
                }
                std::vector<double> out(rows * (k + 1)), up(rows * (k + 1), 0.3), grad(rows * n);
                tk_emu_run(grid, T, esp_shared(T, k), [&] { esp_forward(x.data(), rows, n, k, out.data()); });
                int ck = checkpoints(n, T, CAP);
                std::vector<double> scratch((size_t)grid * T * ck * k);
                tk_emu_run(grid, T, esp_shared(T, k), [&] { esp_backward(x.data(), rows, n, k, up.data(), scratch.data(), ck, grad.data()); });
            }
}

template <class Fwd>
static void noised(Fwd forward, int cap)
{
    for (int n : { 1, 3, 10, 130 })
        for (int T : { 1, 3, 8 })
            for (int k : { 1, n < cap ? n : cap })
                for (double eps : { 0.0, 1.0 })
                {
                    int rows = 3, B = 2, grid = 2;
                    auto x = scores(rows, n);
                    std::vector<long long> key = { 12345, 678 }, labels(rows, 0);
                    std::vector<double> margins(rows, 1.0), values(rows), up(rows, 1.0), grad(rows * n, 0.0);
                    std::vector<int> indices(rows * B), nan_rows(rows), active(rows);
                    unsigned shared = T * k * 12 + 2 * T * 4;
                    tk_emu_run(grid, T, shared, [&] { forward(x.data(), rows, n, k, eps, B, key.data(), labels.data(), margins.data(), 1.0, values.data(), indices.data(), nan_rows.data(), active.data()); });
                    tk_emu_run(grid, 32, 0, [&] { tk_noised_backward_f64(rows, n, B, indices.data(), nan_rows.data(), labels.data(), active.data(), 1.0, up.data(), grad.data()); });
                }
}

int main()
{
    esp<8>(tk_svm_forward_f64_k8, tk_svm_backward_f64_k8, tk_log_esp_forward_f64_k8, tk_log_esp_backward_f64_k8);
    esp<32>(tk_svm_forward_f64_k32, tk_svm_backward_f64_k32, tk_log_esp_forward_f64_k32, tk_log_esp_backward_f64_k32);
    noised(tk_noised_forward_f64_k8, 8);
    noised(tk_noised_forward_f64_k64, 64);
    std::vector<double> z(2 * 9 * 3);
    tk_emu_run(2, 8, 0, [&] { tk_noise_fill(2, 9, 3, 1, 2, z.data()); });
    std::puts("sanitize: every kernel ran clean");
    return 0;
}
