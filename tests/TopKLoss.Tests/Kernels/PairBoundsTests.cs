using System.Runtime.Intrinsics;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>
/// The word-level bounds the noised kernel prunes with: never below the normals Box–Muller makes
/// of the same words (float and double), at random and at the extremes of both words, and tight
/// enough to prune.
/// </summary>
public class PairBoundsTests
{
    private static void AssertBounds(uint[] radius, uint[] angle)
    {
        var r = Vector512.Create<uint>(radius);
        var a = Vector512.Create<uint>(angle);
        var (cosBound, sinBound) = PairBounds.Of(r, a);
        var cos32 = new float[8]; var sin32 = new float[8];
        var cos64 = new double[8]; var sin64 = new double[8];
        foreach (var (half, offset) in new[] { (0, 0), (1, 8) })
        {
            var rh = half == 0 ? r.GetLower() : r.GetUpper();
            var ah = half == 0 ? a.GetLower() : a.GetUpper();
            BoxMuller.Pairs8(rh, ah, cos32, sin32);
            BoxMuller.Pairs8(rh, ah, cos64, sin64);
            for (int i = 0; i < 8; i++)
            {
                int lane = offset + i;
                string what = $"words ({radius[lane]:X8}, {angle[lane]:X8})";
                Assert.True(cos32[i] <= cosBound[lane] && cos64[i] <= cosBound[lane], $"{what}: cos {cos64[i]:R} above bound {cosBound[lane]:R}");
                Assert.True(sin32[i] <= sinBound[lane] && sin64[i] <= sinBound[lane], $"{what}: sin {sin64[i]:R} above bound {sinBound[lane]:R}");
            }
        }
    }

    [Fact]
    public void Bounds_are_never_below_the_float_or_double_normals_of_random_words()
    {
        var random = new Random(31);
        for (int trial = 0; trial < 20_000; trial++)
        {
            var radius = Enumerable.Range(0, 16).Select(_ => (uint)random.NextInt64(0, 1L << 32)).ToArray();
            var angle = Enumerable.Range(0, 16).Select(_ => (uint)random.NextInt64(0, 1L << 32)).ToArray();
            // a third of the radius words tiny: the tail, where r is largest
            if (trial % 3 == 0) for (int i = 0; i < 16; i++) radius[i] >>= random.Next(1, 32);
            AssertBounds(radius, angle);
        }
    }

    [Fact]
    public void Bounds_hold_at_the_extremes_and_at_every_arc_and_mantissa_boundary()
    {
        var radii = new List<uint> { 0, 1, 2, 3, 0xFFFF_FFFF, 0xFFFF_FFFE, 0x8000_0000, 0x7FFF_FFFF };
        for (int e = 1; e < 32; e++)
            for (int m = 0; m < 32; m++)
            {
                uint h = (uint)Math.Min(int.MaxValue, (1L << e) + ((long)m << Math.Max(0, e - 5)));
                radii.AddRange(new[] { h << 1, (h << 1) | 1, (h - 1) << 1 });
            }
        var angles = new List<uint>();
        for (long b = 0; b < 32; b++)
            foreach (long delta in new long[] { -256, -1, 0, 1, 255, 256 })
                angles.Add((uint)(((b << 27) + delta) & 0xFFFF_FFFF));
        var allRadius = radii.SelectMany(r => angles.Select(_ => r)).ToArray();
        var allAngle = radii.SelectMany(_ => angles).ToArray();
        for (int start = 0; start + 16 <= allRadius.Length; start += 16)
            AssertBounds(allRadius[start..(start + 16)], allAngle[start..(start + 16)]);
    }

    [Fact]
    public void Bounds_are_tight_enough_to_rule_out_most_pairs_at_a_top_k_threshold()
    {
        // Normals of one random stream: how often does the bound of a pair reach 2.5 when both normals stay below 2?
        var random = new Random(5);
        int loose = 0, count = 0;
        for (int trial = 0; trial < 2_000; trial++)
        {
            var radius = Enumerable.Range(0, 16).Select(_ => (uint)random.NextInt64(0, 1L << 32)).ToArray();
            var angle = Enumerable.Range(0, 16).Select(_ => (uint)random.NextInt64(0, 1L << 32)).ToArray();
            var (cosBound, sinBound) = PairBounds.Of(Vector512.Create<uint>(radius), Vector512.Create<uint>(angle));
            var cos = new double[8]; var sin = new double[8];
            for (int half = 0; half < 2; half++)
            {
                BoxMuller.Pairs8(Vector256.Create<uint>(radius.AsSpan(8 * half, 8)), Vector256.Create<uint>(angle.AsSpan(8 * half, 8)), cos, sin);
                for (int i = 0; i < 8; i++)
                {
                    if (cos[i] >= 2 || sin[i] >= 2) continue;
                    count++;
                    if (cosBound[8 * half + i] >= 2.5 || sinBound[8 * half + i] >= 2.5) loose++;
                }
            }
        }
        Assert.True(loose < 0.01 * count, $"{loose} of {count} pairs below 2 have a bound ≥ 2.5");
    }
}
