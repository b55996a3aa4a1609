namespace TopKLoss.Tests.Support;

/// <summary>Numeric assertions with the tolerances of the reference README.</summary>
public static class Close
{
    /// <summary>|actual − expected| ≤ rel·max(|expected|, floor) elementwise-max over the arrays.</summary>
    public static void Relative(double expected, double actual, double rel, string what = "value")
    {
        double err = Math.Abs(actual - expected);
        double bound = rel * Math.Max(Math.Abs(expected), 1e-300);
        Assert.True(err <= bound || (double.IsNaN(expected) && double.IsNaN(actual)),
            $"{what}: expected {expected:R}, got {actual:R} (|err| {err:E3} > {bound:E3})");
    }

    /// <summary>max|actual − expected| ≤ rel·max|expected| (the README's gradient tolerance).</summary>
    public static void ScaledByMax(double[] expected, double[] actual, double rel, string what = "gradient")
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Select(Math.Abs).DefaultIfEmpty(0).Max();
        double worst = 0; int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = Math.Abs(actual[i] - expected[i]);
            if (!(e <= worst)) { worst = e; at = i; }
        }
        Assert.True(worst <= rel * scale,
            $"{what}: max error {worst:E3} at {at} exceeds {rel:E1}·max|expected| = {rel * scale:E3}");
    }

    public static double[] ToArray(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
}
