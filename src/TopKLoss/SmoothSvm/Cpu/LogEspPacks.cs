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
        int lanes = L.Count, m = rows.M, K = rows.K, part = PackStream.PartLength(m);
        RowPack.ForPacks<V, L>(rows.Index, null, rows.Shift, m, (long)m * K, part + K + 1, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, pack, skip, shift, vectors) =>
        {
            var sigma = vectors.Slice(part, K + 1);
            PackStream.Forward<V, L>(src, isFloat, m, pack, skip, shift, 1.0, vectors[..part], sigma, default);
            var sigmaLanes = PackedEsp<V, L>.Lanes(sigma);
            for (int l = 0; l < pack.Length; l++)
                for (int t = 0; t <= K; t++)
                    result[(long)pack[l] * (K + 1) + t] = Math.Log(sigmaLanes[t * lanes + l]) + t * shift[l];
        });
    }

    private static void Backward<V, L>(nint src, nint dst, bool isFloat, Rows rows, double[] upstream) where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, m = rows.M, K = rows.K, part = PackStream.PartLength(m);
        int checkpoints = PackedEsp<V, L>.CheckpointLength(m, K), block = PackedEsp<V, L>.BlockLength(K);
        RowPack.ForPacks<V, L>(rows.Index, null, rows.Shift, m, 4L * m * K, part + 2 * (K + 1) + checkpoints + block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, pack, skip, shift, vectors) =>
        {
            var e = vectors[..part];
            var sigma = vectors.Slice(part, K + 1);
            var adjoint = vectors.Slice(part + K + 1, K + 1);
            var saved = vectors.Slice(part + 2 * (K + 1), checkpoints);
            var scratch = vectors.Slice(part + 2 * (K + 1) + checkpoints, block);
            PackStream.Forward<V, L>(src, isFloat, m, pack, skip, shift, 1.0, e, sigma, saved);
            var sigmaLanes = PackedEsp<V, L>.Lanes(sigma);
            var adjointLanes = PackedEsp<V, L>.Lanes(adjoint);
            adjointLanes.Clear();
            for (int l = 0; l < pack.Length; l++)
                for (int t = 1; t <= Math.Min(K, m); t++) // σ_0 and σ_{t>m} are constants
                    adjointLanes[t * lanes + l] = upstream[(long)pack[l] * (K + 1) + t] / sigmaLanes[t * lanes + l];
            PackStream.Reverse<V, L>(src, dst, isFloat, m, pack, skip, shift, 1.0, e, e.Length >= m, adjoint, saved, scratch, default);
        });
    }
}
