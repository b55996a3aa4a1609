// Perturbed k-th largest (Garcin et al. 2022) with the normals drawn inside, one block per row:
// per sample s every thread draws its columns (four per fine block: two coarse and one fine
// Philox block), keeps its top k of p_j = x_j + (T)ε·(T)z_j (value descending, index ascending),
// and the block merges them; thread 0 records the k-th's index and adds its value in float64, in
// sample order. The draws follow Noised/Cpu/NoiseStream.cs exactly (same Philox4x32-10 counters and
// keys, same Φ⁻¹ of the same 48-bit uniform), so the same (seed, stream) selects the same
// indices as the CPU kernel, which draws only part of each normal but provably gets the result of
// drawing all. Nothing of shape [batch, n, B] exists; the backward is a scatter.
// Shared memory: T·k doubles + T·k ints + 2·T ints (tk_noised_shared_bytes).
#pragma once
#include "tk_block.cuh"

__device__ __forceinline__ void tk_philox(unsigned* c, unsigned k0, unsigned k1)
{
    for (int round = 0; round < 10; round++)
    {
        if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        unsigned long long p0 = (unsigned long long)0xD2511F53u * c[0], p1 = (unsigned long long)0xCD9E8D57u * c[2];
        unsigned hi0 = (unsigned)(p0 >> 32), lo0 = (unsigned)p0, hi1 = (unsigned)(p1 >> 32), lo1 = (unsigned)p1;
        unsigned n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0; c[1] = lo1; c[2] = n2; c[3] = lo0;
    }
}

// Wichura's AS 241 (PPND16), as Noised/Cpu/NormalQuantile.cs, term for term.
__device__ inline double tk_quantile_central(double q)
{
    double r = 0.180625 - q * q;
    double a = ((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
        + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
        + 133.14166789178437745) * r + 3.3871328727963666080;
    double b = ((((((5226.4952788528545610 * r + 28729.085735721942674) * r + 39307.895800092710610) * r
        + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.18700749205790830) * r
        + 42.313330701600911252) * r + 1.0;
    return q * a / b;
}

__device__ inline double tk_quantile_tail(double p)
{
    double r = __builtin_sqrt(-tk_log(p));
    if (r <= 5)
    {
        r -= 1.6;
        double c = ((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r + 2.41780725177450611770e-1) * r
            + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.76949722146069140550) * r
            + 4.63033784615654529590) * r + 1.42343711074968357734;
        double d = ((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r + 1.51986665636164571966e-2) * r
            + 1.48103976427480074590e-1) * r + 6.89767334985100004550e-1) * r + 1.67638483018380384940) * r
            + 2.05319162663775882187) * r + 1.0;
        return c / d;
    }
    r -= 5;
    double e = ((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.24266094738807843860e-3) * r
        + 2.65321895265761230930e-2) * r + 2.96560571828504891230e-1) * r + 1.78482653991729133580) * r
        + 5.46378491116411436990) * r + 6.65790464350110377720;
    double f = ((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r + 1.84631831751005468180e-5) * r
        + 7.86869131145613259100e-4) * r + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
        + 5.99832206555887937690e-1) * r + 1.0;
    return e / f;
}

// Φ⁻¹((coarse·2³² + fine + ½)/2⁴⁸), as NormalQuantile.FromBits.
__device__ inline double tk_normal_from_bits(unsigned coarse, unsigned fine)
{
    const double scale48 = 1.0 / 281474976710656.0;
    long long m = ((long long)coarse << 32) | fine;
    double u = ((double)m + 0.5) * scale48, q = u - 0.5;
    if (tk_abs(q) <= 0.425) return tk_quantile_central(q);
    double z = tk_quantile_tail(q < 0 ? u : ((double)((1LL << 48) - m) - 0.5) * scale48);
    return q < 0 ? -z : z;
}

