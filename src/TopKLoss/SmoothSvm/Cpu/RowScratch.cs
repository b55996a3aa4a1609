namespace TopKLoss.Kernels;

/// <summary>
/// The float64 buffers the scalar (log-space) row gradient of <see cref="EspRow"/> needs, carved
/// from one scratch array: the row, its elements, its gradient, σ, the weights and the prefix table.
/// </summary>
internal readonly ref struct RowScratch
{
    public readonly Span<double> Row, Elements, Gradient, Sigma, Weight, Prefix;

    public static int Length(int n, int k) => 3 * n + n * k + 2 * (k + 1);

    public RowScratch(double[] scratch, int n, int k)
    {
        var all = scratch.AsSpan(0, Length(n, k));
        Row = all[..n];
        Elements = all.Slice(n, n);
        Gradient = all.Slice(2 * n, n);
        Sigma = all.Slice(3 * n, k + 1);
        Weight = all.Slice(3 * n + k + 1, k + 1);
        Prefix = all.Slice(3 * n + 2 * (k + 1), n * k);
    }

    public void Deconstruct(out Span<double> row, out Span<double> elements, out Span<double> gradient, out Span<double> sigma,
        out Span<double> weight, out Span<double> prefix)
    {
        row = Row; elements = Elements; gradient = Gradient; sigma = Sigma; weight = Weight; prefix = Prefix;
    }
}
