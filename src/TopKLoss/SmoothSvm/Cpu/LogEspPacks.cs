using System.Runtime.Intrinsics;

namespace TopKLoss.Kernels;

/// <summary>
/// log σ_t(exp x), t = 0..K, for the rows where rescaled linear space is exact, SIMD across rows
/// (see <see cref="PackedEsp{V,L}"/>); shift[r] is the row maximum.
/// </summary>
internal static class LogEspPacks
{
    public sealed record Rows(int[] Index, double[] Shift, int M, int K);

    /// <summary>result[r·(K+1) + t] = log σ_t + t·shift (−inf where t exceeds m).</summary>
    public static void Forward(nint src, bool isFloat, Rows rows, double[] result)
    {
        switch (VectorWidths.Widest)
        {
            case VectorWidth.Bits512: Forward<Vector512<double>, Lanes512>(src, isFloat, rows, result); break;
            case VectorWidth.Bits256: Forward<Vector256<double>, Lanes256>(src, isFloat, rows, result); break;
            case VectorWidth.Bits128: Forward<Vector128<double>, Lanes128>(src, isFloat, rows, result); break;
            default: Forward<double, LanesScalar>(src, isFloat, rows, result); break;
        }
    }

    /// <summary>Gradient rows of Σ_t upstream[r, t]·log σ_t into dst.</summary>
    public static void Backward(nint src, nint dst, bool isFloat, Rows rows, double[] upstream)
    {
        switch (VectorWidths.Widest)
        {
            case VectorWidth.Bits512: Backward<Vector512<double>, Lanes512>(src, dst, isFloat, rows, upstream); break;
            case VectorWidth.Bits256: Backward<Vector256<double>, Lanes256>(src, dst, isFloat, rows, upstream); break;
            case VectorWidth.Bits128: Backward<Vector128<double>, Lanes128>(src, dst, isFloat, rows, upstream); break;
            default: Backward<double, LanesScalar>(src, dst, isFloat, rows, upstream); break;
        }
    }

    private static void Forward<V, L>(nint src, bool isFloat, Rows rows, double[] result) where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, m = rows.M, K = rows.K;
        var layout = Layout<V, L>(rows, withCheckpoints: false);
        RowPack.ForPacks<V, L>(rows.Index, null, [rows.Shift], m, (long)m * K, layout.ScratchLength, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, pack, skip, shift, vectors) =>
        {
            var buffers = layout.Buffers(default, vectors);
            PackStream.Forward<V, L>(src, isFloat, pack, skip, shift, buffers);
            var sigmaLanes = PackedEsp<V, L>.Lanes(buffers.Sigma(0));
            for (int l = 0; l < pack.Length; l++)
                for (int t = 0; t <= K; t++)
                    result[(long)pack[l] * (K + 1) + t] = Math.Log(sigmaLanes[t * lanes + l]) + t * shift[l];
        });
    }

    private static void Backward<V, L>(nint src, nint dst, bool isFloat, Rows rows, double[] upstream) where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, m = rows.M, K = rows.K;
        var layout = Layout<V, L>(rows, withCheckpoints: true);
        RowPack.ForPacks<V, L>(rows.Index, null, [rows.Shift], m, 4L * m * K, layout.ScratchLength, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, pack, skip, shift, vectors) =>
        {
            var buffers = layout.Buffers(default, vectors);
            PackStream.Forward<V, L>(src, isFloat, pack, skip, shift, buffers);
            var sigmaLanes = PackedEsp<V, L>.Lanes(buffers.Sigma(0));
            var adjointLanes = PackedEsp<V, L>.Lanes(buffers.Adjoint(0));
            adjointLanes.Clear();
            for (int l = 0; l < pack.Length; l++)
                for (int t = 1; t <= Math.Min(K, m); t++) // σ_0 and σ_{t>m} are constants
                    adjointLanes[t * lanes + l] = upstream[(long)pack[l] * (K + 1) + t] / sigmaLanes[t * lanes + l];
            PackStream.Reverse<V, L>(src, dst, isFloat, pack, skip, shift, buffers, buffers.E(0).Length >= m, default, accumulate: false);
        });
    }

    /// <summary>One member of degree K and scale 1 (e = exp(x − shift)), nothing kept between the passes.</summary>
    private static PackLayout Layout<V, L>(Rows rows, bool withCheckpoints) where V : struct where L : ILanes<V> =>
        PackLayout.For<V, L>(rows.M, [rows.K], [1.0], withCheckpoints, keepExponentials: false, keepState: false);
}
