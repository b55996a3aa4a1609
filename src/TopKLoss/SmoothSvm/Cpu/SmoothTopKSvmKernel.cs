using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Kernels;

/// <summary>One term w·L_{k,τ} of a smooth top-k SVM loss: a single k is the member (k, 1).</summary>
internal readonly record struct SvmMember(int K, double Weight)
{
    /// <summary>The factor of the scores in its exponentials, 1/(kτ).</summary>
    public double Scale(double tau) => 1.0 / (K * tau);

    /// <summary>The published switch: the hard loss where top_k − top_{k+1} ≥ kτ·ln(1000) (smoothing has underflowed there).</summary>
    public double HardGap(double tau) => K * tau * Math.Log(1000.0);
}

/// <summary>
/// Fused CPU forward/backward of the per-sample smooth top-k SVM with the published hard/smooth
/// switch (docs/derivations.md §1–4), as a TorchSharp autograd function, for one k or a mixture
/// Σ_m w_m·L_{k_m,τ} (members). Per row and member, in float64: top-(k+1) selection for the
/// switch; then either the hard loss, or e_j = exp(s_j/(kτ) − M), σ_{k−1}, σ_k by the O(nk)
/// recursion (log space where rescaled linear space could underflow) and L = τ·softplus(u),
/// u = α/τ + log σ_k − log σ_{k−1} − s_y/(kτ). Backward (closed form): ∂L/∂s_y = −sigmoid(u)/k,
/// ∂L/∂s_j = sigmoid(u)/k·(π_k(j) − π_{k−1}(j)) from exact prefix/suffix polynomials. Nothing is
/// kept between the passes but the input and O(batch) row facts.
/// <para>A mixture reads the scores once where that pays: one selection per row (top-(k_max+1)),
/// and rows on which every member is smooth in linear space (nearly all) share packs whose scores
/// are read, transposed and written back once for all members (<see cref="PackLayout"/>). On the
/// other rows each member takes its own path: the hard and log-space terms row by row, the smooth
/// ones in per-member packs that add to the row's gradient.</para>
/// </summary>
internal sealed class SmoothTopKSvmKernel : autograd.SingleTensorFunction<SmoothTopKSvmKernel>
{
    private enum RowKind : byte { Smooth, SmoothLogSpace, Hard, NotFinite }

    /// <summary>Per member m: its kind, u and hard index per row; the packed calls and what their forwards kept.</summary>
    private sealed record Saved(long[] Labels, SvmMember[] Members, double Tau, double Alpha, RowKind[][] Kinds, double[][] U, int[][] HardIndex,
        bool[] Shared, (SmoothTopKSvmPacks.Rows Rows, SmoothTopKSvmPacks.Kept? Kept)[] Packed);

    public override string Name => nameof(SmoothTopKSvmKernel);

    /// <summary>Per-sample losses [batch] for contiguous CPU float32/float64 scores.</summary>
    public static Tensor Apply(Tensor scores, long[] labels, int k, double tau, double alpha) =>
        apply(scores, labels, new[] { new SvmMember(k, 1.0) }, tau, alpha);

    /// <summary>Per-sample Σ_m w_m·L_{k_m,τ} [batch] for contiguous CPU float32/float64 scores (distinct k_m).</summary>
    public static Tensor Apply(Tensor scores, long[] labels, SvmMember[] members, double tau, double alpha) =>
        apply(scores, labels, members, tau, alpha);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        bool backwardComes = ((Tensor)vars[0]).requires_grad; // keep state for a backward only when one can come
        var scores = ((Tensor)vars[0]).contiguous();
        var labels = (long[])vars[1];
        var members = (SvmMember[])vars[2];
        double tau = (double)vars[3], alpha = (double)vars[4];
        long batch = scores.shape[0];
        int n = (int)scores.shape[1], count = members.Length, kMax = members.Max(m => m.K);
        bool isFloat = scores.dtype == ScalarType.Float32;

        var kinds = Member(count, () => new RowKind[batch]);
        var us = Member(count, () => new double[batch]);
        var hardIndex = Member(count, () => new int[batch]);
        var shifts = Member(count, () => new double[batch]);
        var shared = new bool[batch];
        nint src = CpuRows.Pointer(scores);
        var lossValues = new double[batch];

