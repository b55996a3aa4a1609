namespace TopKLoss.Tests.Cuda;

/// <summary>Runs one computation on the emulated CUDA path and on the CPU path, with gradients, and compares them.</summary>
internal static class CudaCompare
{
    /// <summary>(value, ∂(Σ value·weights)/∂x) of <paramref name="f"/> on a copy of x, through the emulation or not.</summary>
    public static (double[] Value, double[] Grad) Run(Tensor x, Func<Tensor, Tensor> f, bool emulated, int threads = 8)
    {
        using var scope = NewDisposeScope();
        var input = x.detach().clone().requires_grad_();
        using var route = emulated ? Emulation.Route(threads) : null;
        int launches = Emulation.Instance.Launches;
        var value = f(input);
        // Distinct upstream weights per output entry, so that a mix-up of rows or entries shows.
        var weights = linspace(0.5, 1.5, value.numel(), dtype: ScalarType.Float64).reshape(value.shape).to_type(value.dtype);
        (value * weights).sum().backward();
        if (emulated) Assert.Equal(launches + 2, Emulation.Instance.Launches); // the forward and the backward kernel ran
        return (ToArray(value), ToArray(input.grad!));
    }

    public static double[] ToArray(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>
    /// Entry by entry |a − e| ≤ rel·max(|e|, floor·max_row|e|), NaN where NaN is expected (rows of
    /// <paramref name="width"/> entries). The floor covers entries that are differences of nearly equal
    /// terms (π_k − π_(k−1)), whose own relative error is that of the terms.
    /// </summary>
    public static void Close(double[] expected, double[] actual, int width, double rel, string what, double floor = 1e-3)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int r = 0; r < expected.Length / width; r++)
        {
            double rowMax = 0;
            for (int i = 0; i < width; i++) if (double.IsFinite(expected[r * width + i])) rowMax = Math.Max(rowMax, Math.Abs(expected[r * width + i]));
            for (int i = 0; i < width; i++)
            {
                double e = expected[r * width + i], a = actual[r * width + i];
                if (double.IsNaN(e) || double.IsInfinity(e)) { Assert.True(e.Equals(a), $"{what}[{r}, {i}]: expected {e}, got {a}"); continue; }
                double bound = rel * Math.Max(Math.Abs(e), floor * rowMax);
                Assert.True(Math.Abs(a - e) <= bound, $"{what}[{r}, {i}]: expected {e:R}, got {a:R} (|err| {Math.Abs(a - e):E3} > {bound:E3})");
            }
        }
    }

    /// <summary>The largest |a − e|/|e| over finite entries with |e| ≥ floor·max|e| (for messages and docs).</summary>
    public static double WorstRelative(double[] expected, double[] actual)
    {
        double max = expected.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max(), worst = 0;
        for (int i = 0; i < expected.Length; i++)
            if (double.IsFinite(expected[i]) && Math.Abs(expected[i]) >= 1e-3 * max && expected[i] != 0)
                worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / Math.Abs(expected[i]));
        return worst;
    }
}
