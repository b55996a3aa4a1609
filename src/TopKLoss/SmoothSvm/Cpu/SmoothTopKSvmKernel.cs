using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Kernels;

/// <summary>
/// Fused CPU forward/backward of the per-sample smooth top-k SVM with the published hard/smooth
/// switch (docs/derivations.md §1–4), as a TorchSharp autograd function. Per row, in float64:
/// top-(k+1) selection for the switch; then either the hard loss, or e_j = exp(s_j/(kτ) − M),
/// σ_{k−1}, σ_k by the O(nk) recursion (log space where rescaled linear space could underflow)
/// and L = τ·softplus(u), u = α/τ + log σ_k − log σ_{k−1} − s_y/(kτ). Backward (closed form):
/// ∂L/∂s_y = −sigmoid(u)/k, ∂L/∂s_j = sigmoid(u)/k·(π_k(j) − π_{k−1}(j)) from exact prefix/suffix
/// polynomials. Nothing is kept between the passes but the input and O(batch) row facts.
/// </summary>
internal sealed class SmoothTopKSvmKernel : autograd.SingleTensorFunction<SmoothTopKSvmKernel>
{
    private enum RowKind : byte { Smooth, SmoothLogSpace, Hard, NotFinite }

    private sealed record Saved(long[] Labels, int K, double Tau, double Alpha, RowKind[] Kinds, double[] U, int[] HardIndex,
        SmoothTopKSvmPacks.Rows Packed, SmoothTopKSvmPacks.Kept? Kept);

    public override string Name => nameof(SmoothTopKSvmKernel);

    /// <summary>Per-sample losses [batch] for contiguous CPU float32/float64 scores.</summary>
    public static Tensor Apply(Tensor scores, long[] labels, int k, double tau, double alpha) =>
        apply(scores, labels, k, tau, alpha);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        bool backwardComes = ((Tensor)vars[0]).requires_grad; // keep state for a backward only when one can come
        var scores = ((Tensor)vars[0]).contiguous();
        var labels = (long[])vars[1];
        int k = (int)vars[2];
        double tau = (double)vars[3], alpha = (double)vars[4];
        long batch = scores.shape[0];
        int n = (int)scores.shape[1];
        bool isFloat = scores.dtype == ScalarType.Float32;
        double hardGap = k * tau * Math.Log(1000.0);

        var kinds = new RowKind[batch];
        var us = new double[batch];
        var hardIndex = new int[batch];
        var shifts = new double[batch];
        nint src = CpuRows.Pointer(scores);
        var lossValues = new double[batch];