        CpuRows.For(batch, (long)n * members.Sum(m => m.K), 2 * n + 2 * (kMax + 1) + kMax + 2, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end, scratch) =>
        {
            var x = scratch.AsSpan(0, n);
            var e = scratch.AsSpan(n, n);
            var topValues = scratch.AsSpan(2 * n + kMax + 1, kMax + 1);
            Span<int> topIndices = stackalloc int[kMax + 1];
            for (long r = first; r < end; r++)
            {
                int y = (int)labels[r];
                // Most rows: bounds certify "smooth, linear space is safe" for every member without sorting the
                // top k + 1 (top_k − top_{k+1} ≤ max − T and the k-th largest without y is ≥ T, T ≤ top_{k_max+1}).
                if (CpuRows.TopBounds(src, isFloat, r, n, kMax + 1, y, out double lower, out double largest, out double largestExcept)
                    && Certified(members, tau, n, lower, largest, largestExcept))
                {
                    shared[r] = true;
                    for (int m = 0; m < count; m++) shifts[m][r] = largestExcept * members[m].Scale(tau);
                    continue;
                }
                bool finite = CpuRows.ScanTop(src, isFloat, r, n, topValues, topIndices);
                if (!finite)
                {
                    for (int m = 0; m < count; m++) kinds[m][r] = RowKind.NotFinite;
                    lossValues[r] = double.NaN;
                    continue;
                }
                bool allSmooth = true;
                for (int m = 0; m < count; m++)
                {
                    int k = members[m].K;
                    double weight = members[m].Weight, scale = members[m].Scale(tau);
                    if (topValues[k - 1] - topValues[k] >= members[m].HardGap(tau))
                    {
                        var (kth, index) = RowTop.NthExcluding(topValues, topIndices, k, y);
                        double sy = CpuRows.Read(src, isFloat, r * n + y);
                        kinds[m][r] = RowKind.Hard;
                        hardIndex[m][r] = index;
                        lossValues[r] += weight * Math.Max(0.0, alpha + (kth - sy) / k);
                        allSmooth = false;
                        continue;
                    }
                    double max = RowTop.NthExcluding(topValues, topIndices, 1, y).Value * scale;
                    double kthLargest = RowTop.NthExcluding(topValues, topIndices, k, y).Value * scale;
                    if (EspRow.LinearIsSafe(max, kthLargest, k, n - 1))
                    {
                        // The common case: computed in packs, several rows per SIMD instruction.
                        kinds[m][r] = RowKind.Smooth;
                        shifts[m][r] = max;
                        continue;
                    }
                    CpuRows.Load(src, isFloat, r, n, x);
                    for (int i = 0; i < n; i++) x[i] *= scale;
                    double u = alpha / tau + LogRatio<LogSpace>(x, e, y, max, scratch.AsSpan(2 * n, k + 1)) - x[y];
                    kinds[m][r] = RowKind.SmoothLogSpace;
                    us[m][r] = u;
                    lossValues[r] += weight * (tau * Softplus(u));
                    allSmooth = false;
                }
                shared[r] = allSmooth;
            }
        });
        // The shared packs (every member smooth), then per member its smooth terms on the other rows.
        var calls = new List<SmoothTopKSvmPacks.Rows> { new(RowPack.Where(batch, r => shared[r]), labels, n, tau, alpha, members,
            Enumerable.Range(0, count).ToArray(), shifts, Accumulate: false) };
        for (int m = 0; m < count; m++)
        {
            int member = m;
            var rows = RowPack.Where(batch, r => !shared[r] && kinds[member][r] == RowKind.Smooth);
            if (rows.Length > 0) calls.Add(new(rows, labels, n, tau, alpha, members, new[] { member }, shifts, Accumulate: true));
        }
        var packed = calls.Select(rows => (rows, SmoothTopKSvmPacks.Forward(src, isFloat, rows, us, lossValues, backwardComes))).ToArray();

        ctx.save_for_backward(new List<Tensor> { scores });
        ctx.save_data("saved", new Saved(labels, members, tau, alpha, kinds, us, hardIndex, shared, packed));
        return tensor(lossValues, dtype: scores.dtype);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var scores = ctx.get_saved_variables()[0];
        var s = (Saved)ctx.get_data("saved");
        long batch = scores.shape[0];
        int n = (int)scores.shape[1], count = s.Members.Length, kMax = s.Members.Max(m => m.K);
        bool isFloat = scores.dtype == ScalarType.Float32;
        double[] upstream = gradOutput.to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        var grad = empty_like(scores);
        nint src = CpuRows.Pointer(scores), dst = CpuRows.Pointer(grad);

        // Rows outside the shared packs (a hard, log-space, non-finite or per-member packed term): the sum of
        // their row-path terms, written whole (the per-member packed terms add theirs below).
        if (s.Packed[0].Rows.Index.Length < batch) CpuRows.For(batch, (long)n * kMax * 3 * count, RowScratch.Length(n, kMax) + (count > 1 ? n : 0), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end, scratch) =>
        {
            var (x, e, g, sigma, weight, prefix) = new RowScratch(scratch, n, kMax);
            var sum = count > 1 ? scratch.AsSpan(RowScratch.Length(n, kMax), n) : g;
            for (long r = first; r < end; r++)
            {
                if (s.Shared[r]) continue; // shared packs: below
                if (count > 1) sum.Clear();
                for (int m = 0; m < count; m++)
                {
                    if (s.Kinds[m][r] == RowKind.Smooth) continue; // packed: below
                    RowTerm(s, m, src, isFloat, r, n, upstream[r], x, e, g, sigma, weight, prefix);
                    if (count > 1) for (int i = 0; i < n; i++) sum[i] += g[i];
                }
                CpuRows.Store(dst, isFloat, r, n, sum);
            }
        });
        foreach (var (rows, kept) in s.Packed) SmoothTopKSvmPacks.Backward(src, dst, isFloat, rows, kept, s.U, upstream);
        return new List<Tensor> { grad, null!, null!, null!, null! };
    }

    /// <summary>g = member m's gradient term on row r by the row path (a hard, log-space or non-finite term).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTerm(Saved s, int m, nint src, bool isFloat, long r, int n, double up, Span<double> x, Span<double> e, Span<double> g,
        Span<double> sigma, Span<double> weight, Span<double> prefix)
    {
        int y = (int)s.Labels[r], k = s.Members[m].K;
        double w = s.Members[m].Weight;
        g.Clear();
        switch (s.Kinds[m][r])
        {
            case RowKind.NotFinite:
                g.Fill(double.NaN);
                break;
            case RowKind.Hard:
                CpuRows.Load(src, isFloat, r, n, x);
                if (s.Alpha + (x[s.HardIndex[m][r]] - x[y]) / k > 0)
                {
                    g[s.HardIndex[m][r]] = up * w / k;
                    g[y] = -(up * w) / k;
                }
                break;
            default:
                CpuRows.Load(src, isFloat, r, n, x);
                double scale = s.Members[m].Scale(s.Tau);
                for (int i = 0; i < n; i++) x[i] *= scale;
                double c = up * w * Sigmoid(s.U[m][r]) / k;
                weight = weight[..(k + 1)];
                weight.Clear();
                weight[k] = c;
                if (k > 1) weight[k - 1] = -c;
                Inclusion<LogSpace>(x, e, y, sigma[..(k + 1)], weight, g, prefix);
                g[y] = -c;
                break;
        }
    }

    /// <summary>Whether the bounds of a row certify every member smooth with linear space safe (see the forward).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per row: its tier-0 code would slow the first calls
    private static bool Certified(SvmMember[] members, double tau, int n, double lower, double largest, double largestExcept)
    {
        foreach (var member in members)
        {
            double scale = member.Scale(tau);
            if (!(largest - lower < member.HardGap(tau)) || !EspRow.LinearIsSafe(largestExcept * scale, lower * scale, member.K, n - 1)) return false;
        }
        return true;
    }

    private static T[] Member<T>(int count, Func<T> make) => Enumerable.Range(0, count).Select(_ => make()).ToArray();

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
