using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TopKLoss.Kernels;

/// <summary>
/// Box–Muller: two uniform words → two standard normals, eight Philox blocks (32 words, 32
/// normals) at a time with vector log, sqrt and sincos. For a block (w0, w1, w2, w3):
/// <code>
/// u  = ((w0 >> 1) + ½)·2⁻³¹ ∈ (0, 1]      (31 bits; u ≥ 2⁻³² so the radius is finite)
/// θ  = (w1 >> 8)·2⁻²⁴·2π ∈ [0, 2π)         (24 bits, exact in float and double)
/// r  = √(−2 ln u)
/// z0 = r·cos θ,  z1 = r·sin θ,  and z2, z3 likewise from (w2, w3)
/// </code>
/// Because u ≥ 2⁻³², |z| ≤ √(64 ln 2) ≈ 6.6604 for every draw: the generator's tail is truncated
/// there (probability 2.7·10⁻¹⁰ under the exact normal). Each z is also clamped to ±<see cref="Bound"/>
/// — a no-op that makes the bound hold by construction whatever the rounding of log and sincos —
/// which is what lets the selection skip entries that no draw can lift into the top k.
/// float32 normals are computed in float arithmetic, float64 ones in double; both use the same
/// uniforms, so they agree to float precision.
/// </summary>
internal static class BoxMuller
{
    /// <summary>|z| ≤ Bound for every normal produced (the exact maximum is √(64 ln 2) ≈ 6.6604).</summary>
    public const double Bound = 6.7;

    private const double TwoPiOver2Pow24 = 2 * Math.PI / (1 << 24);
    private const double TwoPow31Inverse = 1.0 / 2147483648.0;

