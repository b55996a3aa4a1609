using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TopKLoss.Kernels;

/// <summary>
/// Sixteen floats sorted in one vector by Batcher's bitonic network (10 compare-exchange steps of
/// a permute, a min, a max and a blend; no branches), for the k-th largest of a few candidates.
/// NaN is not expected (callers' rows are finite).
/// </summary>
internal static class Sort16
{
    private static readonly Vector512<int>[] Partners = new Vector512<int>[10];
    private static readonly Vector512<int>[] TakeMax = new Vector512<int>[10];

    static Sort16()
    {
        int step = 0;
        Span<int> partner = stackalloc int[16], takeMax = stackalloc int[16];
        for (int size = 2; size <= 16; size *= 2)
            for (int stride = size / 2; stride >= 1; stride /= 2, step++)
            {
                for (int i = 0; i < 16; i++)
                {
                    partner[i] = i ^ stride;
                    bool descending = (i & size) == 0 || size == 16; // blocks alternate; the last merge descends
                    takeMax[i] = ((i & stride) == 0) == descending ? -1 : 0;
                }
                (Partners[step], TakeMax[step]) = (Vector512.Create<int>(partner), Vector512.Create<int>(takeMax));
            }
    }

    /// <summary>v sorted descending (lane 0 the largest).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Descending(Vector512<float> v)
    {
        for (int step = 0; step < 10; step++) v = Exchange(v, step);
        return v;
    }

    /// <summary>The 16 largest of two descending vectors, descending (a bitonic merge).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MergeTop(Vector512<float> a, Vector512<float> b)
    {
        var top = Vector512.MaxNative(a, Vector512.Shuffle(b, Vector512.Create(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)));
        for (int step = 6; step < 10; step++) top = Exchange(top, step); // the size-16 merge: strides 8, 4, 2, 1
        return top;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exchange(Vector512<float> v, int step)
    {
        var other = Vector512.Shuffle(v, Partners[step]);
        return Vector512.ConditionalSelect(TakeMax[step].AsSingle(), Vector512.MaxNative(v, other), Vector512.MinNative(v, other));
    }
}
