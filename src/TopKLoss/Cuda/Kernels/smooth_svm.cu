// Smooth top-k SVM (Berrada et al. 2018) and log_esp, forward and exact backward, one block per
// row (rows strided over the grid), float64 inside whatever the storage type. The same per-row
// algorithm as the C# kernels (SmoothSvm/Cpu/SmoothTopKSvmKernel.cs, SmoothSvm/Cpu/LogEspKernel.cs):
//  - the top q of the row (value descending, index ascending) gives the hard/smooth switch, the
//    shift and the linear/log-space choice (EspRow.LinearIsSafe);
//  - every thread multiplies (1 + e_j·z) over its elements j = t, t + T, ... (degree ≤ K), the
//    block forms each thread's product of the others' polynomials (prefix · suffix scans: no
//    division, no subtraction) and their total σ;
//  - the backward is reverse-mode through each thread's own recursion started from the others'
//    product (as PackedEsp.Reverse), the states checkpointed every KMAX elements in global scratch
//    (⌈⌈n/T⌉/KMAX⌉·k ≤ ⌈n/T⌉ + k doubles per thread: O(batch·n) whatever k).
// Shared memory: (2·T·(K+1) + 8) doubles + T ints (tk_esp_shared_bytes).
#pragma once
#include "tk_block.cuh"

// Row kinds, as SmoothTopKSvmKernel.RowKind.
#define TK_SMOOTH 0
#define TK_SMOOTH_LOG 1
#define TK_HARD 2
#define TK_NOT_FINITE 3

// As EspRow.LinearIsSafe.
__device__ inline bool tk_linear_is_safe(double max, double kth, int K, int m)
{
    int degree = K < m ? K : m;
    if (degree == 0) return true;
    double spread = degree * (max - kth);
    double growth = degree * (1.0 + tk_log((double)m / degree));
    return spread <= 600.0 && growth <= 600.0;
}

// Shared memory views of one block.
struct tk_esp_shared
{
    double *pre, *suf;        // T·(K+1) each (also the top lists' storage)
    double* sv; int *si, *sc; // top lists: T·q values, T·q indices, T counts (inside pre/suf)
    int* flags;               // T
};

__device__ inline tk_esp_shared tk_esp_layout(double* smem, int K, int q)
{
    unsigned T = tk_block_dim();
    tk_esp_shared s;
    s.pre = smem;
    s.suf = smem + T * (K + 1);
    s.sv = smem;
    s.si = (int*)(smem + T * q);
    s.sc = s.si + T * q;
    s.flags = (int*)(smem + 2 * T * (K + 1) + 8);
    return s;
}

template <typename T>
__device__ __forceinline__ double tk_element_at(const T* xr, int j, int skip, double scale, double shift, bool linear)
{
    if (j == skip) return linear ? tk_linear::zero() : tk_logspace::zero();
    double shifted = (double)xr[j] * scale - shift;
    return linear ? tk_linear::element(shifted) : tk_logspace::element(shifted);
}

// The row's top q (q ≤ Q) into tv/ti (every thread), and the OR of `bad(v)` over the row.
template <typename T, int Q, class Bad>
__device__ int tk_row_top(const T* xr, int n, int q, tk_esp_shared s, double* tv, int* ti, Bad bad)
{
    unsigned t = tk_thread(), TT = tk_block_dim();
    double mv[Q];
    int mi[Q], count = 0, flag = 0;
    for (int j = t; j < n; j += TT)
    {
        double v = (double)xr[j];
        flag |= bad(v) ? 1 : 0;
        tk_offer(mv, mi, count, q, v, j);
    }
    int any = tk_block_or(flag, s.flags);
    tk_block_top<Q>(mv, mi, count, q, s.sv, s.si, s.sc);
    for (int a = 0; a < q; a++) { tv[a] = s.sv[a]; ti[a] = s.si[a]; }
    tk_sync(); // the lists' storage is reused next
    return any;
}

// σ of the row (all) and, per thread, the others' product (excl), in arithmetic A.
template <class A, typename T, int KMAX>
__device__ void tk_row_products(const T* xr, int n, int skip, double scale, double shift, int K, tk_esp_shared s,
    double* excl, double* all)
{
    unsigned t = tk_thread(), TT = tk_block_dim();
    bool linear = A::one() == 1.0;
    double mine[KMAX + 1];
    mine[0] = A::one();
    for (int d = 1; d <= K; d++) mine[d] = A::zero();
    int filled = 0;
    for (int j = t; j < n; j += TT)
    {
        if (j == skip) continue;
        if (filled < K) filled++;
        tk_poly_step<A>(mine, tk_element_at(xr, j, skip, scale, shift, linear), filled);
    }
    tk_block_products<A, KMAX>(mine, excl, all, K, s.pre, s.suf);
}