        CpuRows.For(batch, (long)n * k, 2 * n + 2 * (k + 1) + k + 2, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end, scratch) =>
        {
            var x = scratch.AsSpan(0, n);
            var e = scratch.AsSpan(n, n);
            var sigma = scratch.AsSpan(2 * n, k + 1);
            var topValues = scratch.AsSpan(2 * n + k + 1, k + 1);
            Span<int> topIndices = stackalloc int[k + 1];
            double scale = 1.0 / (k * tau);
            for (long r = first; r < end; r++)
            {
                int y = (int)labels[r];
                // Most rows: bounds certify "smooth, linear space is safe" without sorting the top k + 1
                // (top_k − top_{k+1} ≤ max − T and the k-th largest without y is ≥ T, T ≤ top_{k+1}).
                if (CpuRows.TopBounds(src, isFloat, r, n, k + 1, y, out double lower, out double largest, out double largestExcept)
                    && largest - lower < hardGap && EspRow.LinearIsSafe(largestExcept * scale, lower * scale, k, n - 1))
                {
                    kinds[r] = RowKind.Smooth;
                    shifts[r] = largestExcept * scale;
                    continue;
                }
                bool finite = CpuRows.ScanTop(src, isFloat, r, n, topValues, topIndices);
                if (!finite) { kinds[r] = RowKind.NotFinite; lossValues[r] = double.NaN; continue; }
                if (topValues[k - 1] - topValues[k] >= hardGap)
                {
                    var (kth, index) = RowTop.NthExcluding(topValues, topIndices, k, y);
                    double sy = CpuRows.Read(src, isFloat, r * n + y);
                    kinds[r] = RowKind.Hard;
                    hardIndex[r] = index;
                    lossValues[r] = Math.Max(0.0, alpha + (kth - sy) / k);
                    continue;
                }
                double max = RowTop.NthExcluding(topValues, topIndices, 1, y).Value * scale;
                double kthLargest = RowTop.NthExcluding(topValues, topIndices, k, y).Value * scale;
                if (EspRow.LinearIsSafe(max, kthLargest, k, n - 1))
                {
                    // The common case: computed below, several rows per SIMD instruction.
                    kinds[r] = RowKind.Smooth;
                    shifts[r] = max;
                    continue;
                }
                CpuRows.Load(src, isFloat, r, n, x);
                for (int i = 0; i < n; i++) x[i] *= scale;
                double u = alpha / tau + LogRatio<LogSpace>(x, e, y, max, sigma) - x[y];
                kinds[r] = RowKind.SmoothLogSpace;
                us[r] = u;
                lossValues[r] = tau * Softplus(u);
            }
        });
        var packed = new SmoothTopKSvmPacks.Rows(RowPack.Where(batch, r => kinds[r] == RowKind.Smooth), labels, shifts, n, k, tau, alpha);
        var kept = SmoothTopKSvmPacks.Forward(src, isFloat, packed, us, lossValues, backwardComes);

        ctx.save_for_backward(new List<Tensor> { scores });
        ctx.save_data("saved", new Saved(labels, k, tau, alpha, kinds, us, hardIndex, packed, kept));
        return tensor(lossValues, dtype: scores.dtype);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var scores = ctx.get_saved_variables()[0];
        var s = (Saved)ctx.get_data("saved");
        long batch = scores.shape[0];
        int n = (int)scores.shape[1], k = s.K;
        bool isFloat = scores.dtype == ScalarType.Float32;
        double[] upstream = gradOutput.to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        var grad = empty_like(scores);
        nint src = CpuRows.Pointer(scores), dst = CpuRows.Pointer(grad);

        // Rows outside the packs (hard, log space, non-finite): their O(nk) scratch only when there are any.
        if (s.Packed.Index.Length < batch) CpuRows.For(batch, (long)n * k * 3, RowScratch.Length(n, k), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end, scratch) =>
        {
            var (x, e, g, sigma, weight, prefix) = new RowScratch(scratch, n, k);
            for (long r = first; r < end; r++)
            {
                if (s.Kinds[r] == RowKind.Smooth) continue; // packed rows: below
                int y = (int)s.Labels[r];
                double up = upstream[r];
                g.Clear();
                switch (s.Kinds[r])
                {
                    case RowKind.NotFinite:
                        g.Fill(double.NaN);
                        break;
                    case RowKind.Hard:
                        CpuRows.Load(src, isFloat, r, n, x);
                        if (s.Alpha + (x[s.HardIndex[r]] - x[y]) / k > 0)
                        {
                            g[s.HardIndex[r]] = up / k;
                            g[y] = -up / k;
                        }
                        break;
                    default:
                        CpuRows.Load(src, isFloat, r, n, x);
                        double scale = 1.0 / (k * s.Tau);
                        for (int i = 0; i < n; i++) x[i] *= scale;
                        double c = up * Sigmoid(s.U[r]) / k;
                        weight.Clear();
                        weight[k] = c;
                        if (k > 1) weight[k - 1] = -c;
                        Inclusion<LogSpace>(x, e, y, sigma, weight, g, prefix);
                        g[y] = -c;
                        break;
                }
                CpuRows.Store(dst, isFloat, r, n, g);
            }
        });
        SmoothTopKSvmPacks.Backward(src, dst, isFloat, s.Packed, s.Kept, s.U, upstream);
        return new List<Tensor> { grad, null!, null!, null!, null! };
    }

    /// <summary>log σ_k − log σ_{k−1} of e = exp(x) without index y (shift M cancels but one M).</summary>
    private static double LogRatio<A>(Span<double> x, Span<double> e, int y, double max, Span<double> sigma) where A : IEspArithmetic
    {
        EspRow.Elements<A>(x, max, e);
        EspRow.Forward<A>(e, y, sigma);
        int k = sigma.Length - 1;
        return A.Log(sigma[k]) - A.Log(sigma[k - 1]) + max;
    }

    private static void Inclusion<A>(Span<double> x, Span<double> e, int y, Span<double> sigma,
        ReadOnlySpan<double> weight, Span<double> g, Span<double> prefix) where A : IEspArithmetic
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < x.Length; i++) if (i != y && x[i] > max) max = x[i];
        EspRow.Elements<A>(x, max, e);
        EspRow.Forward<A>(e, y, sigma);
        EspRow.Inclusion<A>(e, y, sigma, weight, g, prefix);
    }

    /// <summary>log(1 + exp(u)) without overflow, accurate for very negative u too.</summary>
    internal static double Softplus(double u) => Math.Max(u, 0.0) + Log1p(Math.Exp(-Math.Abs(u)));

    /// <summary>log(1 + x), accurate for tiny x (Math has no log1p): log(w)·x/(w − 1) with w = 1 + x.</summary>
    internal static double Log1p(double x)
    {
        double w = 1.0 + x;
        return w == 1.0 ? x : Math.Log(w) * x / (w - 1.0);
    }

    internal static double Sigmoid(double u) => u >= 0 ? 1.0 / (1.0 + Math.Exp(-u)) : Math.Exp(u) / (1.0 + Math.Exp(u));
}
