using System.Runtime.Intrinsics;
using CsCheck;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>
/// The settle step's choice of draws to complete, against its definition by brute force, on
/// intervals whose ends often coincide (the cases where ≥ against > decides the result).
/// </summary>
public class AmbiguousLanesTests
{
    [Fact]
    public void Drawn_lanes_are_exactly_those_meeting_L_U_and_the_rest_lie_outside()
    {
        var end = Gen.Int[0, 4].Select(i => (float)i);
        Gen.Int[1, 16].SelectMany(count => Gen.Select(Gen.Select(end, end).Array[count], Gen.Int[1, count]))
            .Sample((intervals, k) =>
            {
                int count = intervals.Length;
                var lows = new float[16];
                var highs = new float[16];
                Array.Fill(lows, float.NegativeInfinity);
                Array.Fill(highs, float.NegativeInfinity);
                for (int i = 0; i < count; i++) (lows[i], highs[i]) = (Math.Min(intervals[i].Item1, intervals[i].Item2), Math.Max(intervals[i].Item1, intervals[i].Item2));
                float lowKth = lows.Take(count).OrderDescending().ElementAt(k - 1);
                var keep = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
                uint drawn = NoisedRows<float>.Ambiguous(Vector512.Create(lows), Vector512.Create(highs), ref keep, lowKth, k);

                var kept = Enumerable.Range(0, count).Where(i => highs[i] >= lowKth).ToArray();
                float highKth = kept.Select(i => highs[i]).OrderDescending().ElementAt(k - 1);
                Assert.Equal(kept.Aggregate(0u, (mask, i) => mask | 1u << i), (uint)keep.ExtractMostSignificantBits());
                for (int i = 0; i < 16; i++)
                {
                    bool expected = kept.Contains(i) && lows[i] <= highKth;
                    Assert.Equal(expected, (drawn >> i & 1) == 1);
                    // what the exactness argument needs: a kept interval not drawn is wholly outside [L, U]
                    if (kept.Contains(i) && !expected) Assert.True(lows[i] > highKth);
                }
            });
    }
}
