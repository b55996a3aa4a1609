namespace TopKLoss.Tests.Support;

/// <summary>The shared NaN-row check: rows 0 and 2 finite, row 1 holding one NaN score.</summary>
public static class NaNRow
{
    /// <summary>
    /// Runs <paramref name="perSample"/> (x [3, 10] → [3]) on scores whose row 1 holds a NaN, backpropagates
    /// the sum, and asserts that value and gradient are NaN in row 1 only.
    /// </summary>
    public static void AffectsOnlyItsRow(Func<Tensor, Tensor> perSample)
    {
        using var scope = NewDisposeScope();
        var x = randn(3, 10, dtype: ScalarType.Float64, generator: new Generator(2));
        x[1, 4] = tensor(double.NaN, dtype: ScalarType.Float64);
        x.requires_grad_();
        var value = perSample(x);
        value.sum().backward();
        var values = Close.ToArray(value);
        Assert.True(double.IsFinite(values[0]) && double.IsNaN(values[1]) && double.IsFinite(values[2]), "values");
        Assert.True(x.grad![1].isnan().all().item<bool>(), "gradient row 1 all NaN");
        Assert.True(x.grad![0].isfinite().all().item<bool>() && x.grad![2].isfinite().all().item<bool>(), "gradient rows 0 and 2 finite");
    }
}
