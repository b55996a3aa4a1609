using CsCheck;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>The short list of block maxima for the seed choice keeps the count-th largest exactly.</summary>
public class SeedCandidatesTests
{
    [Fact]
    public void The_candidates_have_the_same_count_th_largest_as_all_maxima()
    {
        var value = Gen.OneOf(Gen.Int[-3, 3].Select(i => (float)i), Gen.Single[-10f, 10f], Gen.Const(float.NegativeInfinity));
        Gen.Select(Gen.Int[2, 20], Gen.Int[1, 16]).SelectMany((vectors, count) => value.Array[16 * vectors].Select(maxima => (maxima, count)))
            .Sample(c =>
            {
                var buffer = new float[c.maxima.Length + 16];
                var candidates = NoisedRows<float>.Candidates(c.maxima, c.count, buffer);
                Assert.Equal(0, candidates.Length % 16);
                Assert.Equal(NoisedRows<float>.KthLargest(c.maxima, c.count), NoisedRows<float>.KthLargest(candidates, c.count));
            });
    }

    [Fact]
    public void The_smallest_lane_leader_counts_in_whichever_lane_it_is()
    {
        // One vector of distinct large values over one of small ones: the 16 leaders are the large
        // vector, and the 16th largest is its smallest value, put in each lane in turn.
        for (int lane = 0; lane < 16; lane++)
        {
            var maxima = new float[32];
            for (int i = 0; i < 16; i++) (maxima[i], maxima[16 + i]) = (100 + (i - lane + 16) % 16, -10);
            var candidates = NoisedRows<float>.Candidates(maxima, 16, new float[48]);
            Assert.Equal(100f, NoisedRows<float>.KthLargest(candidates, 16));
        }
    }
}
