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
/// <para>When the input requires grad, the forward keeps state for the backward in one pooled
/// buffer of at most <see cref="KeptLimitBytes"/>: each pack's exponentials, σ and checkpoints when
/// they fit (the backward then skips the exponentials and the forward recursion), else only σ and
/// the checkpoints (the backward skips the forward recursion and recomputes the exponentials part
/// by part in its reverse sweep), else nothing (the backward recomputes everything). The first
/// backward consumes the buffer and returns it to the pool; a second backward through a retained
/// graph recomputes. Packs whose exponentials are not kept are streamed in parts
/// (<see cref="PackStream"/>).</para>
/// </summary>
internal static class SmoothTopKSvmPacks
{
    public sealed record Rows(int[] Index, long[] Labels, double[] Shift, int N, int K, double Tau, double Alpha);

    /// <summary>The forward's per-pack state, until one backward takes it.</summary>
    public sealed class Kept(double[] buffer, bool exponentials, int lanes)
    {
        /// <summary>Rows per pack of the forward that kept this.</summary>
        public int Lanes { get; } = lanes;

        private double[]? buffer = buffer;

        /// <summary>Whether each pack's region starts with its n exponentials (else: σ and checkpoints only).</summary>
        public bool Exponentials { get; } = exponentials;

        /// <summary>The buffer, once; null afterwards.</summary>
        public double[]? Take() => Interlocked.Exchange(ref buffer, null);
    }

    /// <summary>Largest state the forward keeps for the backward (beyond: less is kept, see the class summary); tests lower it.</summary>
    internal static long KeptLimitBytes { get; set; } = 64L << 20;

    /// <summary>Losses of the packed rows; with <paramref name="keep"/>, the state for the backward (null when even σ and the checkpoints are too large).</summary>
    public static Kept? Forward(nint src, bool isFloat, Rows rows, double[] u, double[] loss, bool keep) => VectorWidths.Widest switch
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
    public static void Backward(nint src, nint dst, bool isFloat, Rows rows, Kept? kept, double[] u, double[] upstream)
    {
        if (kept is not null && kept.Lanes != EspLanes.Count) kept = null;
        switch (VectorWidths.Widest)
        {
            case VectorWidth.Bits512: Backward<Vector512<double>, Lanes512>(src, dst, isFloat, rows, kept, u, upstream); break;
            case VectorWidth.Bits256: Backward<Vector256<double>, Lanes256>(src, dst, isFloat, rows, kept, u, upstream); break;
            case VectorWidth.Bits128: Backward<Vector128<double>, Lanes128>(src, dst, isFloat, rows, kept, u, upstream); break;
            default: Backward<double, LanesScalar>(src, dst, isFloat, rows, kept, u, upstream); break;
        }
    }

    /// <summary>
    /// One pack's kept region: [e (n vectors, if kept)] [σ (k + 1)] [checkpoints]; its views for
    /// pack p of a kept buffer.
    /// </summary>
    private readonly ref struct Region<V, L> where V : struct where L : ILanes<V>
    {
        public readonly Span<V> E, Sigma, Checkpoints;

        public static int Length(int n, int k, bool exponentials) =>
            (exponentials ? n : 0) + k + 1 + PackedEsp<V, L>.CheckpointLength(n, k);

        public Region(double[] buffer, int p, int n, int k, bool exponentials)
        {
            int length = Length(n, k, exponentials), lanes = L.Count, e = exponentials ? n : 0;
            var region = MemoryMarshal.Cast<double, V>(buffer.AsSpan(p * length * lanes, length * lanes));
            E = region[..e];
            Sigma = region.Slice(e, k + 1);
            Checkpoints = region[(e + k + 1)..];
        }
    }

