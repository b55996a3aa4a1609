using System.Runtime.Intrinsics;
using CsCheck;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>The bitonic network against Array.Sort, with ties and infinities.</summary>
public class Sort16Tests
{
    private static readonly Gen<float[]> Sixteen =
        Gen.OneOf(Gen.Int[-3, 3].Select(i => (float)i), Gen.Single[-1e6f, 1e6f], Gen.Const(float.NegativeInfinity), Gen.Const(float.PositiveInfinity)).Array[16];

    private static float[] SortedDescending(IEnumerable<float> values) => values.OrderByDescending(v => v).ToArray();

    [Fact]
    public void Descending_sorts_sixteen_values()
    {
        Sixteen.Sample(values => Assert.Equal(SortedDescending(values), ToArray(Sort16.Descending(Vector512.Create(values)))));
    }

    [Fact]
    public void Merge_top_keeps_the_sixteen_largest_of_two_sorted_vectors()
    {
        Gen.Select(Sixteen, Sixteen).Sample((a, b) =>
        {
            var merged = Sort16.MergeTop(Sort16.Descending(Vector512.Create(a)), Sort16.Descending(Vector512.Create(b)));
            Assert.Equal(SortedDescending(a.Concat(b)).Take(16), ToArray(merged));
        });
    }

    private static float[] ToArray(Vector512<float> v)
    {
        var values = new float[16];
        v.CopyTo(values);
        return values;
    }
}