// grad[j] = Σ_d w_d·∂ log σ_d/∂x_j for this thread's elements (grad[skip] = g_skip), by reverse
// mode through the thread's recursion started from excl. Positive and negative weights keep
// separate adjoints (log space has no signs); ck: this thread's checkpoints, one every KMAX elements.
template <class A, typename T, int KMAX>
__device__ void tk_row_reverse(const T* xr, int n, int skip, double scale, double shift, int K, const double* excl,
    const double* sigma, const double* w, double* ck, T* gr, double g_skip)
{
    unsigned t = tk_thread(), TT = tk_block_dim();
    bool linear = A::one() == 1.0;
    int L = (int)t < n ? (n - (int)t + (int)TT - 1) / (int)TT : 0;
    double ap[KMAX + 2], am[KMAX + 2];
    for (int d = 0; d <= K + 1; d++) { ap[d] = A::zero(); am[d] = A::zero(); }
    for (int d = 1; d <= K; d++)
    {
        if (w[d] == 0 || sigma[d] == A::zero()) continue;
        if (w[d] > 0) ap[d] = A::div(A::from_plain(w[d]), sigma[d]);
        else am[d] = A::div(A::from_plain(-w[d]), sigma[d]);
    }
    double st[KMAX];
    for (int d = 0; d < K; d++) st[d] = excl[d];
    for (int i = 0; i < L; i++)
    {
        if (i % KMAX == 0) for (int d = 0; d < K; d++) ck[(i / KMAX) * K + d] = st[d];
        double e = tk_element_at(xr, (int)t + i * (int)TT, skip, scale, shift, linear);
        for (int d = K - 1; d >= 1; d--) st[d] = A::add(st[d], A::mul(e, st[d - 1]));
    }
    double blk[KMAX][KMAX];
    for (int start = L == 0 ? -1 : (L - 1) / KMAX * KMAX; start >= 0; start -= KMAX)
    {
        int len = L - start < KMAX ? L - start : KMAX;
        for (int d = 0; d < K; d++) blk[0][d] = ck[(start / KMAX) * K + d];
        for (int jj = 1; jj < len; jj++)
        {
            double e = tk_element_at(xr, (int)t + (start + jj - 1) * (int)TT, skip, scale, shift, linear);
            blk[jj][0] = blk[jj - 1][0];
            for (int d = 1; d < K; d++) blk[jj][d] = A::add(blk[jj - 1][d], A::mul(e, blk[jj - 1][d - 1]));
        }
        for (int jj = len - 1; jj >= 0; jj--)
        {
            int j = (int)t + (start + jj) * (int)TT;
            double e = tk_element_at(xr, j, skip, scale, shift, linear);
            double sp = A::zero(), sm = A::zero();
            for (int d = 1; d <= K; d++)
            {
                sp = A::add(sp, A::mul(ap[d], blk[jj][d - 1]));
                sm = A::add(sm, A::mul(am[d], blk[jj][d - 1]));
            }
            double g = A::to_plain(A::mul(e, sp)) - A::to_plain(A::mul(e, sm));
            gr[j] = (T)(j == skip ? g_skip : g);
            for (int d = 1; d < K; d++)
            {
                ap[d] = A::add(ap[d], A::mul(e, ap[d + 1]));
                am[d] = A::add(am[d], A::mul(e, am[d + 1]));
            }
        }
    }
}

// The k-th (1-based) of the list skipping index y, and its index (as RowTop.NthExcluding).
__device__ inline double tk_nth_excluding(const double* tv, const int* ti, int count, int nth, int y, int* index)
{
    int seen = 0;
    for (int a = 0; a < count; a++)
    {
        if (ti[a] == y) continue;
        if (++seen == nth) { *index = ti[a]; return tv[a]; }
    }
    *index = -1;
    return TK_NAN;
}

__device__ __forceinline__ bool tk_not_finite(double v) { return !tk_isfinite(v); }
__device__ __forceinline__ bool tk_is_nan(double v) { return tk_isnan(v); }

