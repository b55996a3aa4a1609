namespace TopKLoss.Kernels;

/// <summary>
/// The standard normal quantile Φ⁻¹ by Wichura's algorithm AS 241 (PPND16; Applied Statistics 37,
/// 477–484, 1988): rational approximations of degree 7/7 in three regions, relative error about
/// 1e-16. The noised kernel turns a 48-bit uniform into a normal with it (inversion keeps the
/// order of the uniform, which is what lets the kernel bound a normal from its first 16 bits).
/// </summary>
internal static class NormalQuantile
{
    private const double Scale48 = 1.0 / (1L << 48);

    /// <summary>
    /// Φ⁻¹(u) for u = (coarse·2³² + fine + ½)/2⁴⁸, coarse &lt; 2¹⁶: the draw of <see cref="NoiseStream"/>.
    /// u and 1 − u are both exact in float64, so the tails keep every bit; |z| ≤ 7.87.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double FromBits(uint coarse, uint fine)
    {
        long m = ((long)coarse << 32) | fine;
        double u = (m + 0.5) * Scale48, q = u - 0.5;
        if (Math.Abs(q) <= 0.425) return Central(q);
        double z = Tail(q < 0 ? u : ((1L << 48) - m - 0.5) * Scale48);
        return q < 0 ? -z : z;
    }

    /// <summary>|p − ½| ≤ 0.425: q·A(r)/B(r), r = 0.180625 − q².</summary>
    private static double Central(double q)
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

    /// <summary>The upper tail for a tail probability p ≤ 0.075: C(r)/D(r) or E(r)/F(r), r = √(−ln p).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Tail(double p)
    {
        double r = Math.Sqrt(-PortableMath.Log(p)); // the CUDA kernels' log, bit for bit (not the C library's)
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
}
