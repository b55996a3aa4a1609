namespace TopKLoss.Kernels;

/// <summary>
/// log and exp built from +, −, ×, ÷ and bit operations only: the C# twins, operation for
/// operation, of tk_log and tk_exp in Kernels/tk_math.cuh, which the CUDA kernels must use (the PTX
/// has no libdevice). .NET does not fuse multiply-adds and the kernels are compiled with
/// -ffp-contract=off, so both give the same bits (tested against the g++ build of tk_math.cuh).
/// <para>Why it exists: Math.Log (the C library's) and tk_log differ in the last bit for some
/// arguments. The normal quantile's tail (<see cref="NormalQuantile"/>) takes a log, and calls
/// <see cref="Log"/>, so that CPU and GPU draws agree bit for bit.</para>
/// </summary>
internal static class PortableMath
{
    private const double Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10;

    /// <summary>log(x), about 1 ulp (see tk_log for the method).</summary>
    public static double Log(double x)
    {
        if (double.IsNaN(x) || x < 0) return double.NaN;
        if (x == 0) return double.NegativeInfinity;
        if (x == double.PositiveInfinity) return x;
        int e = 0;
        if (x < 2.2250738585072014e-308) { x *= 18014398509481984.0; e = -54; } // subnormal: × 2^54
        ulong b = BitConverter.DoubleToUInt64Bits(x);
        e += (int)((b >> 52) & 0x7FF) - 1023;
        double m = BitConverter.UInt64BitsToDouble((b & 0x000FFFFFFFFFFFFFUL) | 0x3FF0000000000000UL);
        if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
        double f = m - 1.0, s = f / (2.0 + f), z = s * s;
        double r = 2.0 / 21.0;
        r = r * z + 2.0 / 19.0;
        r = r * z + 2.0 / 17.0;
        r = r * z + 2.0 / 15.0;
        r = r * z + 2.0 / 13.0;
        r = r * z + 2.0 / 11.0;
        r = r * z + 2.0 / 9.0;
        r = r * z + 2.0 / 7.0;
        r = r * z + 2.0 / 5.0;
        r = r * z + 2.0 / 3.0;
        r = r * z;
        double de = e;
        return de * Ln2Hi + ((f - s * (f - r)) + de * Ln2Lo);
    }

    /// <summary>exp(x), about 1 ulp (see tk_exp for the method).</summary>
    public static double Exp(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x > 709.782712893384) return double.PositiveInfinity;
        if (x < -745.1332191019412) return 0.0;
        double t = x * 1.4426950408889634;
        long k = (long)(t >= 0 ? t + 0.5 : t - 0.5);
        double r = (x - k * Ln2Hi) - k * Ln2Lo;
        double p = 1.0 / 6227020800.0;
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
        if (e > 1023) return p * Pow2(1023) * Pow2(e - 1023);
        if (e < -1022) return p * Pow2(e + 54) * Pow2(-54);
        return p * Pow2(e);
    }

    private static double Pow2(int e) => BitConverter.UInt64BitsToDouble((ulong)(e + 1023) << 52);
}