template <typename T, int KMAX>
__device__ void tk_svm_forward(const T* x, const long long* labels, int rows, int n, int k, double scale, double alpha,
    double tau, double hard_gap, double* loss, double* u_out, double* shift_out, int* kind_out, int* hard_out)
{
    TK_SHARED_DYNAMIC(double, smem);
    tk_esp_shared s = tk_esp_layout(smem, k, k + 1);
    double tv[KMAX + 1], excl[KMAX + 1], all[KMAX + 1];
    int ti[KMAX + 1];
    for (int r = tk_block(); r < rows; r += tk_grid_dim())
    {
        const T* xr = x + (long long)r * n;
        int y = (int)labels[r];
        bool first = tk_thread() == 0;
        int bad = tk_row_top<T, KMAX + 1>(xr, n, k + 1, s, tv, ti, tk_not_finite);
        if (bad)
        {
            if (first) { kind_out[r] = TK_NOT_FINITE; loss[r] = TK_NAN; u_out[r] = 0; shift_out[r] = 0; hard_out[r] = 0; }
            continue;
        }
        double sy = (double)xr[y];
        int index;
        if (tv[k - 1] - tv[k] >= hard_gap)
        {
            double kth = tk_nth_excluding(tv, ti, k + 1, k, y, &index);
            if (first)
            {
                kind_out[r] = TK_HARD; hard_out[r] = index; u_out[r] = 0; shift_out[r] = 0;
                loss[r] = tk_max(0.0, alpha + (kth - sy) / k);
            }
            continue;
        }
        double max = tk_nth_excluding(tv, ti, k + 1, 1, y, &index) * scale;
        double kth = tk_nth_excluding(tv, ti, k + 1, k, y, &index) * scale;
        bool linear = tk_linear_is_safe(max, kth, k, n - 1);
        if (linear) tk_row_products<tk_linear, T, KMAX>(xr, n, y, scale, max, k, s, excl, all);
        else tk_row_products<tk_logspace, T, KMAX>(xr, n, y, scale, max, k, s, excl, all);
        double logRatio = linear ? tk_linear::log(all[k]) - tk_linear::log(all[k - 1]) + max : all[k] - all[k - 1] + max;
        double u = alpha / tau + logRatio - sy * scale;
        if (first)
        {
            kind_out[r] = linear ? TK_SMOOTH : TK_SMOOTH_LOG; hard_out[r] = 0;
            u_out[r] = u; shift_out[r] = max; loss[r] = tau * tk_softplus(u);
        }
    }
}

template <typename T, int KMAX>
__device__ void tk_svm_backward(const T* x, const long long* labels, int rows, int n, int k, double scale, double alpha,
    const double* u_in, const double* shift_in, const int* kind_in, const int* hard_in, const double* upstream,
    double* scratch, int checkpoints, T* grad)
{
    TK_SHARED_DYNAMIC(double, smem);
    tk_esp_shared s = tk_esp_layout(smem, k, k + 1);
    double excl[KMAX + 1], all[KMAX + 1], w[KMAX + 1];
    unsigned t = tk_thread(), TT = tk_block_dim();
    double* ck = scratch + ((long long)tk_block() * TT + t) * checkpoints * k;
    for (int r = tk_block(); r < rows; r += tk_grid_dim())
    {
        const T* xr = x + (long long)r * n;
        T* gr = grad + (long long)r * n;
        int y = (int)labels[r], kind = kind_in[r];
        double up = upstream[r];
        if (kind == TK_NOT_FINITE || kind == TK_HARD)
        {
            for (int j = t; j < n; j += TT) gr[j] = (T)(kind == TK_HARD ? 0.0 : TK_NAN);
            tk_sync();
            int h = hard_in[r];
            if (kind == TK_HARD && t == 0 && alpha + ((double)xr[h] - (double)xr[y]) / k > 0)
            {
                gr[h] = (T)(up / k);
                gr[y] = (T)(-up / k);
            }
            continue;
        }
        double c = up * tk_sigmoid(u_in[r]) / k, shift = shift_in[r];
        for (int d = 0; d <= k; d++) w[d] = 0;
        w[k] = c;
        if (k > 1) w[k - 1] = -c;
        if (kind == TK_SMOOTH)
        {
            tk_row_products<tk_linear, T, KMAX>(xr, n, y, scale, shift, k, s, excl, all);
            tk_row_reverse<tk_linear, T, KMAX>(xr, n, y, scale, shift, k, excl, all, w, ck, gr, -c);
        }
        else
        {
            tk_row_products<tk_logspace, T, KMAX>(xr, n, y, scale, shift, k, s, excl, all);
            tk_row_reverse<tk_logspace, T, KMAX>(xr, n, y, scale, shift, k, excl, all, w, ck, gr, -c);
        }
    }
}

