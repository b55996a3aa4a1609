using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

public class LabelNoiseTests
{
    private static int[] Labels(int n, int classes) => Enumerable.Range(0, n).Select(i => i % classes).ToArray();

    /// <summary>Binomial tolerance: 5 standard deviations of a share estimated from n draws.</summary>
    private static double Tolerance(double rate, int n) => 5 * Math.Sqrt(rate * (1 - rate) / n) + 1e-9;

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.6)]
    [InlineData(1.0)]
    public void Published_StaysInBlockOfFive_RealizedRateIsFourFifthsOfP(double p)
    {
        var clean = Labels(50_000, 100);
        var result = LabelNoise.Published(clean, 100, p, new Random(3));
        double expected = p * (1 - 1.0 / 5);
        Assert.InRange(result.RealizedFlipRate, expected - Tolerance(expected, clean.Length), expected + Tolerance(expected, clean.Length));
        for (int i = 0; i < clean.Length; i++)
            Assert.Equal(clean[i] / 5, result.Labels[i] / 5);
        // The reported rate is the share that really changed.
        Assert.Equal(clean.Zip(result.Labels).Count(t => t.First != t.Second) / (double)clean.Length, result.RealizedFlipRate);
    }

    [Fact]
    public void Published_NewLabelUniformWithinBlock()
    {
        var clean = Enumerable.Repeat(7, 20_000).ToArray();
        var result = LabelNoise.Published(clean, 100, 1.0, new Random(5));
        var histogram = result.Labels.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([5, 6, 7, 8, 9], histogram.Keys.Order());
        Assert.All(histogram.Values, count => Assert.InRange(count, 4000 - 300, 4000 + 300));
    }

    [Fact]
    public void Published_ShortLastBlock_StaysInRange()
    {
        var clean = Labels(5_000, 12); // blocks {0..4}, {5..9}, {10, 11}
        var result = LabelNoise.Published(clean, 12, 1.0, new Random(1));
        Assert.All(result.Labels, l => Assert.InRange(l, 0, 11));
        Assert.All(clean.Zip(result.Labels).Where(t => t.First >= 10), t => Assert.InRange(t.Second, 10, 11));
    }

    [Theory]
    [InlineData(0.4)]
    [InlineData(0.8)]
    public void WithinGroups_NeverLeavesGroup_NeverKeepsOldLabel_RateIsP(double p)
    {
        var groups = new Groups(Enumerable.Range(0, 100).Select(c => c % 20).ToArray(), Enumerable.Range(0, 20).Select(g => $"g{g}").ToArray());
        var clean = Labels(50_000, 100);
        var result = LabelNoise.WithinGroups(clean, groups, p, new Random(9), "superclasses");
        Assert.InRange(result.RealizedFlipRate, p - Tolerance(p, clean.Length), p + Tolerance(p, clean.Length));
        for (int i = 0; i < clean.Length; i++)
            Assert.Equal(groups.SuperclassOf[clean[i]], groups.SuperclassOf[result.Labels[i]]);
    }

    [Fact]
    public void WithinGroups_UniformOverOtherMembers_SingletonUnchanged()
    {
        var groups = new Groups([0, 0, 0, 0, 1], ["four", "alone"]);
        var clean = Enumerable.Repeat(2, 9_000).Concat(Enumerable.Repeat(4, 100)).ToArray();
        var result = LabelNoise.WithinGroups(clean, groups, 1.0, new Random(2), "g");
        var histogram = result.Labels.Take(9_000).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([0, 1, 3], histogram.Keys.Order());
        Assert.All(histogram.Values, count => Assert.InRange(count, 3000 - 250, 3000 + 250));
        Assert.All(result.Labels.Skip(9_000), l => Assert.Equal(4, l));
    }

    [Fact]
    public void Uniform_AnyOtherClass_RateIsP()
    {
        var clean = Labels(30_000, 10);
        var result = LabelNoise.Uniform(clean, 10, 0.5, new Random(4));
        Assert.InRange(result.RealizedFlipRate, 0.5 - Tolerance(0.5, 30_000), 0.5 + Tolerance(0.5, 30_000));
        var changed = clean.Zip(result.Labels).Where(t => t.First != t.Second).ToArray();
        // Every (old, new) pair with old ≠ new appears: 90 pairs.
        Assert.Equal(90, changed.Distinct().Count());
    }

    [Fact]
    public void ZeroNoise_ChangesNothing_AndSameSeedSameLabels()
    {
        var clean = Labels(1000, 10);
        Assert.Equal(clean, LabelNoise.Published(clean, 10, 0, new Random(1)).Labels);
        Assert.Equal(LabelNoise.Published(clean, 10, 0.5, new Random(8)).Labels, LabelNoise.Published(clean, 10, 0.5, new Random(8)).Labels);
        Assert.NotEqual(LabelNoise.Published(clean, 10, 0.5, new Random(8)).Labels, LabelNoise.Published(clean, 10, 0.5, new Random(9)).Labels);
    }
}
