using System.Runtime.Intrinsics;

namespace TopKLoss.Kernels;

/// <summary>
/// The few float64 SIMD operations the packed kernels need, over one vector type. Packed kernels
/// run one row per lane (4 rows with AVX2, 8 with AVX-512), so every instruction advances several
/// rows' polynomial recursions at once; the JIT specializes the generic code per struct.
/// </summary>
internal interface ILanes<V> where V : struct
{
    static abstract int Count { get; }
    static abstract V Broadcast(double value);
    /// <summary>a·b + addend, fused.</summary>
    static abstract V Fma(V a, V b, V addend);
    static abstract V Add(V a, V b);
    static abstract V Multiply(V a, V b);
    static abstract V Subtract(V a, V b);
    /// <summary>exp per lane (≤ 2 ulp; 0 below the underflow threshold).</summary>
    static abstract V Exp(V v);
}

internal readonly struct Lanes256 : ILanes<Vector256<double>>
{
    public static int Count => Vector256<double>.Count;
    public static Vector256<double> Broadcast(double value) => Vector256.Create(value);
    public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> addend) => Vector256.FusedMultiplyAdd(a, b, addend);
    public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
    public static Vector256<double> Multiply(Vector256<double> a, Vector256<double> b) => a * b;
    public static Vector256<double> Subtract(Vector256<double> a, Vector256<double> b) => a - b;
    public static Vector256<double> Exp(Vector256<double> v) => Vector256.Exp(v);
}

internal readonly struct Lanes512 : ILanes<Vector512<double>>
{
    public static int Count => Vector512<double>.Count;
    public static Vector512<double> Broadcast(double value) => Vector512.Create(value);
    public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> addend) => Vector512.FusedMultiplyAdd(a, b, addend);
    public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
    public static Vector512<double> Multiply(Vector512<double> a, Vector512<double> b) => a * b;
    public static Vector512<double> Subtract(Vector512<double> a, Vector512<double> b) => a - b;
    public static Vector512<double> Exp(Vector512<double> v) => Vector512.Exp(v);
}
