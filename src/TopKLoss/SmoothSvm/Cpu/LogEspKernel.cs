using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Kernels;

/// <summary>
/// Fused CPU log σ_j(exp x), j = 0..K, per row, and its exact backward
/// ∂/∂x_i Σ_j g_j log σ_j = Σ_j g_j π_j(i) (see <see cref="EspRow"/>).
/// </summary>
internal sealed class LogEspKernel : autograd.SingleTensorFunction<LogEspKernel>
{
    public override string Name => nameof(LogEspKernel);

    /// <summary>x [batch, m] contiguous CPU float32/float64 → [batch, K+1], −inf where j > m.</summary>
    public static Tensor Apply(Tensor x, int K) => apply(x, K);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = ((Tensor)vars[0]).contiguous();
        int K = (int)vars[1];
        long batch = x.shape[0];
        int m = (int)x.shape[1];
        bool isFloat = x.dtype == ScalarType.Float32;
        var result = new double[batch * (K + 1)];
        var linearRows = new bool[batch];
        nint src = CpuRows.Pointer(x);
        int top = Math.Min(K, m);
        var shifts = new double[batch];

        CpuRows.For(batch, (long)m * K, 2 * m + 2 * (K + 1), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end, scratch) =>
        {
            var row = scratch.AsSpan(0, m);
            var e = scratch.AsSpan(m, m);
            var sigma = scratch.AsSpan(2 * m, K + 1);
            var topValues = scratch.AsSpan(2 * m + K + 1, Math.Max(top, 1));
            Span<int> topIndices = stackalloc int[Math.Max(top, 1)];
            for (long r = first; r < end; r++)
            {
                bool finite = CpuRows.ScanTop(src, isFloat, r, m, topValues, topIndices);
                if (finite && EspRow.LinearIsSafe(topValues[0], topValues[top - 1], K, m))
                {
                    // The common case: computed below, several rows per SIMD instruction.
                    linearRows[r] = true;
                    shifts[r] = topValues[0];
                    continue;
                }
                CpuRows.Load(src, isFloat, r, m, row);
                var output = result.AsSpan((int)(r * (K + 1)), K + 1);
                RowTop.Largest(row, topValues, topIndices);
                double max = topValues[0];
                if (!double.IsFinite(max) || HasNaN(row)) { output.Fill(double.NaN); continue; }
                // Rows with −inf entries (e = 0) may still be linear-safe; extreme rows take log space.
                if (EspRow.LinearIsSafe(max, topValues[top - 1], K, m)) LogSigma<LinearSpace>(row, e, max, sigma, output);
                else LogSigma<LogSpace>(row, e, max, sigma, output);
            }
        });
        var packed = new LogEspPacks.Rows(RowPack.Where(batch, r => linearRows[r]), shifts, m, K);
        LogEspPacks.Forward(src, isFloat, packed, result);

        ctx.save_for_backward(new List<Tensor> { x });
        ctx.save_data("K", K);
        ctx.save_data("packed", packed);
        return tensor(result, dtype: x.dtype).reshape(batch, K + 1);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var x = ctx.get_saved_variables()[0];
        int K = (int)ctx.get_data("K");
        var packed = (LogEspPacks.Rows)ctx.get_data("packed");
        long batch = x.shape[0];
        var isPacked = new bool[batch];
        foreach (int r in packed.Index) isPacked[r] = true;
        int m = (int)x.shape[1];
        bool isFloat = x.dtype == ScalarType.Float32;
        double[] upstream = gradOutput.to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        var grad = empty_like(x);
        nint src = CpuRows.Pointer(x), dst = CpuRows.Pointer(grad);

        // Rows outside the packs (log space, NaN): their O(mK) scratch only when there are any.
        if (packed.Index.Length < batch) CpuRows.For(batch, (long)m * K * K, RowScratch.Length(m, K), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end, scratch) =>
        {
            var (row, e, g, sigma, weight, prefix) = new RowScratch(scratch, m, K);
            for (long r = first; r < end; r++)
            {
                if (isPacked[r]) continue; // below
                CpuRows.Load(src, isFloat, r, m, row);
                upstream.AsSpan((int)(r * (K + 1)), K + 1).CopyTo(weight);
                weight[0] = 0; // σ_0 = 1 does not depend on x
                for (int t = m + 1; t <= K; t++) weight[t] = 0; // log σ_t = −inf there: constant
                if (HasNaN(row)) g.Fill(double.NaN);
                else Inclusion<LogSpace>(row, e, sigma, weight, g, prefix);
                CpuRows.Store(dst, isFloat, r, m, g);
            }
        });
        LogEspPacks.Backward(src, dst, isFloat, packed, upstream);
        return new List<Tensor> { grad, null! };
    }

    private static void LogSigma<A>(Span<double> row, Span<double> e, double max, Span<double> sigma, Span<double> output) where A : IEspArithmetic
    {
        EspRow.Elements<A>(row, max, e);
        EspRow.Forward<A>(e, -1, sigma);
        for (int t = 0; t < sigma.Length; t++) output[t] = A.Log(sigma[t]) + t * max;
    }

    private static void Inclusion<A>(Span<double> row, Span<double> e, Span<double> sigma, ReadOnlySpan<double> weight,
        Span<double> g, Span<double> prefix) where A : IEspArithmetic
    {
        double max = double.NegativeInfinity;
        foreach (double v in row) max = Math.Max(max, v);
        EspRow.Elements<A>(row, max, e);
        EspRow.Forward<A>(e, -1, sigma);
        EspRow.Inclusion<A>(e, -1, sigma, weight, g, prefix);
    }

    private static bool HasNaN(ReadOnlySpan<double> row)
    {
        foreach (double v in row) if (double.IsNaN(v)) return true;
        return false;
    }
}