    /// <summary>The 64 normals of 16 blocks (lane i of w0..w3 = block i) → output[4i + lane], in T = float or double.</summary>
    public static void Normals16<T>(Vector512<uint> w0, Vector512<uint> w1, Vector512<uint> w2, Vector512<uint> w3, Span<T> output)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var floats = MemoryMarshal.Cast<T, float>(output);
            Normals8(w0.GetLower(), w1.GetLower(), w2.GetLower(), w3.GetLower(), floats[..32]);
            Normals8(w0.GetUpper(), w1.GetUpper(), w2.GetUpper(), w3.GetUpper(), floats[32..64]);
        }
        else if (typeof(T) == typeof(double))
        {
            var doubles = MemoryMarshal.Cast<T, double>(output);
            Normals8(w0.GetLower(), w1.GetLower(), w2.GetLower(), w3.GetLower(), doubles[..32]);
            Normals8(w0.GetUpper(), w1.GetUpper(), w2.GetUpper(), w3.GetUpper(), doubles[32..64]);
        }
        else throw new NotSupportedException($"normals are float or double, not {typeof(T).Name}");
    }

    /// <summary>Writes the 32 normals of 8 blocks (lane i of w0..w3 = block i) to output[4i + lane].</summary>
    public static void Normals8(Vector256<uint> w0, Vector256<uint> w1, Vector256<uint> w2, Vector256<uint> w3, Span<float> output)
    {
        var r0 = Radius(w0);
        var r2 = Radius(w2);
        var (s1, c1) = Vector256.SinCos(Angle(w1));
        var (s3, c3) = Vector256.SinCos(Angle(w3));
        Interleave(Clamp(r0 * c1), Clamp(r0 * s1), Clamp(r2 * c3), Clamp(r2 * s3), output);
    }

    /// <summary>As the float overload, in double arithmetic.</summary>
    public static void Normals8(Vector256<uint> w0, Vector256<uint> w1, Vector256<uint> w2, Vector256<uint> w3, Span<double> output)
    {
        Normals4(w0.GetLower(), w1.GetLower(), w2.GetLower(), w3.GetLower(), output[..16]);
        Normals4(w0.GetUpper(), w1.GetUpper(), w2.GetUpper(), w3.GetUpper(), output[16..32]);
    }

    private static void Normals4(Vector128<uint> w0, Vector128<uint> w1, Vector128<uint> w2, Vector128<uint> w3, Span<double> output)
    {
        var r0 = Radius(ToDouble(w0 >> 1));
        var r2 = Radius(ToDouble(w2 >> 1));
        var (s1, c1) = Vector256.SinCos(ToDouble(w1 >> 8) * TwoPiOver2Pow24);
        var (s3, c3) = Vector256.SinCos(ToDouble(w3 >> 8) * TwoPiOver2Pow24);
        Interleave(Clamp(r0 * c1), Clamp(r0 * s1), Clamp(r2 * c3), Clamp(r2 * s3), output);
    }

    /// <summary>
    /// Eight independent pairs: lane i gives (r·cos θ, r·sin θ) of radius word radiusWords[i] and
    /// angle word angleWords[i] — lane for lane the same arithmetic as <see cref="Normals8(Vector256{uint}, Vector256{uint}, Vector256{uint}, Vector256{uint}, Span{float})"/>,
    /// so a pair computed here equals the same pair computed inside a block.
    /// </summary>
    public static void Pairs8(Vector256<uint> radiusWords, Vector256<uint> angleWords, Span<float> cos, Span<float> sin)
    {
        var r = Radius(radiusWords);
        var (s, c) = Vector256.SinCos(Angle(angleWords));
        Clamp(r * c).CopyTo(cos);
        Clamp(r * s).CopyTo(sin);
    }

    /// <summary>As the float overload, in double arithmetic.</summary>
    public static void Pairs8(Vector256<uint> radiusWords, Vector256<uint> angleWords, Span<double> cos, Span<double> sin)
    {
        Pairs4(radiusWords.GetLower(), angleWords.GetLower(), cos, sin);
        Pairs4(radiusWords.GetUpper(), angleWords.GetUpper(), cos[4..], sin[4..]);
    }

    private static void Pairs4(Vector128<uint> radiusWords, Vector128<uint> angleWords, Span<double> cos, Span<double> sin)
    {
        var r = Radius(ToDouble(radiusWords >> 1));
        var (s, c) = Vector256.SinCos(ToDouble(angleWords >> 8) * TwoPiOver2Pow24);
        Clamp(r * c).CopyTo(cos);
        Clamp(r * s).CopyTo(sin);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Radius(Vector256<uint> w)
    {
        var u = (Vector256.ConvertToSingle((w >> 1).AsInt32()) + Vector256.Create(0.5f)) * (float)TwoPow31Inverse;
        return Vector256.Sqrt(Vector256.Log(u) * -2f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Radius(Vector256<double> halfWord)
    {
        var u = (halfWord + Vector256.Create(0.5)) * TwoPow31Inverse;
        return Vector256.Sqrt(Vector256.Log(u) * -2.0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Angle(Vector256<uint> w) =>
        Vector256.ConvertToSingle((w >> 8).AsInt32()) * (float)TwoPiOver2Pow24;

    /// <summary>Exact uint → double for 4 lanes: 2⁵² + w has w in its low mantissa bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ToDouble(Vector128<uint> w)
    {
        var wide = Vector256.Create(Vector128.WidenLower(w), Vector128.WidenUpper(w));
        return (wide | Vector256.Create(0x4330000000000000UL)).AsDouble() - Vector256.Create(4503599627370496.0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Clamp<T>(Vector256<T> z) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector256.MinNative(Vector256.MaxNative(z, Vector256.Create(-T.CreateTruncating(Bound))), Vector256.Create(T.CreateTruncating(Bound)));

    /// <summary>Lane i of (z0, z1, z2, z3) → output[4i .. 4i+3]: a 4×8 transpose by unpacks and lane permutes.</summary>
    private static void Interleave(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3, Span<float> output)
    {
        if (!Avx.IsSupported) { InterleaveScalar(z0, z1, z2, z3, output); return; }
        var t0 = Avx.UnpackLow(z0, z1).AsDouble();   // z0_0 z1_0 z0_1 z1_1 | z0_4 z1_4 z0_5 z1_5
        var t1 = Avx.UnpackHigh(z0, z1).AsDouble();  // blocks 2, 3 | 6, 7
        var t2 = Avx.UnpackLow(z2, z3).AsDouble();
        var t3 = Avx.UnpackHigh(z2, z3).AsDouble();
        var b04 = Avx.UnpackLow(t0, t2).AsSingle();  // block 0 | block 4
        var b15 = Avx.UnpackHigh(t0, t2).AsSingle();
        var b26 = Avx.UnpackLow(t1, t3).AsSingle();
        var b37 = Avx.UnpackHigh(t1, t3).AsSingle();
        Avx.Permute2x128(b04, b15, 0x20).CopyTo(output);
        Avx.Permute2x128(b26, b37, 0x20).CopyTo(output[8..]);
        Avx.Permute2x128(b04, b15, 0x31).CopyTo(output[16..]);
        Avx.Permute2x128(b26, b37, 0x31).CopyTo(output[24..]);
    }

    private static void Interleave(Vector256<double> z0, Vector256<double> z1, Vector256<double> z2, Vector256<double> z3, Span<double> output)
    {
        if (!Avx.IsSupported) { InterleaveScalar(z0, z1, z2, z3, output); return; }
        var t0 = Avx.UnpackLow(z0, z1);   // z0_0 z1_0 | z0_2 z1_2
        var t1 = Avx.UnpackHigh(z0, z1);  // z0_1 z1_1 | z0_3 z1_3
        var t2 = Avx.UnpackLow(z2, z3);
        var t3 = Avx.UnpackHigh(z2, z3);
        Avx.Permute2x128(t0, t2, 0x20).CopyTo(output);
        Avx.Permute2x128(t1, t3, 0x20).CopyTo(output[4..]);
        Avx.Permute2x128(t0, t2, 0x31).CopyTo(output[8..]);
        Avx.Permute2x128(t1, t3, 0x31).CopyTo(output[12..]);
    }

    private static void InterleaveScalar<T>(Vector256<T> z0, Vector256<T> z1, Vector256<T> z2, Vector256<T> z3, Span<T> output)
        where T : unmanaged
    {
        for (int i = 0; i < Vector256<T>.Count; i++)
        {
            output[4 * i] = z0.GetElement(i);
            output[4 * i + 1] = z1.GetElement(i);
            output[4 * i + 2] = z2.GetElement(i);
            output[4 * i + 3] = z3.GetElement(i);
        }
    }
}
