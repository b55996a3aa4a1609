using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>A draw's leading 16 bits bound it: the tables the noised kernel prunes with.</summary>
public class CoarseBoundsTests
{
    private static IEnumerable<(uint H, uint F)> Draws()
    {
        var random = new Random(11);
        for (int i = 0; i < 40000; i++) yield return ((uint)random.Next(1 << 16), (uint)random.NextInt64(1L << 32));
        foreach (uint h in new uint[] { 0, 1, 2, 4915, 32767, 32768, 60620, 65534, 65535 }) // tails, centre, |u − ½| = 0.425
            foreach (uint f in new[] { 0u, 1u, 0x7FFFFFFFu, uint.MaxValue - 1, uint.MaxValue })
                yield return (h, f);
    }

    [Fact]
    public void Every_draw_lies_within_its_buckets_bounds_in_float64_and_after_rounding_to_float32()
    {
        foreach (var (h, f) in Draws())
        {
            double z = NormalQuantile.FromBits(h, f);
            Assert.True(CoarseBounds.LowerD[h] <= z && z <= CoarseBounds.UpperD[h], $"bucket {h}, fine {f}: {z:R}");
            float z32 = (float)z;
            Assert.True(CoarseBounds.LowerF[h] <= z32 && z32 <= CoarseBounds.UpperF[h], $"float bucket {h}, fine {f}: {z32:R}");
            Assert.True(CoarseBounds.LowerCoarseF[h >> 4] <= CoarseBounds.LowerF[h] && CoarseBounds.UpperF[h] <= CoarseBounds.UpperCoarseF[h >> 4]);
            Assert.True(CoarseBounds.LowerCoarseD[h >> 4] <= CoarseBounds.LowerD[h] && CoarseBounds.UpperD[h] <= CoarseBounds.UpperCoarseD[h >> 4]);
        }
    }

    [Fact]
    public void Bounds_are_tight_and_upper_bounds_never_decrease()
    {
        for (int h = 0; h < CoarseBounds.Buckets; h++)
        {
            double low = NormalQuantile.FromBits((uint)h, 0), high = NormalQuantile.FromBits((uint)h, uint.MaxValue);
            Assert.True(high - CoarseBounds.UpperD[h] > -1e-11 * (1 + Math.Abs(high)) && low - CoarseBounds.LowerD[h] < 1e-11 * (1 + Math.Abs(low)), $"bucket {h} too wide");
            if (h > 0) Assert.True(CoarseBounds.UpperD[h] >= CoarseBounds.UpperD[h - 1] && CoarseBounds.UpperF[h] >= CoarseBounds.UpperF[h - 1]);
        }
    }

    [Fact]
    public void First_reaching_is_the_least_bucket_whose_upper_bound_reaches_each_grid_point()
    {
        for (int i = 0; i < CoarseBounds.GridSize; i++)
        {
            double z = CoarseBounds.GridLow + i / CoarseBounds.GridScale;
            int h = CoarseBounds.FirstReaching[i];
            Assert.True(h == CoarseBounds.Buckets || CoarseBounds.UpperD[h] >= z, $"grid {i}");
            Assert.True(h == 0 || CoarseBounds.UpperD[h - 1] < z, $"grid {i}: bucket {h - 1} reaches too");
        }
        var random = new Random(2);
        for (int i = 0; i < 10000; i++)
        {
            double t = random.NextDouble() * 24 - 12;
            int at = CoarseBounds.GridIndexAtOrBelow(t);
            double z = CoarseBounds.GridLow + at / CoarseBounds.GridScale;
            Assert.True(t < CoarseBounds.GridLow ? at == 0 : z <= t && (at == CoarseBounds.GridSize - 1 || z + 1 / CoarseBounds.GridScale > t), $"t = {t:R}: grid {at}");
        }
    }
}