// The keys of NoiseStream(seed, stream): (c0, c1) coarse, (f0, f1) fine.
__device__ __forceinline__ void tk_noise_keys(unsigned long long seed, unsigned long long stream, unsigned* keys)
{
    keys[0] = (unsigned)stream; keys[1] = (unsigned)(stream >> 32); keys[2] = 0; keys[3] = 0x6E6F6973u; // "nois"
    tk_philox(keys, (unsigned)seed, (unsigned)(seed >> 32));
}

// The normals of columns 4f .. 4f + 3 of (row, sample): one fine block, two coarse blocks.
__device__ inline void tk_draw_four(const unsigned* keys, long long row, int sample, int f, double* z)
{
    unsigned fine[4] = { (unsigned)f, (unsigned)sample, (unsigned)row, (unsigned)((unsigned long long)row >> 32) };
    tk_philox(fine, keys[2], keys[3]);
    int j = 4 * f, g = j / 128, r = j % 128, m = r / 32, i = r % 32 / 2;
    for (int pair = 0; pair < 2; pair++)
    {
        unsigned w[4] = { (unsigned)(16 * g + i + pair), (unsigned)sample, (unsigned)row, (unsigned)((unsigned long long)row >> 32) };
        tk_philox(w, keys[0], keys[1]);
        z[2 * pair] = tk_normal_from_bits(w[m] & 0xFFFFu, fine[2 * pair]);
        z[2 * pair + 1] = tk_normal_from_bits(w[m] >> 16, fine[2 * pair + 1]);
    }
}

// For tests: the normal z(seed, stream, row, column, sample), out[row·n·B + column·B + sample] (the layout of FusedNoisedTopK.Noise).
extern "C" __global__ void tk_noise_fill(int rows, int n, int samples, unsigned long long seed, unsigned long long stream, double* out)
{
    unsigned keys[4];
    tk_noise_keys(seed, stream, keys);
    int fines = (n + 3) / 4;
    for (long long u = (long long)tk_block() * tk_block_dim() + tk_thread(); u < (long long)rows * samples * fines;
         u += (long long)tk_grid_dim() * tk_block_dim())
    {
        int f = (int)(u % fines), s = (int)(u / fines % samples);
        long long row = u / fines / samples;
        double z[4];
        tk_draw_four(keys, row, s, f, z);
        for (int a = 0; a < 4 && 4 * f + a < n; a++) out[(row * n + 4 * f + a) * samples + s] = z[a];
    }
}

template <typename T, int KMAX>
__device__ void tk_noised_forward(const T* x, int rows, int n, int k, double epsilon, int samples, const long long* key,
    const long long* labels, const double* margins, double hinge_scale, double* values,
    int* indices, int* nan_rows, int* active)
{
    TK_SHARED_DYNAMIC(double, smem);
    unsigned t = tk_thread(), TT = tk_block_dim();
    double* sv = smem;
    int* si = (int*)(smem + TT * k);
    int* sc = si + TT * k;
    int* flags = sc + TT;
    unsigned keys[4];
    tk_noise_keys((unsigned long long)key[0], (unsigned long long)key[1], keys); // (seed, stream), drawn on the device: no sync
    T eps = (T)epsilon;
    double mv[KMAX];
    int mi[KMAX];
    for (int r = tk_block(); r < rows; r += tk_grid_dim())
    {
        const T* xr = x + (long long)r * n;
        int nan = 0;
        for (int j = t; j < n; j += TT) nan |= tk_isnan((double)xr[j]) ? 1 : 0;
        nan = tk_block_or(nan, flags);
        double value = 0;
        if (nan)
        {
            value = TK_NAN;
            for (int q = t; q < samples; q += TT) indices[(long long)r * samples + q] = 0;
        }
        else if (epsilon == 0) // x + 0·z = x: the hard k-th largest for every sample, no draws
        {
            int count = 0;
            for (int j = t; j < n; j += TT) tk_offer(mv, mi, count, k, (double)xr[j], j);
            tk_block_top<KMAX>(mv, mi, count, k, sv, si, sc);
            value = sv[k - 1];
            int index = si[k - 1];
            for (int q = t; q < samples; q += TT) indices[(long long)r * samples + q] = index;
            tk_sync();
        }
        else
        {
            double sum = 0;
            for (int q = 0; q < samples; q++)
            {
                int count = 0;
                for (int f = t; 4 * f < n; f += TT)
                {
                    double z[4];
                    tk_draw_four(keys, r, q, f, z);
                    for (int a = 0; a < 4 && 4 * f + a < n; a++)
                    {
                        T p = xr[4 * f + a] + eps * (T)z[a];
                        tk_offer(mv, mi, count, k, (double)p, 4 * f + a);
                    }
                }
                tk_block_top<KMAX>(mv, mi, count, k, sv, si, sc);
                if (t == 0)
                {
                    sum += sv[k - 1];
                    indices[(long long)r * samples + q] = si[k - 1];
                }
                tk_sync();
            }
            value = sum / samples;
        }
        if (t == 0)
        {
            nan_rows[r] = nan;
            if (labels)
            {
                T h = ((T)value + (T)margins[r] - xr[labels[r]]) * (T)hinge_scale;
                active[r] = h > 0;
                value = (h > 0 || tk_isnan((double)h)) ? (double)h : 0.0; // relu keeps NaN
            }
            values[r] = value;
        }
    }
}