    private static Kept? Forward<V, L>(nint src, bool isFloat, Rows rows, double[] u, double[] loss, bool keep)
        where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, n = rows.N, k = rows.K, part = PackStream.PartLength(n);
        double scale = 1.0 / (k * rows.Tau);
        int packs = (rows.Index.Length + lanes - 1) / lanes;
        bool Fits(bool exponentials) => keep && packs > 0 && (long)packs * Region<V, L>.Length(n, k, exponentials) * lanes * sizeof(double) <= KeptLimitBytes;
        bool exponentials = Fits(true);
        double[]? buffer = exponentials || Fits(false) ? ArrayPool<double>.Shared.Rent(packs * Region<V, L>.Length(n, k, exponentials) * lanes) : null;
        RowPack.ForPacks<V, L>(rows.Index, rows.Labels, rows.Shift, n, (long)n * k, part + k + 1, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p, pack, skip, shift, vectors) =>
        {
            Span<V> e = vectors[..part], sigma = vectors.Slice(part, k + 1), checkpoints = default;
            if (buffer is not null)
            {
                var region = new Region<V, L>(buffer, p, n, k, exponentials);
                sigma = region.Sigma;
                checkpoints = region.Checkpoints;
                if (exponentials) e = region.E;
            }
            PackStream.Forward<V, L>(src, isFloat, n, pack, skip, shift, scale, e, sigma, checkpoints);
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
        return buffer is null ? null : new Kept(buffer, exponentials, lanes);
    }

    private static void Backward<V, L>(nint src, nint dst, bool isFloat, Rows rows, Kept? kept, double[] u, double[] upstream)
        where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, n = rows.N, k = rows.K, part = PackStream.PartLength(n);
        double scale = 1.0 / (k * rows.Tau);
        int checkpointLength = PackedEsp<V, L>.CheckpointLength(n, k), block = PackedEsp<V, L>.BlockLength(k);
        double[]? buffer = kept?.Take();
        bool exponentials = buffer is not null && kept!.Exponentials;
        RowPack.ForPacks<V, L>(rows.Index, rows.Labels, rows.Shift, n, 4L * n * k, part + 2 * (k + 1) + checkpointLength + block, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p, pack, skip, shift, vectors) =>
        {
            Span<V> e = vectors[..part], sigma = vectors.Slice(part, k + 1), checkpoints = vectors.Slice(part + 2 * (k + 1), checkpointLength);
            var adjoint = vectors.Slice(part + k + 1, k + 1);
            var scratch = vectors.Slice(part + 2 * (k + 1) + checkpointLength, block);
            bool loaded = exponentials;
            if (buffer is not null)
            {
                var region = new Region<V, L>(buffer, p, n, k, exponentials);
                sigma = region.Sigma;
                checkpoints = region.Checkpoints;
                if (exponentials) e = region.E;
            }
            else
            {
                // Nothing kept: σ and the checkpoints again (a row that fits one part keeps its exponentials in e).
                PackStream.Forward<V, L>(src, isFloat, n, pack, skip, shift, scale, e, sigma, checkpoints);
                loaded = e.Length >= n;
            }

            // F = c·(log σ_k − log σ_{k−1}) per lane: adjoint_t = w_t/σ_t (σ_0 is constant); ∂L/∂s_y = −c.
            Span<double> c = stackalloc double[pack.Length];
            var sigmaLanes = PackedEsp<V, L>.Lanes(sigma);
            var adjointLanes = PackedEsp<V, L>.Lanes(adjoint);
            adjointLanes.Clear();
            for (int l = 0; l < pack.Length; l++)
            {
                c[l] = upstream[pack[l]] * SmoothTopKSvmKernel.Sigmoid(u[pack[l]]) / k;
                adjointLanes[k * lanes + l] = c[l] / sigmaLanes[k * lanes + l];
                if (k > 1) adjointLanes[(k - 1) * lanes + l] = -c[l] / sigmaLanes[(k - 1) * lanes + l];
                c[l] = -c[l];
            }
            PackStream.Reverse<V, L>(src, dst, isFloat, n, pack, skip, shift, scale, e, loaded, adjoint, checkpoints, scratch, c);
        });
        if (buffer is not null) ArrayPool<double>.Shared.Return(buffer);
    }
}
