using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>The drawn normals: distribution, bound, independence, addressing and reproducibility.</summary>
public class NoiseStreamTests
{
    private static double[] Draw(long batch, long n, int samples, ulong seed, ulong stream, ScalarType dtype = ScalarType.Float64)
    {
        using var scope = NewDisposeScope();
        return KernelNoise.Of(batch, n, samples, seed, stream, dtype).to_type(ScalarType.Float64).data<double>().ToArray();
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Normals_have_mean_0_variance_1_normal_tails_and_the_documented_bound(ScalarType dtype)
    {
        var z = Draw(64, 1000, 10, seed: 42, stream: 3, dtype);
        int count = z.Length;
        double mean = z.Average();
        double variance = z.Select(v => (v - mean) * (v - mean)).Sum() / (count - 1);
        Assert.True(Math.Abs(mean) < 5 / Math.Sqrt(count), $"mean {mean}");
        Assert.True(Math.Abs(variance - 1) < 5 * Math.Sqrt(2.0 / count), $"variance {variance}");
        double beyond2 = z.Count(v => Math.Abs(v) > 2) / (double)count;
        const double p2 = 0.04550026389635842; // P(|Z| > 2)
        Assert.True(Math.Abs(beyond2 - p2) < 5 * Math.Sqrt(p2 * (1 - p2) / count), $"P(|z| > 2) = {beyond2}");
        double beyond3 = z.Count(v => Math.Abs(v) > 3) / (double)count;
        const double p3 = 0.0026997960632601866;
        Assert.True(Math.Abs(beyond3 - p3) < 5 * Math.Sqrt(p3 * (1 - p3) / count), $"P(|z| > 3) = {beyond3}");
        double largest = z.Max(Math.Abs);
        Assert.True(largest <= CoarseBounds.UpperD[^1], $"max |z| = {largest}");
        Assert.True(largest > 4, $"max |z| = {largest}: tails missing");
    }

    [Fact]
    public void Kolmogorov_Smirnov_distance_to_the_normal_cdf_is_small()
    {
        using var scope = NewDisposeScope();
        var sorted = KernelNoise.Of(40, 1000, 5, seed: 9, stream: 0, ScalarType.Float64).flatten().sort().Values;
        var cdf = special.ndtr(sorted).data<double>().ToArray();
        int count = cdf.Length;
        double d = 0;
        for (int i = 0; i < count; i++) d = Math.Max(d, Math.Max((i + 1.0) / count - cdf[i], cdf[i] - (double)i / count));
        Assert.True(d < 1.63 / Math.Sqrt(count), $"KS distance {d} (1% critical value {1.63 / Math.Sqrt(count)})");
    }

    [Fact]
    public void Streams_seeds_rows_and_neighbouring_draws_are_uncorrelated()
    {
        var a = Draw(20, 1000, 10, seed: 1, stream: 0);
        var otherStream = Draw(20, 1000, 10, seed: 1, stream: 1);
        var otherSeed = Draw(20, 1000, 10, seed: 2, stream: 0);
        int count = a.Length;
        double bound = 5 / Math.Sqrt(count);
        Assert.True(Math.Abs(Correlation(a, otherStream)) < bound, "streams");
        Assert.True(Math.Abs(Correlation(a, otherSeed)) < bound, "seeds");
        int perRow = 1000 * 10;
        var row0 = a.Take(perRow * 10).ToArray();
        var row1 = a.Skip(perRow).Take(perRow * 10).ToArray();
        Assert.True(Math.Abs(Correlation(row0, row1)) < 5 / Math.Sqrt(row0.Length), "adjacent rows");
        // flat order [row, column, sample]: lag 1 = the next sample, lag 10 = the next column of the
        // same sample (the other half of its coarse word), lag 20 = the next coarse word, lag 40 = the
        // next fine block, lag 80 = the next coarse block
        foreach (int lag in new[] { 1, 2, 4, 10, 20, 40, 80 })
            Assert.True(Math.Abs(Correlation(a[..^lag], a[lag..])) < bound, $"lag {lag}");
        // squares too (dependence in magnitude, which correlation of values alone misses)
        var squares = a.Select(v => v * v).ToArray();
        foreach (int lag in new[] { 1, 10 })
            Assert.True(Math.Abs(Correlation(squares[..^lag], squares[lag..])) < bound, $"squares, lag {lag}");
    }

    [Fact]
    public void Each_normal_is_addressable_by_its_coordinates_and_block_lists_agree_with_ranges()
    {
        const int n = 37, samples = 7;
        var z = Draw(3, n, samples, seed: 5, stream: 11);
        var stream = new NoiseStream(5, 11);
        foreach (var (b, j, s) in new[] { (0, 0, 0), (0, 36, 6), (2, 13, 3), (1, 5, 4), (2, 36, 0) })
            Assert.Equal(z[(b * n + j) * samples + s], stream.At(b, j, s));
        // a listed group of 16 coarse blocks gives the buckets of the same blocks drawn consecutively
        var blocks = new[] { 3, 4, 9, 17, 18, 19, 40, 41, 42, 60, 61, 62, 63, 64, 70, 95 };
        var listed = stream.Coarse(2, 5, NoiseStream.Listed(blocks, 0));
        for (int g = 0; g < 6; g++)
        {
            var consecutive = stream.Coarse(2, 5, NoiseStream.Consecutive(16 * g));
            for (int i = 0; i < blocks.Length; i++)
                if (blocks[i] / 16 == g)
                    for (int m = 0; m < 4; m++) Assert.Equal(consecutive[m][blocks[i] % 16], listed[m][i]);
        }
    }

    [Fact]
    public void A_draw_depends_on_its_coordinates_only_not_on_n_or_the_number_of_samples()
    {
        var small = Draw(2, 10, 3, seed: 8, stream: 1);
        var large = Draw(2, 45, 6, seed: 8, stream: 1);
        for (int b = 0; b < 2; b++)
            for (int j = 0; j < 10; j++)
                for (int s = 0; s < 3; s++)
                    Assert.Equal(small[(b * 10 + j) * 3 + s], large[(b * 45 + j) * 6 + s]);
    }

    [Fact]
    public void Float32_normals_are_the_float64_ones_to_float_precision()
    {
        var z64 = Draw(4, 500, 10, seed: 77, stream: 2, ScalarType.Float64);
        var z32 = Draw(4, 500, 10, seed: 77, stream: 2, ScalarType.Float32);
        for (int i = 0; i < z64.Length; i++)
            Assert.True(Math.Abs(z64[i] - z32[i]) <= 2e-6 * Math.Max(1, Math.Abs(z64[i])), $"{i}: {z64[i]} vs {z32[i]}");
    }

    [Fact]
    public void Same_arguments_give_the_same_draws_on_any_number_of_threads()
    {
        var previous = CpuRows.MaxDegreeOfParallelism;
        try
        {
            CpuRows.MaxDegreeOfParallelism = 1;
            var one = Draw(50, 1000, 5, seed: 3, stream: 4);
            CpuRows.MaxDegreeOfParallelism = 4;
            var four = Draw(50, 1000, 5, seed: 3, stream: 4);
            Assert.Equal(one, four);
            Assert.NotEqual(one, Draw(50, 1000, 5, seed: 3, stream: 5));
        }
        finally { CpuRows.MaxDegreeOfParallelism = previous; }
    }
}
