namespace TopKLoss.Kernels;

/// <summary>
/// The arithmetic in which polynomial coefficients σ_j are accumulated. The same row algorithm
/// (<see cref="EspRow"/>) runs in both; the JIT specializes it per struct, so the abstraction is free.
/// </summary>
internal interface IEspArithmetic
{
    /// <summary>The value standing for 0 (additive identity).</summary>
    static abstract double Zero { get; }
    /// <summary>The value standing for 1 (multiplicative identity).</summary>
    static abstract double One { get; }
    static abstract double Add(double a, double b);
    static abstract double Mul(double a, double b);
    /// <summary>The element for log-weight <paramref name="shifted"/> = x_i − M (M the row's shift).</summary>
    static abstract double Element(double shifted);
    /// <summary>log of a represented value (before adding back degree·M).</summary>
    static abstract double Log(double v);
    /// <summary>num / den as a plain number.</summary>
    static abstract double Ratio(double num, double den);
}

/// <summary>
/// Rescaled linear space: e_i = exp(x_i − M) ≤ 1 with M the row maximum, float64 accumulators.
/// Fast (one FMA per coefficient); exact while no significant term underflows or overflows,
/// which <see cref="EspRow.LinearIsSafe"/> checks per row.
/// </summary>
internal readonly struct LinearSpace : IEspArithmetic
{
    public static double Zero => 0.0;
    public static double One => 1.0;
    public static double Add(double a, double b) => a + b;
    public static double Mul(double a, double b) => a * b;
    public static double Element(double shifted) => Math.Exp(shifted);
    public static double Log(double v) => Math.Log(v);
    public static double Ratio(double num, double den) => num / den;
}

/// <summary>Log space (products are sums, sums are logaddexp): finite at any score scale, slower.</summary>
internal readonly struct LogSpace : IEspArithmetic
{
    public static double Zero => double.NegativeInfinity;
    public static double One => 0.0;
    public static double Add(double a, double b)
    {
        if (a < b) (a, b) = (b, a);
        return double.IsNegativeInfinity(b) ? a : a + Math.Log(1.0 + Math.Exp(b - a));
    }
    public static double Mul(double a, double b) => a + b;
    public static double Element(double shifted) => shifted;
    public static double Log(double v) => v;
    public static double Ratio(double num, double den) => Math.Exp(num - den);
}
