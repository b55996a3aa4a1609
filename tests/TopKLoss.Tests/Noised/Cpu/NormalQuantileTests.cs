using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>The draws' Φ⁻¹ (AS 241) against libtorch's ndtri, its symmetry and its monotonicity where its regions meet.</summary>
public class NormalQuantileTests
{
    /// <summary>The draw's u for 48 bits m: (m + ½)/2⁴⁸, exact in float64 (49 significant bits).</summary>
    private static double U(long m) => (m + 0.5) * Math.Pow(2, -48);

    private static double FromBits(long m) => NormalQuantile.FromBits((uint)(m >> 32), (uint)m);

    [Fact]
    public void Quantiles_equal_libtorchs_ndtri_to_a_few_ulps_from_the_centre_to_the_farthest_tail()
    {
        using var scope = NewDisposeScope();
        var random = new Random(5);
        // The draws' own u: the grid point nearest p (clamped to the grid: 0.5·2⁻⁴⁸ is the farthest tail a draw reaches).
        var p = new List<double> { 0.5, 0.075, 0.925, 1e-3, 0.999, 1e-10, Math.Exp(-25), 1e-15, 0.5 * Math.Pow(2, -48), 0.975 };
        for (int i = 0; i < 2000; i++) p.Add(random.NextDouble() * 0.999999 + 5e-7);
        for (int i = 0; i < 500; i++) p.Add(Math.Pow(10, -random.NextDouble() * 15)); // the lower tail, log-uniform
        for (int i = 0; i < 500; i++) p.Add(1 - Math.Pow(10, -random.NextDouble() * 15)); // the upper tail
        var m = p.Select(v => Math.Clamp((long)Math.Round(v * Math.Pow(2, 48) - 0.5), 0, (1L << 48) - 1)).ToArray();
        m = [.. m, (1L << 48) - 1]; // and the farthest upper tail
        var expected = special.ndtri(tensor(m.Select(U).ToArray())).data<double>().ToArray();
        for (int i = 0; i < m.Length; i++)
        {
            double z = FromBits(m[i]);
            Assert.True(Math.Abs(z - expected[i]) <= 1e-14 * Math.Max(1, Math.Abs(expected[i])), $"u = {U(m[i]):R}: {z:R} vs ndtri {expected[i]:R}");
        }
        Assert.Equal(1.959963984540054, FromBits(m[9]), 12); // Φ⁻¹(0.975), u within 2⁻⁴⁹ of 0.975
    }

    [Fact]
    public void Draws_are_odd_symmetric_about_the_middle_bucket_and_exact_in_both_tails()
    {
        var random = new Random(9);
        for (int i = 0; i < 5000; i++)
        {
            uint h = (uint)random.Next(1 << 16), f = (uint)random.NextInt64(1L << 32);
            // u ↔ 1 − u is (h, f) ↔ (2¹⁶ − 1 − h, 2³² − 1 − f): both are computed exactly, so z is odd
            Assert.Equal(-NormalQuantile.FromBits(h, f), NormalQuantile.FromBits(0xFFFF - h, ~f));
        }
        Assert.InRange(NormalQuantile.FromBits(0xFFFF, uint.MaxValue), 7.86, 7.88); // Φ⁻¹(1 − 2⁻⁴⁹)
    }

    [Fact]
    public void Draws_never_decrease_with_their_bits_across_the_region_boundaries()
    {
        // |u − ½| = 0.425 (central ↔ tail) and √(−ln p) = 5 (the two tail fits), both sides of ½
        foreach (double u in new[] { 0.075, 0.925, Math.Exp(-25), 1 - Math.Exp(-25) })
        {
            long m = (long)(u * (1L << 48));
            double previous = double.NegativeInfinity;
            for (long at = Math.Max(0, m - 20000); at <= Math.Min((1L << 48) - 1, m + 20000); at++)
            {
                double z = NormalQuantile.FromBits((uint)(at >> 32), (uint)at);
                Assert.True(z >= previous, $"u ≈ {u}: z({at}) = {z:R} < {previous:R}");
                previous = z;
            }
        }
    }
}