// grad (zeros on entry) += the one-hot shares of each row's k-th indices, as NoisedTopKKernel.Scatter.
template <typename T>
__device__ void tk_noised_backward(int rows, int n, int samples, const int* indices, const int* nan_rows,
    const long long* labels, const int* active, double hinge_scale, const double* upstream, T* grad)
{
    unsigned t = tk_thread(), TT = tk_block_dim();
    for (int r = tk_block(); r < rows; r += tk_grid_dim())
    {
        T* gr = grad + (long long)r * n;
        if (nan_rows[r])
        {
            for (int j = t; j < n; j += TT) gr[j] = (T)TK_NAN;
            continue;
        }
        if (t != 0) continue;
        T c = (T)upstream[r];
        if (labels)
        {
            if (!active[r]) continue;
            c *= (T)hinge_scale;
        }
        T share = (T)((double)c / samples);
        for (int q = 0; q < samples; q++) gr[indices[(long long)r * samples + q]] += share;
        if (labels) gr[labels[r]] += -c;
    }
}

#define TK_NOISED_KERNELS(T, TN, KMAX)                                                                                     \
    extern "C" __global__ void tk_noised_forward_##TN##_k##KMAX(const T* x, int rows, int n, int k, double epsilon,         \
        int samples, const long long* key, const long long* labels, const double* margins, double hinge_scale,             \
        double* values, int* indices, int* nan_rows, int* active)                                                          \
    {                                                                                                                      \
        tk_noised_forward<T, KMAX>(x, rows, n, k, epsilon, samples, key, labels, margins, hinge_scale, values, indices,    \
            nan_rows, active);                                                                                             \
    }

TK_NOISED_KERNELS(float, f32, 8)
TK_NOISED_KERNELS(float, f32, 64)
TK_NOISED_KERNELS(double, f64, 8)
TK_NOISED_KERNELS(double, f64, 64)

extern "C" __global__ void tk_noised_backward_f32(int rows, int n, int samples, const int* indices, const int* nan_rows,
    const long long* labels, const int* active, double hinge_scale, const double* upstream, float* grad)
{
    tk_noised_backward<float>(rows, n, samples, indices, nan_rows, labels, active, hinge_scale, upstream, grad);
}

extern "C" __global__ void tk_noised_backward_f64(int rows, int n, int samples, const int* indices, const int* nan_rows,
    const long long* labels, const int* active, double hinge_scale, const double* upstream, double* grad)
{
    tk_noised_backward<double>(rows, n, samples, indices, nan_rows, labels, active, hinge_scale, upstream, grad);
}