// log σ_t(exp x), t = 0..K: out [rows, K+1]; NaN rows where x has NaN or its maximum is not finite.
template <typename T, int KMAX>
__device__ void tk_log_esp_forward(const T* x, int rows, int m, int K, double* out)
{
    TK_SHARED_DYNAMIC(double, smem);
    int q = K < m ? K : m;
    tk_esp_shared s = tk_esp_layout(smem, K, q);
    double tv[KMAX + 1], excl[KMAX + 1], all[KMAX + 1];
    int ti[KMAX + 1];
    unsigned t = tk_thread(), TT = tk_block_dim();
    for (int r = tk_block(); r < rows; r += tk_grid_dim())
    {
        const T* xr = x + (long long)r * m;
        double* o = out + (long long)r * (K + 1);
        int nan = tk_row_top<T, KMAX + 1>(xr, m, q, s, tv, ti, tk_is_nan);
        double max = tv[0];
        if (nan || !tk_isfinite(max))
        {
            for (int d = t; d <= K; d += TT) o[d] = TK_NAN;
            continue;
        }
        bool linear = tk_linear_is_safe(max, tv[q - 1], K, m);
        if (linear) tk_row_products<tk_linear, T, KMAX>(xr, m, -1, 1.0, max, K, s, excl, all);
        else tk_row_products<tk_logspace, T, KMAX>(xr, m, -1, 1.0, max, K, s, excl, all);
        for (int d = t; d <= K; d += TT) o[d] = (linear ? tk_linear::log(all[d]) : all[d]) + d * max;
    }
}

template <typename T, int KMAX>
__device__ void tk_log_esp_backward(const T* x, int rows, int m, int K, const double* upstream, double* scratch,
    int checkpoints, T* grad)
{
    TK_SHARED_DYNAMIC(double, smem);
    int q = K < m ? K : m;
    tk_esp_shared s = tk_esp_layout(smem, K, q);
    double tv[KMAX + 1], excl[KMAX + 1], all[KMAX + 1], w[KMAX + 1];
    int ti[KMAX + 1];
    unsigned t = tk_thread(), TT = tk_block_dim();
    double* ck = scratch + ((long long)tk_block() * TT + t) * checkpoints * K;
    for (int r = tk_block(); r < rows; r += tk_grid_dim())
    {
        const T* xr = x + (long long)r * m;
        T* gr = grad + (long long)r * m;
        int nan = tk_row_top<T, KMAX + 1>(xr, m, q, s, tv, ti, tk_is_nan);
        double max = tv[0];
        if (nan || !tk_isfinite(max))
        {
            for (int j = t; j < m; j += TT) gr[j] = (T)TK_NAN;
            continue;
        }
        w[0] = 0;
        for (int d = 1; d <= K; d++) w[d] = d <= m ? upstream[(long long)r * (K + 1) + d] : 0.0;
        if (tk_linear_is_safe(max, tv[q - 1], K, m))
        {
            tk_row_products<tk_linear, T, KMAX>(xr, m, -1, 1.0, max, K, s, excl, all);
            tk_row_reverse<tk_linear, T, KMAX>(xr, m, -1, 1.0, max, K, excl, all, w, ck, gr, 0.0);
        }
        else
        {
            tk_row_products<tk_logspace, T, KMAX>(xr, m, -1, 1.0, max, K, s, excl, all);
            tk_row_reverse<tk_logspace, T, KMAX>(xr, m, -1, 1.0, max, K, excl, all, w, ck, gr, 0.0);
        }
    }
}

#define TK_ESP_KERNELS(T, TN, KMAX)                                                                                          \
    extern "C" __global__ void tk_svm_forward_##TN##_k##KMAX(const T* x, const long long* labels, int rows, int n, int k,     \
        double scale, double alpha, double tau, double hard_gap, double* loss, double* u, double* shift, int* kind, int* hard) \
    {                                                                                                                        \
        tk_svm_forward<T, KMAX>(x, labels, rows, n, k, scale, alpha, tau, hard_gap, loss, u, shift, kind, hard);             \
    }                                                                                                                        \
    extern "C" __global__ void tk_svm_backward_##TN##_k##KMAX(const T* x, const long long* labels, int rows, int n, int k,    \
        double scale, double alpha, const double* u, const double* shift, const int* kind, const int* hard,                  \
        const double* upstream, double* scratch, int checkpoints, T* grad)                                                   \
    {                                                                                                                        \
        tk_svm_backward<T, KMAX>(x, labels, rows, n, k, scale, alpha, u, shift, kind, hard, upstream, scratch, checkpoints,  \
            grad);                                                                                                           \
    }                                                                                                                        \
    extern "C" __global__ void tk_log_esp_forward_##TN##_k##KMAX(const T* x, int rows, int m, int K, double* out)            \
    {                                                                                                                        \
        tk_log_esp_forward<T, KMAX>(x, rows, m, K, out);                                                                     \
    }                                                                                                                        \
    extern "C" __global__ void tk_log_esp_backward_##TN##_k##KMAX(const T* x, int rows, int m, int K,                        \
        const double* upstream, double* scratch, int checkpoints, T* grad)                                                   \
    {                                                                                                                        \
        tk_log_esp_backward<T, KMAX>(x, rows, m, K, upstream, scratch, checkpoints, grad);                                   \
    }

TK_ESP_KERNELS(float, f32, 8)
TK_ESP_KERNELS(float, f32, 32)
TK_ESP_KERNELS(double, f64, 8)
TK_ESP_KERNELS(double, f64, 32)
