// Block-level building blocks shared by the kernels: the two arithmetics of the elementary
// symmetric polynomials (as Kernels/EspArithmetic.cs), top-q lists in the order "value
// descending, index ascending" (as Kernels/Selection.cs) merged by a tree in shared memory, and
// truncated polynomial products scanned across the threads of a block.
#pragma once
#include "tk_math.cuh"

// Rescaled linear space: e = exp(x − M) ≤ 1, float64 sums of products.
struct tk_linear
{
    static __device__ __forceinline__ double zero() { return 0.0; }
    static __device__ __forceinline__ double one() { return 1.0; }
    static __device__ __forceinline__ double add(double a, double b) { return a + b; }
    static __device__ __forceinline__ double mul(double a, double b) { return a * b; }
    static __device__ __forceinline__ double element(double shifted) { return tk_exp(shifted); }
    static __device__ __forceinline__ double log(double v) { return tk_log(v); }
    static __device__ __forceinline__ double div(double a, double b) { return a / b; }
    // A positive plain number as a represented value, and back.
    static __device__ __forceinline__ double from_plain(double w) { return w; }
    static __device__ __forceinline__ double to_plain(double v) { return v; }
};

// Log space: products are sums, sums are logaddexp (as LogSpace.Add).
struct tk_logspace
{
    static __device__ __forceinline__ double zero() { return -TK_INF; }
    static __device__ __forceinline__ double one() { return 0.0; }
    static __device__ __forceinline__ double add(double a, double b)
    {
        if (a < b) { double t = a; a = b; b = t; }
        return b == -TK_INF ? a : a + tk_log(1.0 + tk_exp(b - a));
    }
    static __device__ __forceinline__ double mul(double a, double b) { return a + b; }
    static __device__ __forceinline__ double element(double shifted) { return shifted; }
    static __device__ __forceinline__ double log(double v) { return v; }
    static __device__ __forceinline__ double div(double a, double b) { return a - b; }
    static __device__ __forceinline__ double from_plain(double w) { return tk_log(w); }
    static __device__ __forceinline__ double to_plain(double v) { return tk_exp(v); }
};

__device__ __forceinline__ bool tk_before(double v, int i, double w, int j) { return v > w || (v == w && i < j); }

// Offers (v, j) to the list (values, indices) of count ≤ q entries, kept in order.
__device__ __forceinline__ void tk_offer(double* values, int* indices, int& count, int q, double v, int j)
{
    int at;
    if (count == q)
    {
        if (!tk_before(v, j, values[q - 1], indices[q - 1])) return;
        at = q - 1;
    }
    else at = count++;
    while (at > 0 && tk_before(v, j, values[at - 1], indices[at - 1]))
    {
        values[at] = values[at - 1];
        indices[at] = indices[at - 1];
        at--;
    }
    values[at] = v;
    indices[at] = j;
}

// Merges every thread's list (≤ q entries, q ≤ Q) into the block's top q, left in
// values/indices/count of slot 0 of the shared arrays (sv: T·q doubles, si: T·q ints, sc: T ints).
// Every thread of the block must call it.
template <int Q>
__device__ void tk_block_top(double* mine_v, int* mine_i, int mine_count, int q, double* sv, int* si, int* sc)
{
    unsigned t = tk_thread(), T = tk_block_dim();
    for (int a = 0; a < mine_count; a++) { sv[t * q + a] = mine_v[a]; si[t * q + a] = mine_i[a]; }
    sc[t] = mine_count;
    tk_sync();
    for (unsigned stride = 1; stride < T; stride *= 2)
    {
        if (t % (2 * stride) == 0 && t + stride < T)
        {
            double mv[Q];
            int mi[Q];
            const double *av = sv + t * q, *bv = sv + (t + stride) * q;
            const int *ai = si + t * q, *bi = si + (t + stride) * q;
            int na = sc[t], nb = sc[t + stride], ia = 0, ib = 0, m = 0;
            while (m < q && (ia < na || ib < nb))
            {
                bool takeA = ib >= nb || (ia < na && tk_before(av[ia], ai[ia], bv[ib], bi[ib]));
                if (takeA) { mv[m] = av[ia]; mi[m] = ai[ia]; ia++; }
                else { mv[m] = bv[ib]; mi[m] = bi[ib]; ib++; }
                m++;
            }
            for (int a = 0; a < m; a++) { sv[t * q + a] = mv[a]; si[t * q + a] = mi[a]; }
            sc[t] = m;
        }
        tk_sync();
    }
}

// Logical OR of one flag per thread (sh: T ints); every thread gets the result.
__device__ inline int tk_block_or(int flag, int* sh)
{
    unsigned t = tk_thread(), T = tk_block_dim();
    sh[t] = flag;
    tk_sync();
    for (unsigned stride = 1; stride < T; stride *= 2)
    {
        if (t % (2 * stride) == 0 && t + stride < T) sh[t] = sh[t] | sh[t + stride];
        tk_sync();
    }
    int result = sh[0];
    tk_sync();
    return result;
}

// out = (p·q) mod z^(K+1), in arithmetic A (out may not alias p or q).
template <class A>
__device__ __forceinline__ void tk_poly_mul(const double* p, const double* q, double* out, int K)
{
    for (int d = 0; d <= K; d++)
    {
        double s = A::zero();
        for (int a = 0; a <= d; a++) s = A::add(s, A::mul(p[a], q[d - a]));
        out[d] = s;
    }
}

// σ ← σ·(1 + e·z) mod z^(K+1), degrees 1..top (top ≤ K: the highest non-zero degree after the step).
template <class A>
__device__ __forceinline__ void tk_poly_step(double* sigma, double e, int top)
{
    for (int d = top; d >= 1; d--) sigma[d] = A::add(sigma[d], A::mul(e, sigma[d - 1]));
}

// Given each thread's polynomial P_t (K + 1 coefficients in `mine`), leaves in `excl` the product
// of all the others' (prefix · suffix, no division) and in `all` the product of every P_t.
// pre, suf: T·(K+1) doubles of shared memory each. Every thread must call it.
template <class A, int KMAX>
__device__ void tk_block_products(const double* mine, double* excl, double* all, int K, double* pre, double* suf)
{
    unsigned t = tk_thread(), T = tk_block_dim();
    int w = K + 1;
    for (int d = 0; d <= K; d++) { pre[t * w + d] = mine[d]; suf[t * w + d] = mine[d]; }
    tk_sync();
    double a[KMAX + 1], b[KMAX + 1];
    for (unsigned stride = 1; stride < T; stride *= 2) // Hillis–Steele scans, both directions at once
    {
        bool left = t >= stride, right = t + stride < T;
        if (left) tk_poly_mul<A>(pre + t * w, pre + (t - stride) * w, a, K);
        if (right) tk_poly_mul<A>(suf + t * w, suf + (t + stride) * w, b, K);
        tk_sync();
        if (left) for (int d = 0; d <= K; d++) pre[t * w + d] = a[d];
        if (right) for (int d = 0; d <= K; d++) suf[t * w + d] = b[d];
        tk_sync();
    }
    for (int d = 0; d <= K; d++)
    {
        a[d] = t > 0 ? pre[(t - 1) * w + d] : (d == 0 ? A::one() : A::zero());
        b[d] = t + 1 < T ? suf[(t + 1) * w + d] : (d == 0 ? A::one() : A::zero());
        all[d] = pre[(T - 1) * w + d];
    }
    tk_poly_mul<A>(a, b, excl, K);
    tk_sync();
}
