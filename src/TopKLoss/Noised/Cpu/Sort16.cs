using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TopKLoss.Kernels;

/// <summary>
/// Sixteen floats sorted in one vector by Batcher's bitonic network (10 compare-exchange steps of
/// a permute, a min, a max and a blend; no branches), for the k-th largest of a few candidates.
/// One dispatcher: AVX-512 runs the network on one register, AVX2 on two 8-lane halves (a stride-8
/// step swaps the halves, the others permute within them), other CPUs sort the 16 lanes in scalar
/// code. NaN is not expected (callers' rows are finite); equal values may come in any order.
/// </summary>
internal static class Sort16
{
    private const int Steps = 10;
    private static readonly Vector512<int>[] Partners = new Vector512<int>[Steps];
    private static readonly Vector512<int>[] TakeMax = new Vector512<int>[Steps];
    private static readonly int[] Strides = new int[Steps];

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
                (Partners[step], TakeMax[step], Strides[step]) = (Vector512.Create<int>(partner), Vector512.Create<int>(takeMax), stride);
            }
    }

    /// <summary>v sorted descending (lane 0 the largest).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Descending(Vector512<float> v)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            for (int step = 0; step < Steps; step++) v = Exchange(v, step);
            return v;
        }
        if (Avx2.IsSupported) return Halves(v, 0);
        Span<float> lanes = stackalloc float[16];
        v.CopyTo(lanes);
        InsertionSortDescending(lanes);
        return Vector512.Create<float>(lanes);
    }

    /// <summary>The 16 largest of two descending vectors, descending (a bitonic merge).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MergeTop(Vector512<float> a, Vector512<float> b)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var top = Vector512.MaxNative(a, Vector512.Shuffle(b, Vector512.Create(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)));
            for (int step = 6; step < Steps; step++) top = Exchange(top, step); // the size-16 merge: strides 8, 4, 2, 1
            return top;
        }
        if (Avx2.IsSupported)
        {
            var reverse = Vector256.Create(7, 6, 5, 4, 3, 2, 1, 0);
            var reversed = Vector512.Create(Avx2.PermuteVar8x32(b.GetUpper(), reverse), Avx2.PermuteVar8x32(b.GetLower(), reverse));
            return Halves(Vector512.Create(Vector256.MaxNative(a.GetLower(), reversed.GetLower()), Vector256.MaxNative(a.GetUpper(), reversed.GetUpper())), 6);
        }
        Span<float> lanes = stackalloc float[32];
        a.CopyTo(lanes);
        b.CopyTo(lanes[16..]);
        InsertionSortDescending(lanes);
        return Vector512.Create<float>(lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exchange(Vector512<float> v, int step)
    {
        var other = Vector512.Shuffle(v, Partners[step]);
        return Vector512.ConditionalSelect(TakeMax[step].AsSingle(), Vector512.MaxNative(v, other), Vector512.MinNative(v, other));
    }

    /// <summary>Steps <paramref name="first"/>..9 of the network on two AVX2 halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> v, int first)
    {
        var (low, high) = (v.GetLower(), v.GetUpper());
        for (int step = first; step < Steps; step++)
        {
            Vector256<float> otherLow, otherHigh;
            if (Strides[step] == 8) (otherLow, otherHigh) = (high, low);
            else
            {
                var within = Partners[step].GetLower() & Vector256.Create(7); // the same pattern in both halves
                (otherLow, otherHigh) = (Avx2.PermuteVar8x32(low, within), Avx2.PermuteVar8x32(high, within));
            }
            var takeMax = TakeMax[step].AsSingle();
            low = Vector256.ConditionalSelect(takeMax.GetLower(), Vector256.MaxNative(low, otherLow), Vector256.MinNative(low, otherLow));
            high = Vector256.ConditionalSelect(takeMax.GetUpper(), Vector256.MaxNative(high, otherHigh), Vector256.MinNative(high, otherHigh));
        }
        return Vector512.Create(low, high);
    }

    private static void InsertionSortDescending(Span<float> values)
    {
        for (int i = 1; i < values.Length; i++)
        {
            float v = values[i];
            int at = i;
            for (; at > 0 && values[at - 1] < v; at--) values[at] = values[at - 1];
            values[at] = v;
        }
    }
}
