// Math built from +, −, ×, ÷, sqrt and bit operations only, so that clang's PTX (no libdevice:
// -nocudalib) and g++ compute every bit the same (both with -ffp-contract=off), and so that a C#
// port (src/TopKLoss/Kernels/PortableMath.cs) can match them bit for bit.
#pragma once

#define TK_INF __builtin_inf()
#define TK_NAN __builtin_nan("")

__device__ __forceinline__ unsigned long long tk_bits(double x) { return __builtin_bit_cast(unsigned long long, x); }
__device__ __forceinline__ double tk_from_bits(unsigned long long b) { return __builtin_bit_cast(double, b); }
__device__ __forceinline__ bool tk_isnan(double x) { return x != x; }
__device__ __forceinline__ bool tk_isfinite(double x) { return x - x == 0.0; }
__device__ __forceinline__ double tk_abs(double x) { return x < 0 ? -x : x; }
__device__ __forceinline__ double tk_max(double a, double b) { return a > b ? a : b; }

// 2^e for −1022 ≤ e ≤ 1023.
__device__ __forceinline__ double tk_pow2(int e) { return tk_from_bits((unsigned long long)(e + 1023) << 52); }

// ln 2 split so that k·LN2_HI is exact for |k| < 2^11 (fdlibm's constants).
#define TK_LN2_HI 6.93147180369123816490e-01
#define TK_LN2_LO 1.90821492927058770002e-10

// exp(x), about 1 ulp: x = k·ln2 + r, |r| ≤ ln2/2, e^r by its Taylor series to r^13 (truncation < 1e-17).
__device__ inline double tk_exp(double x)
{
    if (tk_isnan(x)) return x;
    if (x > 709.782712893384) return TK_INF;
    if (x < -745.1332191019412) return 0.0;
    double t = x * 1.4426950408889634;
    long long k = (long long)(t >= 0 ? t + 0.5 : t - 0.5);
    double r = (x - (double)k * TK_LN2_HI) - (double)k * TK_LN2_LO;
    double p = 1.0 / 6227020800.0;                 // 1/13!
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    int e = (int)k;
    if (e > 1023) return p * tk_pow2(1023) * tk_pow2(e - 1023);
    if (e < -1022) return p * tk_pow2(e + 54) * tk_pow2(-54);
    return p * tk_pow2(e);
}

// log(x), about 1 ulp: x = 2^e·m, m in [√½, √2), f = m − 1, s = f/(2 + f),
// log m = 2·atanh(s) = f − s·(f − R), R = Σ_{i≥1} 2/(2i+1)·s^(2i) (to s^20; truncation < 1e-19).
__device__ inline double tk_log(double x)
{
    if (tk_isnan(x) || x < 0) return TK_NAN;
    if (x == 0) return -TK_INF;
    if (x == TK_INF) return x;
    int e = 0;
    if (x < 2.2250738585072014e-308) { x *= 18014398509481984.0; e = -54; } // subnormal: × 2^54
    unsigned long long b = tk_bits(x);
    e += (int)((b >> 52) & 0x7FF) - 1023;
    double m = tk_from_bits((b & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL);
    if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
    double f = m - 1.0, s = f / (2.0 + f), z = s * s;
    double R = 2.0 / 21.0;
    R = R * z + 2.0 / 19.0;
    R = R * z + 2.0 / 17.0;
    R = R * z + 2.0 / 15.0;
    R = R * z + 2.0 / 13.0;
    R = R * z + 2.0 / 11.0;
    R = R * z + 2.0 / 9.0;
    R = R * z + 2.0 / 7.0;
    R = R * z + 2.0 / 5.0;
    R = R * z + 2.0 / 3.0;
    R = R * z;
    double de = (double)e;
    return de * TK_LN2_HI + ((f - s * (f - R)) + de * TK_LN2_LO);
}

// log(1 + x), accurate for tiny x: as SmoothTopKSvmKernel.Log1p.
__device__ __forceinline__ double tk_log1p(double x)
{
    double w = 1.0 + x;
    return w == 1.0 ? x : tk_log(w) * x / (w - 1.0);
}

__device__ __forceinline__ double tk_softplus(double u) { return tk_max(u, 0.0) + tk_log1p(tk_exp(-tk_abs(u))); }

__device__ __forceinline__ double tk_sigmoid(double u)
{
    return u >= 0 ? 1.0 / (1.0 + tk_exp(-u)) : tk_exp(u) / (1.0 + tk_exp(u));
}
