using System.Runtime.InteropServices;
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
    public sealed record Rows(int[] Index, long[] Labels, double[] Shift, int N, int K, double Tau, double Alpha)
    {
        /// <summary>
        /// What the forward leaves for the backward, per pack: the elements e, the checkpoints and σ
        /// (O(batch·n·(1 + k/32)) float64). Null when that exceeds <see cref="SaveLimit"/>: the
        /// backward then recomputes them.
        /// </summary>
        public double[]? State { get; set; }
    }

    /// <summary>Most float64 the forward keeps for the backward (128 MB); beyond it the backward recomputes.</summary>
    internal static long SaveLimit { get; set; } = 1L << 24;

    /// <summary>Vectors of saved state per pack: e (n), checkpoints, σ (k + 1).</summary>
    private static int StatePerPack<V, L>(int n, int k) where V : struct where L : ILanes<V> =>
        n + PackedEsp<V, L>.CheckpointLength(n, k) + k + 1;

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
        int per = StatePerPack<V, L>(n, k), checkpoints = PackedEsp<V, L>.CheckpointLength(n, k);
        long stateLength = (long)(rows.Index.Length + lanes - 1) / lanes * per * lanes;
        var state = stateLength <= SaveLimit ? GC.AllocateUninitializedArray<double>((int)stateLength) : null;
        rows.State = state;
        RowPack.ForPacks<V, L>(rows.Index, rows.Labels, rows.Shift, n, (long)n * k, state is null ? n + k + 1 : 0, (packIndex, pack, skip, shift, vectors) =>
        {
            Span<V> e, sigma, saved = default;
            if (state is not null)
            {
                var mine = MemoryMarshal.Cast<double, V>(state.AsSpan(packIndex * per * lanes, per * lanes));
                e = mine[..n];
                saved = mine.Slice(n, checkpoints);
                sigma = mine.Slice(n + checkpoints, k + 1);
            }
            else
            {
                e = vectors[..n];
                sigma = vectors.Slice(n, k + 1);
            }
            RowPack.LoadExp<V, L>(src, isFloat, n, pack, skip, shift, scale, e);
            PackedEsp<V, L>.Forward(e, sigma, saved);
            var sigmaLanes = PackedEsp<V, L>.Lanes(sigma);
            for (int l = 0; l < pack.Length; l++)
            {
                int r = pack[l];
                double logRatio = Math.Log(sigmaLanes[k * lanes + l]) - Math.Log(sigmaLanes[(k - 1) * lanes + l]) + shift[l];
                double sy = ReadScore(src, isFloat, (long)r * n + skip[l]) * scale;
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
        int per = StatePerPack<V, L>(n, k);
        var state = rows.State;
        RowPack.ForPacks<V, L>(rows.Index, rows.Labels, rows.Shift, n, 4L * n * k, n + 2 * (k + 1) + checkpoints + block,
            (packIndex, pack, skip, shift, vectors) =>
        {
            var gradientVectors = vectors[..n];
            var adjoint = vectors.Slice(n + k + 1, k + 1);
            var scratch = vectors.Slice(n + 2 * (k + 1) + checkpoints, block);
            ReadOnlySpan<V> e, sigma, saved;
            if (state is not null)
            {
                // Left by the forward; read only, so a second backward (retain_graph) sees it intact.
                var mine = MemoryMarshal.Cast<double, V>(state.AsSpan(packIndex * per * lanes, per * lanes));
                e = mine[..n];
                saved = mine.Slice(n, checkpoints);
                sigma = mine.Slice(n + checkpoints, k + 1);
            }
            else
            {
                var recomputedSigma = vectors.Slice(n, k + 1);
                var recomputedSaved = vectors.Slice(n + 2 * (k + 1), checkpoints);
                RowPack.LoadExp<V, L>(src, isFloat, n, pack, skip, shift, scale, gradientVectors);
                PackedEsp<V, L>.Forward(gradientVectors, recomputedSigma, recomputedSaved);
                e = gradientVectors;
                saved = recomputedSaved;
                sigma = recomputedSigma;
            }

            // F = c·(log σ_k − log σ_{k−1}) per lane: adjoint_t = w_t/σ_t (σ_0 is constant).
            Span<double> c = stackalloc double[lanes];
            var sigmaLanes = MemoryMarshal.Cast<V, double>(sigma);
            var adjointLanes = PackedEsp<V, L>.Lanes(adjoint);
            adjointLanes.Clear();
            for (int l = 0; l < pack.Length; l++)
            {
                c[l] = upstream[pack[l]] * SmoothTopKSvmKernel.Sigmoid(u[pack[l]]) / k;
                adjointLanes[k * lanes + l] = c[l] / sigmaLanes[k * lanes + l];
                if (k > 1) adjointLanes[(k - 1) * lanes + l] = -c[l] / sigmaLanes[(k - 1) * lanes + l];
            }
            PackedEsp<V, L>.Reverse(e, adjoint, saved, scratch, gradientVectors);

            var gradient = PackedEsp<V, L>.Lanes(gradientVectors);
            for (int l = 0; l < pack.Length; l++)
            {
                gradient[skip[l] * lanes + l] = -c[l];
                RowPack.Store(dst, isFloat, n, pack[l], gradient, l, lanes);
            }
        });
    }

    private static unsafe double ReadScore(nint basePtr, bool isFloat, long offset) =>
        isFloat ? ((float*)basePtr)[offset] : ((double*)basePtr)[offset];
}
