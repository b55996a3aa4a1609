using System.Runtime.Intrinsics;
using CsCheck;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>The packed float k-buffer against <see cref="Selection"/>: key order, round trips, and whole offer sequences.</summary>
public class PackedTopKTests
{
    private static readonly float[] Specials = [0f, -0f, 1f, -1f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue,
        float.PositiveInfinity, float.NegativeInfinity, 1e-30f, -1e-30f, 3.5f, 3.5000002f];

    private static Gen<float> Values => Gen.OneOf(Gen.Int[0, Specials.Length - 1].Select(i => Specials[i]), Gen.Int[-4, 4].Select(i => (float)i),
        Gen.Single.Where(float.IsFinite));

    [Fact]
    public void Key_order_is_value_descending_then_index_ascending_and_keys_round_trip()
    {
        Gen.Select(Values, Gen.Int[0, 1 << 30], Values, Gen.Int[0, 1 << 30]).Where((_, i, _, j) => i != j).Sample((v, i, w, j) =>
        {
            Assert.Equal(Selection.Before(v, i, w, j), PackedTopK.Key(v, i) > PackedTopK.Key(w, j));
            Assert.Equal(v, PackedTopK.Value(PackedTopK.Key(v, i))); // −0 decodes as +0, which compares equal
            Assert.Equal(i, PackedTopK.Index(PackedTopK.Key(v, i)));
            Assert.NotEqual(0UL, PackedTopK.Key(v, i)); // empty lanes (0) rank below every entry
        });
    }

    [Fact]
    public void Every_pair_of_special_values_orders_as_the_sorted_buffer_does()
    {
        foreach (float v in Specials)
            foreach (float w in Specials)
                foreach (var (i, j) in new[] { (1, 2), (2, 1) })
                    Assert.True(Selection.Before(v, i, w, j) == PackedTopK.Key(v, i) > PackedTopK.Key(w, j), $"({v}, {i}) against ({w}, {j})");
    }

    [Fact]
    public void Inserting_a_sequence_keeps_the_same_top_k_as_the_sorted_buffer()
    {
        Gen.Select(Gen.Int[1, PackedTopK.Capacity], Values.Array[1, 40]).Sample((k, values) =>
        {
            var topValues = new float[k];
            var topIndices = new int[k];
            int count = 0;
            var keys = Vector512<ulong>.Zero;
            foreach (int j in Enumerable.Range(0, values.Length).OrderBy(j => (j * 7919) % values.Length)) // offers in any order
            {
                Selection.Offer<float>(topValues, topIndices, ref count, values[j], j);
                keys = PackedTopK.Insert(keys, PackedTopK.Key(values[j], j));
            }
            for (int r = 0; r < count; r++)
            {
                Assert.Equal(topValues[r], PackedTopK.Value(keys[r]));
                Assert.Equal(topIndices[r], PackedTopK.Index(keys[r]));
            }
        });
    }
}
