using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TopKLoss.Kernels;

/// <summary>
/// Upper bounds, from the raw Philox words alone (no log, no sincos), of the two normals that
/// <see cref="BoxMuller"/> makes of 16 pairs (radius word w_r, angle word w_a):
/// <code>
/// h = w_r >> 1,  u = (h + ½)·2⁻³¹ ≥ hf·(1 − 2⁻²⁴)·2⁻³¹,   hf = float(h) = 2^e·(1 + m/32 + …)
/// r² = −2 ln u ≤ 2(31 − e)·ln 2 − 2·ln(1 + m/32) + margin          (m: 5 bits after the leading one)
/// θ ∈ bin b = w_a >> 27 of 32 equal arcs:  cos θ ≤ C_b,  sin θ ≤ S_b  (maxima over the closed arc)
/// z_cos ≤ √r²·max(C_b, 0),   z_sin ≤ √r²·max(S_b, 0)
/// </code>
/// The margins (10⁻⁴ on r²; on r 10⁻⁵ absolute and 2·10⁻⁴ relative, which also covers the error
/// of the reciprocal square root estimate, 10⁻⁵ without AVX-512; 10⁻⁵ on the tables) cover the
/// float rounding of hf + ½, of the log, sqrt, sincos and product of the transform itself (a
/// few ulps) and of these bounds, so z ≤ bound holds for the float and the double transforms.
/// The bounds are tight to about 3 % of r and one arc (11.25°), enough to rule out most pairs.
/// </summary>
internal static class PairBounds
{
    private static readonly Vector512<float> Log1pLow, Log1pHigh, CosLow, CosHigh, SinLow, SinHigh;

    static PairBounds()
    {
        var log1p = new float[32];
        var cos = new float[32];
        var sin = new float[32];
        for (int i = 0; i < 32; i++)
        {
            log1p[i] = (float)Math.Log(1 + i / 32.0);
            double lo = 2 * Math.PI * i / 32, hi = 2 * Math.PI * (i + 1) / 32;
            cos[i] = (float)Math.Max(0, (i == 0 || i == 31 ? 1 : Math.Max(Math.Cos(lo), Math.Cos(hi))) + 1e-5);
            sin[i] = (float)Math.Max(0, (i == 7 || i == 8 ? 1 : Math.Max(Math.Sin(lo), Math.Sin(hi))) + 1e-5);
        }
        (Log1pLow, Log1pHigh) = (Vector512.Create<float>(log1p.AsSpan(0, 16)), Vector512.Create<float>(log1p.AsSpan(16)));
        (CosLow, CosHigh) = (Vector512.Create<float>(cos.AsSpan(0, 16)), Vector512.Create<float>(cos.AsSpan(16)));
        (SinLow, SinHigh) = (Vector512.Create<float>(sin.AsSpan(0, 16)), Vector512.Create<float>(sin.AsSpan(16)));
    }

    /// <summary>Bounds of (z_cos, z_sin) of 16 pairs, lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> Cos, Vector512<float> Sin) Of(Vector512<uint> radiusWords, Vector512<uint> angleWords)
    {
        var hf = Vector512.ConvertToSingle((radiusWords >> 1).AsInt32()); // the very conversion the transform makes
        var bits = hf.AsUInt32();
        var e = (bits >> 23).AsInt32() - Vector512.Create(127); // h = 0: e = −127, a huge (harmless) bound
        var m = ((bits >> 18) & Vector512.Create(31u)).AsInt32();
        var r2 = Vector512.ConvertToSingle(Vector512.Create(31) - e) * (float)(2 * Math.Log(2))
                 - Vector512.Create(2f) * Lookup(Log1pLow, Log1pHigh, m) + Vector512.Create(1e-4f);
        var r = Radius(r2);
        var bin = (angleWords >> 27).AsInt32();
        return (r * Lookup(CosLow, CosHigh, bin), r * Lookup(SinLow, SinHigh, bin));
    }

    /// <summary>
    /// An upper bound of √r² (r² ≥ 10⁻⁴ > 0 here): r²·rsqrt14(r²) with AVX-512, whose relative
    /// error 2⁻¹⁴ the factor 1 + 2·10⁻⁴ covers with the roundings (a square root costs several
    /// times more); elsewhere √r² with a 10⁻⁵ relative margin. Both add 10⁻⁵.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Radius(Vector512<float> r2)
    {
        if (Avx512F.IsSupported) return r2 * Avx512F.ReciprocalSqrt14(r2) * 1.0002f + Vector512.Create(1e-5f);
        return Vector512.Sqrt(Vector512.Max(r2, Vector512<float>.Zero)) * 1.00001f + Vector512.Create(1e-5f);
    }

    /// <summary>table[index] for a 32-entry table held in two vectors (index 0..31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lookup(Vector512<float> low, Vector512<float> high, Vector512<int> index)
    {
        if (Avx512F.IsSupported) return Avx512F.PermuteVar16x32x2(low, index, high); // one vpermt2ps
        var inLow = Vector512.LessThan(index, Vector512.Create(16));
        var within = index & Vector512.Create(15);
        return Vector512.ConditionalSelect(inLow.AsSingle(), Vector512.Shuffle(low, within), Vector512.Shuffle(high, within));
    }
}
