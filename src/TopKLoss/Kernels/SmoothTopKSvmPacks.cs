using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TopKLoss.Kernels;

/// <summary>
/// The rescaled-linear-space rows of the smooth top-k SVM (all but extreme ones), SIMD across rows:
/// forward L = τ·softplus(u), u = α/τ + log σ_k − log σ_{k−1} − s_y/(kτ); backward
/// ∂L/∂s_j = c·(π_k(j) − π_{k−1}(j)), ∂L/∂s_y = −c, c = upstream·sigmoid(u)/k, through
/// <see cref="PackedEsp{V,L}"/>. Rows are given by index; shift[r] is the row's largest scaled
/// score other than the label's, so every e_j ≤ 1.
/// <para>The forward keeps each pack's exponentials, σ and checkpoints for the backward in one
/// pooled buffer (up to <see cref="KeptLimitBytes"/>; recomputed beyond it), so the backward skips
/// the exponentials and the forward recursion. The first backward consumes the buffer (the
/// reverse sweep overwrites the exponentials with the gradient) and returns it to the pool; a
/// second backward through a retained graph recomputes.</para>
/// </summary>
internal static class SmoothTopKSvmPacks
{
    public sealed record Rows(int[] Index, long[] Labels, double[] Shift, int N, int K, double Tau, double Alpha);

    /// <summary>The forward's per-pack state, until one backward takes it.</summary>
    public sealed class Kept(double[] buffer)
    {
        private double[]? buffer = buffer;

        /// <summary>The buffer, once; null afterwards (or if nothing was kept).</summary>
        public double[]? Take() => Interlocked.Exchange(ref buffer, null);
    }

    /// <summary>Largest state the forward keeps for the backward (beyond: recomputed, no allocation).</summary>
    public const long KeptLimitBytes = 64L << 20;

    /// <summary>Losses of the packed rows; with <paramref name="keep"/>, the state for the backward (null when too large).</summary>
    public static Kept? Forward(nint src, bool isFloat, Rows rows, double[] u, double[] loss, bool keep) => RowPack.Wide
        ? Forward<Vector512<double>, Lanes512>(src, isFloat, rows, u, loss, keep)
        : Forward<Vector256<double>, Lanes256>(src, isFloat, rows, u, loss, keep);

    public static void Backward(nint src, nint dst, bool isFloat, Rows rows, Kept? kept, double[] u, double[] upstream)
    {
        if (RowPack.Wide) Backward<Vector512<double>, Lanes512>(src, dst, isFloat, rows, kept, u, upstream);
        else Backward<Vector256<double>, Lanes256>(src, dst, isFloat, rows, kept, u, upstream);
    }

    /// <summary>Vectors one pack keeps: e (n), σ (k + 1), checkpoints.</summary>
    private static int KeptPerPack<V, L>(int n, int k) where V : struct where L : ILanes<V> =>
        n + k + 1 + PackedEsp<V, L>.CheckpointLength(n, k);

    private static Kept? Forward<V, L>(nint src, bool isFloat, Rows rows, double[] u, double[] loss, bool keep)
        where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, n = rows.N, k = rows.K;
        double scale = 1.0 / (k * rows.Tau);
        int perPack = KeptPerPack<V, L>(n, k), packs = (rows.Index.Length + lanes - 1) / lanes;
        long keptDoubles = (long)packs * perPack * lanes;
        double[]? buffer = keep && keptDoubles * sizeof(double) <= KeptLimitBytes && packs > 0 ? ArrayPool<double>.Shared.Rent((int)keptDoubles) : null;
        RowPack.ForPacks<V, L>(rows.Index, rows.Labels, rows.Shift, n, (long)n * k, n + k + 1, (p, pack, skip, shift, vectors) =>
        {
            var region = buffer is null ? vectors : MemoryMarshal.Cast<double, V>(buffer.AsSpan(p * perPack * lanes, perPack * lanes));
            var e = region[..n];
            var sigma = region.Slice(n, k + 1);
            var checkpoints = buffer is null ? default : region.Slice(n + k + 1, perPack - n - k - 1);
            RowPack.LoadExp<V, L>(src, isFloat, n, pack, skip, shift, scale, e);
            PackedEsp<V, L>.Forward(e, sigma, checkpoints);
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
        return buffer is null ? null : new Kept(buffer);
    }

    private static void Backward<V, L>(nint src, nint dst, bool isFloat, Rows rows, Kept? kept, double[] u, double[] upstream)
        where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, n = rows.N, k = rows.K;
        double scale = 1.0 / (k * rows.Tau);
        int checkpointLength = PackedEsp<V, L>.CheckpointLength(n, k), block = PackedEsp<V, L>.BlockLength(k);
        int perPack = KeptPerPack<V, L>(n, k);
        double[]? buffer = kept?.Take();
        RowPack.ForPacks<V, L>(rows.Index, rows.Labels, rows.Shift, n, 4L * n * k, n + 2 * (k + 1) + checkpointLength + block, (p, pack, skip, shift, vectors) =>
        {
            var adjoint = vectors.Slice(n + k + 1, k + 1);
            var scratch = vectors.Slice(n + 2 * (k + 1) + checkpointLength, block);
            Span<V> e, sigma, checkpoints;
            if (buffer is null)
            {
                e = vectors[..n];
                sigma = vectors.Slice(n, k + 1);
                checkpoints = vectors.Slice(n + 2 * (k + 1), checkpointLength);
                RowPack.LoadExp<V, L>(src, isFloat, n, pack, skip, shift, scale, e);
                PackedEsp<V, L>.Forward(e, sigma, checkpoints);
            }
            else
            {
                var region = MemoryMarshal.Cast<double, V>(buffer.AsSpan(p * perPack * lanes, perPack * lanes));
                e = region[..n];
                sigma = region.Slice(n, k + 1);
                checkpoints = region.Slice(n + k + 1, checkpointLength);
            }

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
            PackedEsp<V, L>.Reverse(e, adjoint, checkpoints, scratch);

            var gradient = PackedEsp<V, L>.Lanes(e);
            for (int l = 0; l < pack.Length; l++) gradient[skip[l] * lanes + l] = -c[l];
            RowPack.Store<V, L>(dst, isFloat, n, pack, e);
        });
        if (buffer is not null) ArrayPool<double>.Shared.Return(buffer);
    }
}
