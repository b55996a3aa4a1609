using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TopKLoss.Kernels;

/// <summary>
/// The rescaled-linear-space rows of the smooth top-k SVM (all but extreme ones), SIMD across rows:
/// forward L = τ·softplus(u), u = α/τ + log σ_k − log σ_{k−1} − s_y/(kτ); backward
/// ∂L/∂s_j = c·(π_k(j) − π_{k−1}(j)), ∂L/∂s_y = −c, c = upstream·sigmoid(u)/k, through
/// <see cref="PackedEsp{V,L}"/>. Rows are given by index; shift[m][r] is the row's largest scaled
/// score other than the label's for member m, so every e_j ≤ 1. One call computes one or several
/// members (the terms w_m·L_{k_m,τ} of a multi-k mixture) in the same pass over the scores
/// (<see cref="PackLayout"/>): per row the loss is Σ_m w_m·L_m and the gradient Σ_m w_m·∂L_m.
/// <para>When the input requires grad, the forward keeps state for the backward in one pooled
/// buffer of at most <see cref="KeptLimitBytes"/>: each pack's exponentials, σ and checkpoints (every member's) when
/// they fit (the backward then skips the exponentials and the forward recursion), else only σ and
/// the checkpoints (the backward skips the forward recursion and recomputes the exponentials part
/// by part in its reverse sweep), else nothing (the backward recomputes everything). The first
/// backward consumes the buffer and returns it to the pool; a second backward through a retained
/// graph recomputes. Packs whose exponentials are not kept are streamed in parts
/// (<see cref="PackStream"/>).</para>
/// </summary>
internal static class SmoothTopKSvmPacks
{
    /// <summary>
    /// One packed call: the rows (by index) and the members it computes for them (indices into
    /// <paramref name="Members"/>). <paramref name="Accumulate"/>: the backward adds to the rows'
    /// gradients, which already hold the terms of the other members (rows outside the shared packs).
    /// </summary>
    public sealed record Rows(int[] Index, long[] Labels, int N, double Tau, double Alpha, SvmMember[] Members, int[] Terms,
        double[][] Shift, bool Accumulate);

    /// <summary>The forward's per-pack state, until one backward takes it.</summary>
    public sealed class Kept(double[] buffer, PackLayout layout)
    {
        /// <summary>Where each pack's state lies (and the forward's width: <see cref="PackLayout.Lanes"/>).</summary>
        public PackLayout Layout { get; } = layout;

        private double[]? buffer = buffer;

        /// <summary>The buffer, once; null afterwards.</summary>
        public double[]? Take() => Interlocked.Exchange(ref buffer, null);
    }

    /// <summary>Largest state one call's forward keeps for the backward (beyond: less is kept, see the class summary); tests lower it.</summary>
    internal static long KeptLimitBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Adds Σ_m w_m·L_m of the packed rows to loss[r] and sets u[m][r]; with <paramref name="keep"/>,
    /// the state for the backward (null when even σ and the checkpoints are too large).
    /// </summary>
    public static Kept? Forward(nint src, bool isFloat, Rows rows, double[][] u, double[] loss, bool keep) => VectorWidths.Widest switch
    {
        VectorWidth.Bits512 => Forward<Vector512<double>, Lanes512>(src, isFloat, rows, u, loss, keep),
        VectorWidth.Bits256 => Forward<Vector256<double>, Lanes256>(src, isFloat, rows, u, loss, keep),
        VectorWidth.Bits128 => Forward<Vector128<double>, Lanes128>(src, isFloat, rows, u, loss, keep),
        _ => Forward<double, LanesScalar>(src, isFloat, rows, u, loss, keep),
    };

    /// <summary>
    /// The backward at the forward's width: <paramref name="kept"/> (if any) holds packs of that many
    /// lanes, so a test that narrows the width between the passes gets a recomputation, not a misread.
    /// </summary>
    public static void Backward(nint src, nint dst, bool isFloat, Rows rows, Kept? kept, double[][] u, double[] upstream)
    {
        if (kept is not null && kept.Layout.Lanes != EspLanes.Count) kept = null;
        switch (VectorWidths.Widest)
        {
            case VectorWidth.Bits512: Backward<Vector512<double>, Lanes512>(src, dst, isFloat, rows, kept, u, upstream); break;
            case VectorWidth.Bits256: Backward<Vector256<double>, Lanes256>(src, dst, isFloat, rows, kept, u, upstream); break;
            case VectorWidth.Bits128: Backward<Vector128<double>, Lanes128>(src, dst, isFloat, rows, kept, u, upstream); break;
            default: Backward<double, LanesScalar>(src, dst, isFloat, rows, kept, u, upstream); break;
        }
    }

