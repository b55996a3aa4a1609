using System.Runtime.Intrinsics;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>The packed kernels' 128-bit exp against Math.Exp: within 2 ulp everywhere, exact at the edges.</summary>
public class VectorExpTests
{
    private static double Ulps(double expected, double actual) =>
        expected == actual ? 0 : Math.Abs(actual - expected) / (Math.BitIncrement(Math.Abs(expected)) - Math.Abs(expected));

    [Fact]
    public void Random_arguments_over_the_whole_range_are_within_two_ulp()
    {
        var random = new Random(11);
        double worst = 0;
        for (int i = 0; i < 200_000; i++)
        {
            double a = i % 4 == 0 ? random.NextDouble() * 1455 - 745 : (random.NextDouble() - 0.5) * 2 * Math.Pow(10, random.Next(-12, 3));
            double b = -random.NextDouble() * 40; // the kernels' arguments: scaled scores less the row maximum
            var e = VectorExp.Exp(Vector128.Create(a, b));
            worst = Math.Max(worst, Math.Max(Ulps(Math.Exp(a), e[0]), Ulps(Math.Exp(b), e[1])));
        }
        Assert.True(worst <= 2, $"worst error {worst} ulp");
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(double.NegativeInfinity, 0.0)]
    [InlineData(double.PositiveInfinity, double.PositiveInfinity)]
    [InlineData(-746.0, 0.0)]
    [InlineData(710.0, double.PositiveInfinity)]
    public void Edges_are_exact(double x, double expected)
    {
        Assert.Equal(expected, VectorExp.Exp(Vector128.Create(x, x))[0]);
        Assert.True(double.IsNaN(VectorExp.Exp(Vector128.Create(double.NaN, 0.0))[0]));
    }

    [Fact]
    public void Subnormal_results_are_within_two_ulp_of_the_subnormal_spacing()
    {
        for (double x = -745.0; x < -708.0; x += 0.137)
        {
            double expected = Math.Exp(x), actual = VectorExp.Exp(Vector128.Create(x, x))[0];
            Assert.True(Math.Abs(actual - expected) <= 2 * double.Epsilon + 2 * (Math.BitIncrement(expected) - expected), $"exp({x}) = {actual:R}, Math.Exp {expected:R}");
        }
    }
}
