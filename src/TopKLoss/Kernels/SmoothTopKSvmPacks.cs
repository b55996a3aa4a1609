using System.Runtime.Intrinsics;

namespace TopKLoss.Kernels;

/// <summary>
/// The rescaled-linear-space rows of the smooth top-k SVM (all but extreme ones), SIMD across rows:
/// forward L = τ·softplus(u), u = α/τ + log σ_k − log σ_{k−1} − s_y/(kτ); backward
/// ∂L/∂s_j = c·(π_k(j) − π_{k−1}(j)), ∂L/∂s_y = −c, c = upstream·sigmoid(u)/k, through
/// <see cref="PackedEsp{V,L}"/>. Rows are given by index; shift[r] is the row's largest scaled
/// score other than the label's, so every e_j ≤ 1.
/// </summary>
internal static class SmoothTopKSvmPacks
{
    public sealed record Rows(int[] Index, long[] Labels, double[] Shift, int N, int K, double Tau, double Alpha);

    public static void Forward(nint src, bool isFloat, Rows rows, double[] u, double[] loss)
    {
        if (RowPack.Wide) Forward<Vector512<double>, Lanes512>(src, isFloat, rows, u, loss);
        else Forward<Vector256<double>, Lanes256>(src, isFloat, rows, u, loss);
    }

    public static void Backward(nint src, nint dst, bool isFloat, Rows rows, double[] u, double[] upstream)
    {
        if (RowPack.Wide) Backward<Vector512<double>, Lanes512>(src, dst, isFloat, rows, u, upstream);
        else Backward<Vector256<double>, Lanes256>(src, dst, isFloat, rows, u, upstream);
    }

    private static void Forward<V, L>(nint src, bool isFloat, Rows rows, double[] u, double[] loss)
        where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, n = rows.N, k = rows.K;
        double scale = 1.0 / (k * rows.Tau);
        RowPack.ForPacks<V, L>(rows.Index, rows.Labels, rows.Shift, n, (long)n * k, n + k + 1, (pack, skip, shift, vectors) =>
        {
            var e = vectors[..n];
            var sigma = vectors.Slice(n, k + 1);
            RowPack.LoadExp<V, L>(src, isFloat, n, pack, skip, shift, scale, e);
            PackedEsp<V, L>.Forward(e, sigma, default);
            var sigmaLanes = PackedEsp<V, L>.Lanes(sigma);
            for (int l = 0; l < pack.Length; l++)
            {
                int r = pack[l];
                double logRatio = Math.Log(sigmaLanes[k * lanes + l]) - Math.Log(sigmaLanes[(k - 1) * lanes + l]) + shift[l];
                double sy = CpuRows.Read(src, isFloat, (long)r * n + skip[l]) * scale;
                u[r] = rows.Alpha / rows.Tau + logRatio - sy;
                loss[r] = rows.Tau * SmoothTopKSvmKernel.Softplus(u[r]);
            }
        });
    }

    private static void Backward<V, L>(nint src, nint dst, bool isFloat, Rows rows, double[] u, double[] upstream)
        where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, n = rows.N, k = rows.K;
        double scale = 1.0 / (k * rows.Tau);
        int checkpoints = PackedEsp<V, L>.CheckpointLength(n, k), block = PackedEsp<V, L>.BlockLength(k);
        RowPack.ForPacks<V, L>(rows.Index, rows.Labels, rows.Shift, n, 4L * n * k, n + 2 * (k + 1) + checkpoints + block, (pack, skip, shift, vectors) =>
        {
            var e = vectors[..n];
            var sigma = vectors.Slice(n, k + 1);
            var adjoint = vectors.Slice(n + k + 1, k + 1);
            var saved = vectors.Slice(n + 2 * (k + 1), checkpoints);
            var scratch = vectors.Slice(n + 2 * (k + 1) + checkpoints, block);
            RowPack.LoadExp<V, L>(src, isFloat, n, pack, skip, shift, scale, e);
            PackedEsp<V, L>.Forward(e, sigma, saved);

            // F = c·(log σ_k − log σ_{k−1}) per lane: adjoint_t = w_t/σ_t (σ_0 is constant).
            Span<double> c = stackalloc double[lanes];
            var sigmaLanes = PackedEsp<V, L>.Lanes(sigma);
            var adjointLanes = PackedEsp<V, L>.Lanes(adjoint);
            adjointLanes.Clear();
            for (int l = 0; l < pack.Length; l++)
            {
                c[l] = upstream[pack[l]] * SmoothTopKSvmKernel.Sigmoid(u[pack[l]]) / k;
                adjointLanes[k * lanes + l] = c[l] / sigmaLanes[k * lanes + l];
                if (k > 1) adjointLanes[(k - 1) * lanes + l] = -c[l] / sigmaLanes[(k - 1) * lanes + l];
            }
            PackedEsp<V, L>.Reverse(e, adjoint, saved, scratch);

            var gradient = PackedEsp<V, L>.Lanes(e);
            for (int l = 0; l < pack.Length; l++) gradient[skip[l] * lanes + l] = -c[l];
            RowPack.Store<V, L>(dst, isFloat, n, pack, e);
        });
    }
}