    private static Kept? Forward<V, L>(nint src, bool isFloat, Rows rows, double[][] u, double[] loss, bool keep)
        where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, n = rows.N, packs = (rows.Index.Length + lanes - 1) / lanes;
        var (degrees, scales) = Members(rows);
        bool Fits(PackLayout layout) => keep && packs > 0 && (long)packs * layout.KeptLength * lanes * sizeof(double) <= KeptLimitBytes;
        var layout = PackLayout.For<V, L>(n, degrees, scales, withCheckpoints: true, keepExponentials: true, keepState: true);
        if (!Fits(layout)) layout = PackLayout.For<V, L>(n, degrees, scales, withCheckpoints: true, keepExponentials: false, keepState: true);
        if (!Fits(layout)) layout = PackLayout.For<V, L>(n, degrees, scales, withCheckpoints: false, keepExponentials: false, keepState: false);
        int keptLength = layout.KeptLength * lanes;
        double[]? buffer = layout.StateKept ? ArrayPool<double>.Shared.Rent(packs * keptLength) : null;
        RowPack.ForPacks<V, L>(rows.Index, rows.Labels, Shifts(rows), n, (long)n * degrees.Sum(), layout.ScratchLength, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p, pack, skip, shift, vectors) =>
        {
            var kept = buffer is null ? default : MemoryMarshal.Cast<double, V>(buffer.AsSpan(p * keptLength, keptLength));
            var buffers = layout.Buffers(kept, vectors);
            PackStream.Forward<V, L>(src, isFloat, pack, skip, shift, buffers);
            for (int t = 0; t < degrees.Length; t++)
            {
                int m = rows.Terms[t], k = degrees[t];
                var sigmaLanes = PackedEsp<V, L>.Lanes(buffers.Sigma(t));
                for (int l = 0; l < pack.Length; l++)
                {
                    int r = pack[l];
                    double logRatio = Math.Log(sigmaLanes[k * lanes + l]) - Math.Log(sigmaLanes[(k - 1) * lanes + l]) + shift[t * lanes + l];
                    double sy = CpuRows.Read(src, isFloat, (long)r * n + skip[l]) * scales[t];
                    u[m][r] = rows.Alpha / rows.Tau + logRatio - sy;
                    loss[r] += rows.Members[m].Weight * (rows.Tau * SmoothTopKSvmKernel.Softplus(u[m][r]));
                }
            }
        });
        return buffer is null ? null : new Kept(buffer, layout);
    }

    private static void Backward<V, L>(nint src, nint dst, bool isFloat, Rows rows, Kept? kept, double[][] u, double[] upstream)
        where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, n = rows.N;
        var (degrees, scales) = Members(rows);
        double[]? buffer = kept?.Take();
        var layout = buffer is not null ? kept!.Layout
            : PackLayout.For<V, L>(n, degrees, scales, withCheckpoints: true, keepExponentials: false, keepState: false);
        int keptLength = layout.KeptLength * lanes;
        RowPack.ForPacks<V, L>(rows.Index, rows.Labels, Shifts(rows), n, 4L * n * degrees.Sum(), layout.ScratchLength, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p, pack, skip, shift, vectors) =>
        {
            var buffers = layout.Buffers(buffer is null ? default : MemoryMarshal.Cast<double, V>(buffer.AsSpan(p * keptLength, keptLength)), vectors);
            bool loaded = layout.ExponentialsKept;
            if (buffer is null)
            {
                // Nothing kept: σ and the checkpoints again (a row that fits one part keeps its exponentials in e).
                PackStream.Forward<V, L>(src, isFloat, pack, skip, shift, buffers);
                loaded = buffers.E(0).Length >= n;
            }

            // F = c·(log σ_k − log σ_{k−1}) per lane and member: adjoint_t = w_t/σ_t (σ_0 is constant); ∂L/∂s_y = −Σ c.
            Span<double> atSkip = stackalloc double[pack.Length];
            for (int t = 0; t < degrees.Length; t++)
            {
                int m = rows.Terms[t], k = degrees[t];
                var sigmaLanes = PackedEsp<V, L>.Lanes(buffers.Sigma(t));
                var adjointLanes = PackedEsp<V, L>.Lanes(buffers.Adjoint(t));
                adjointLanes.Clear();
                for (int l = 0; l < pack.Length; l++)
                {
                    double c = upstream[pack[l]] * rows.Members[m].Weight * SmoothTopKSvmKernel.Sigmoid(u[m][pack[l]]) / k;
                    adjointLanes[k * lanes + l] = c / sigmaLanes[k * lanes + l];
                    if (k > 1) adjointLanes[(k - 1) * lanes + l] = -c / sigmaLanes[(k - 1) * lanes + l];
                    atSkip[l] = t == 0 ? -c : atSkip[l] - c;
                }
            }
            PackStream.Reverse<V, L>(src, dst, isFloat, pack, skip, shift, buffers, loaded, atSkip, rows.Accumulate);
        });
        if (buffer is not null) ArrayPool<double>.Shared.Return(buffer);
    }

    /// <summary>The call's members' degrees k_m and exponential scales 1/(k_m·τ).</summary>
    private static (int[] Degrees, double[] Scales) Members(Rows rows)
    {
        return (rows.Terms.Select(m => rows.Members[m].K).ToArray(), rows.Terms.Select(m => rows.Members[m].Scale(rows.Tau)).ToArray());
    }

    private static double[][] Shifts(Rows rows) => rows.Terms.Select(m => rows.Shift[m]).ToArray();
}
