namespace TopKLoss.Kernels;

/// <summary>
/// The few float64 SIMD operations the packed kernels need, over one vector type. Packed kernels
/// run one row per lane (8 rows with AVX-512, 4 with AVX2, 2 with SSE / NEON, 1 in scalar code),
/// so every instruction advances several rows' polynomial recursions at once; the JIT specializes
/// the generic code per struct. <see cref="EspLanes"/> picks the type.
/// </summary>
internal interface ILanes<V> where V : struct
{
    static abstract int Count { get; }
    static abstract V Broadcast(double value);
    /// <summary>
    /// a·b + addend, fused where the CPU has fused multiply-add (every AVX2 and AVX-512 CPU, every
    /// ARM64 one), else rounded twice: emulating the fusion in software costs ~20x, and every term of
    /// the recursions is non-negative, so either rounding keeps them accurate to a few ulp.
    /// </summary>
    static abstract V Fma(V a, V b, V addend);
    static abstract V Add(V a, V b);
    static abstract V Multiply(V a, V b);
    static abstract V Subtract(V a, V b);
    /// <summary>exp per lane (≤ 2 ulp; 0 below the underflow threshold).</summary>
    static abstract V Exp(V v);
}

internal readonly struct Lanes512 : ILanes<Vector512<double>>
{
    public static int Count => Vector512<double>.Count;
    public static Vector512<double> Broadcast(double value) => Vector512.Create(value);
    public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> addend) => Vector512.MultiplyAddEstimate(a, b, addend);
    public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
    public static Vector512<double> Multiply(Vector512<double> a, Vector512<double> b) => a * b;
    public static Vector512<double> Subtract(Vector512<double> a, Vector512<double> b) => a - b;
    public static Vector512<double> Exp(Vector512<double> v) => Vector512.Exp(v);
}

internal readonly struct Lanes256 : ILanes<Vector256<double>>
{
    public static int Count => Vector256<double>.Count;
    public static Vector256<double> Broadcast(double value) => Vector256.Create(value);
    public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> addend) => Vector256.MultiplyAddEstimate(a, b, addend);
    public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
    public static Vector256<double> Multiply(Vector256<double> a, Vector256<double> b) => a * b;
    public static Vector256<double> Subtract(Vector256<double> a, Vector256<double> b) => a - b;
    public static Vector256<double> Exp(Vector256<double> v) => Vector256.Exp(v);
}

internal readonly struct Lanes128 : ILanes<Vector128<double>>
{
    public static int Count => Vector128<double>.Count;
    public static Vector128<double> Broadcast(double value) => Vector128.Create(value);
    public static Vector128<double> Fma(Vector128<double> a, Vector128<double> b, Vector128<double> addend) => Vector128.MultiplyAddEstimate(a, b, addend);
    public static Vector128<double> Add(Vector128<double> a, Vector128<double> b) => a + b;
    public static Vector128<double> Multiply(Vector128<double> a, Vector128<double> b) => a * b;
    public static Vector128<double> Subtract(Vector128<double> a, Vector128<double> b) => a - b;
    public static Vector128<double> Exp(Vector128<double> v) => VectorExp.Exp(v); // not Vector128.Exp: see VectorExp
}

/// <summary>One row at a time, for CPUs without SIMD (or with it switched off).</summary>
internal readonly struct LanesScalar : ILanes<double>
{
    public static int Count => 1;
    public static double Broadcast(double value) => value;
    public static double Fma(double a, double b, double addend) => double.MultiplyAddEstimate(a, b, addend);
    public static double Add(double a, double b) => a + b;
    public static double Multiply(double a, double b) => a * b;
    public static double Subtract(double a, double b) => a - b;
    public static double Exp(double v) => Math.Exp(v);
}

/// <summary>The lane type of the packed ESP kernels: the dispatcher's choice, once per call.</summary>
internal static class EspLanes
{
    /// <summary>Rows per pack at the current width (<see cref="VectorWidths.Widest"/>).</summary>
    public static int Count => VectorWidths.Widest switch
    {
        VectorWidth.Bits512 => Lanes512.Count,
        VectorWidth.Bits256 => Lanes256.Count,
        VectorWidth.Bits128 => Lanes128.Count,
        _ => LanesScalar.Count,
    };
}
