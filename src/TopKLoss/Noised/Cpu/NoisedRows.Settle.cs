namespace TopKLoss.Kernels;

/// <summary>The settle step of <see cref="NoisedRows{T}"/>: each sample's exact k-th largest from its candidates' intervals.</summary>
internal static unsafe partial class NoisedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Sample q's k-th largest and its index from its candidates: intervals first, exact draws
    /// only where an interval meets [L, U] (see the class summary). False only if fewer than k
    /// candidates reach the floor, which the seeds rule out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Settle(ReadOnlySpan<T> x, long row, int q, int k, int listed, T epsilon, NoiseStream noise, Scratch s, out T value, out int index)
    {
        (value, index) = (T.Zero, 0);
        if (listed < k) return false;
        // The intervals, and L = the k-th largest lower end; an interval wholly below L is out.
        float lowerKth = float.NaN;
        int count = typeof(T) == typeof(float) && Avx2.IsSupported ? IntervalsVector(x, listed, k, epsilon, s, out lowerKth) : Intervals(x, listed, k, epsilon, s);
        if (typeof(T) == typeof(float) && count <= 16 && k <= 16 && !float.IsNaN(lowerKth)) DrawAmbiguousFew(x, row, q, k, count, lowerKth, epsilon, noise, s);
        else
        {
            // one round (see DrawAmbiguousFew)
            T lowest = Kth(s.Low, count, k, s), highest = Kth(s.High, count, k, s);
            for (int c = 0; c < count; c++)
            {
                if (s.High[c] < lowest || s.Low[c] > highest) continue;
                int column = s.Index[c];
                double z = NormalQuantile.FromBits((uint)s.Bucket[c], noise.FineWord(row, q, column));
                s.Low[c] = s.High[c] = x[column] + epsilon * T.CreateTruncating(z);
            }
        }
        var values = s.TopValues.AsSpan(0, k);
        var indices = s.TopIndices.AsSpan(0, k);
        int held = 0;
        for (int c = 0; c < count; c++) Selection.Offer(values, indices, ref held, s.Low[c], s.Index[c]);
        (value, index) = (values[k - 1], indices[k - 1]);
        return true;
    }

    /// <summary>
    /// <see cref="KeepVector"/> and <see cref="Settle"/> in one vector, for at most 16 listed
    /// candidates (float, k ≤ 16; the common case in short rows and at small ε): the coarse floor
    /// test, the intervals, L and U by <see cref="Sort16"/>, one round of exact draws, then the k-th
    /// by value and index among the ≤ 16 survivors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SettleOneVector(ReadOnlySpan<T> x, long row, int q, int k, T epsilon, NoiseStream noise, Scratch s, out T value, out int index)
    {
        (value, index) = (T.Zero, 0);
        int listed = s.Counts[q];
        var eps = Vector512.Create(float.CreateTruncating(epsilon));
        var none = Vector512.Create(float.NegativeInfinity);
        Vector512<int> column, bucket;
        Vector512<float> low, high;
        Vector512<float> keep;
        fixed (ushort* buckets = &s.Buckets16[q * s.Capacity], columns = &s.Columns16[q * s.Capacity])
        fixed (T* xs = x)
        fixed (T* lowerT = LowerTable, upperT = UpperTable, upperCoarseT = UpperCoarseTable)
        {
            column = Avx512F.ConvertToVector512Int32(Vector256.Load(columns));
            bucket = Avx512F.ConvertToVector512Int32(Vector256.Load(buckets));
            var valid = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(listed)) & Vector512.LessThan(column, Vector512.Create(x.Length));
            column &= valid;
            bucket &= valid;
            var xv = Lanes16.Gather((float*)xs, column);
            keep = valid.AsSingle() & Vector512.GreaterThanOrEqual(xv + eps * Lanes16.Gather((float*)upperCoarseT, Vector512.ShiftRightLogical(bucket, 4)), Vector512.Create(float.CreateTruncating(s.Floors[q])));
            low = Vector512.ConditionalSelect(keep, xv + eps * Lanes16.Gather((float*)lowerT, bucket), none);
            high = Vector512.ConditionalSelect(keep, xv + eps * Lanes16.Gather((float*)upperT, bucket), none);
        }
        if (BitOperations.PopCount(keep.ExtractMostSignificantBits()) < k) return false;
        uint draw = Ambiguous(low, high, ref keep, Sort16.Descending(low).GetElement(k - 1), k);
        Span<float> lows = stackalloc float[16];
        Span<int> indices = stackalloc int[16];
        low.CopyTo(lows);
        column.CopyTo(indices);
        for (; draw != 0; draw &= draw - 1)
        {
            int lane = BitOperations.TrailingZeroCount(draw);
            double z = NormalQuantile.FromBits((uint)bucket.GetElement(lane), noise.FineWord(row, q, indices[lane]));
            lows[lane] = float.CreateTruncating(x[indices[lane]] + epsilon * T.CreateTruncating(z));
        }
        var topValues = s.TopValues.AsSpan(0, k);
        var topIndices = s.TopIndices.AsSpan(0, k);
        int held = 0;
        for (uint kept = (uint)keep.ExtractMostSignificantBits(); kept != 0; kept &= kept - 1)
        {
            int lane = BitOperations.TrailingZeroCount(kept);
            Selection.Offer(topValues, topIndices, ref held, T.CreateTruncating(lows[lane]), indices[lane]);
        }
        (value, index) = (topValues[k - 1], topIndices[k - 1]);
        return true;
    }

    /// <summary>
    /// The listed candidates' intervals [x + ε·Lower[h], x + ε·Upper[h]], keeping (compacted, in list
    /// order) those whose upper end reaches L, the k-th largest lower end; returns how many.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Intervals(ReadOnlySpan<T> x, int listed, int k, T epsilon, Scratch s)
    {
        T[] lowerTable = LowerTable, upperTable = UpperTable;
        var top = s.TopValues.AsSpan(0, k);
        int held = 0;
        for (int c = 0; c < listed; c++)
        {
            int column = s.Index[c], bucket = s.Bucket[c];
            T low = x[column] + epsilon * lowerTable[bucket];
            (s.Low[c], s.High[c]) = (low, x[column] + epsilon * upperTable[bucket]);
            if (held < k || low > top[k - 1]) InsertDescending(top, ref held, low);
        }
        int count = 0;
        for (int c = 0; c < listed; c++)
            if (s.High[c] >= top[k - 1])
            {
                (s.Low[count], s.High[count], s.Index[count], s.Bucket[count]) = (s.Low[c], s.High[c], s.Index[c], s.Bucket[c]);
                count++;
            }
        return count;
    }

    /// <summary><see cref="Intervals"/> 16 candidates at a time (float, AVX2 or AVX-512): gathers, a vector k-th largest, compress stores in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int IntervalsVector(ReadOnlySpan<T> x, int listed, int k, T epsilon, Scratch s, out float lowKth)
    {
        int padded = (listed + 15) & ~15, count = 0;
        var eps = Vector512.Create(float.CreateTruncating(epsilon));
        fixed (T* xs = x)
        fixed (T* lower = LowerTable, upper = UpperTable)
        fixed (int* index = s.Index, bucket = s.Bucket)
        fixed (T* lowOut = s.Low, highOut = s.High)
        {
            for (int c = 0; c < padded; c += 16)
            {
                var valid = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(listed - c));
                var column = Vector512.Load(index + c) & valid;
                var h = Vector512.Load(bucket + c) & valid;
                var xv = Lanes16.Gather((float*)xs, column);
                var none = Vector512.Create(float.NegativeInfinity);
                Vector512.ConditionalSelect(valid.AsSingle(), xv + eps * Lanes16.Gather((float*)lower, h), none).Store((float*)lowOut + c);
                (xv + eps * Lanes16.Gather((float*)upper, h)).Store((float*)highOut + c);
            }
            lowKth = float.CreateTruncating(KthLargestFew(s.Low.AsSpan(0, padded), k));
            var floor = Vector512.Create(lowKth);
            for (int c = 0; c < padded; c += 16)
            {
                var valid = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(listed - c));
                var keep = Vector512.GreaterThanOrEqual(Vector512.Load((float*)highOut + c), floor).AsInt32() & valid;
                var (columns, buckets) = (Vector512.Load(index + c), Vector512.Load(bucket + c));
                var (lows, highs) = (Vector512.Load((float*)lowOut + c), Vector512.Load((float*)highOut + c));
                Lanes16.Compress(index + count, keep, columns);
                Lanes16.Compress(bucket + count, keep, buckets);
                Lanes16.Compress((float*)lowOut + count, keep, lows);
                count += Lanes16.Compress((float*)highOut + count, keep, highs);
            }
        }
        return count;
    }

    /// <summary>
    /// Float, at most 16 intervals in one vector: draws exactly every interval that meets [L, U]
    /// (k-th largest lower and upper ends, by <see cref="Sort16"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DrawAmbiguousFew(ReadOnlySpan<T> x, long row, int q, int k, int count, float lowKthOfAll, T epsilon, NoiseStream noise, Scratch s)
    {
        var valid = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
        var none = Vector512.Create(float.NegativeInfinity);
        var low = Vector512.ConditionalSelect(valid, Vector512.Create(MemoryMarshal.Cast<T, float>(s.Low.AsSpan())), none);
        var high = Vector512.ConditionalSelect(valid, Vector512.Create(MemoryMarshal.Cast<T, float>(s.High.AsSpan())), none);
        // the compaction kept every interval with a lower end ≥ L, so L is that of all candidates
        for (uint draw = Ambiguous(low, high, ref valid, lowKthOfAll, k); draw != 0; draw &= draw - 1)
        {
            int c = BitOperations.TrailingZeroCount(draw), column = s.Index[c];
            double z = NormalQuantile.FromBits((uint)s.Bucket[c], noise.FineWord(row, q, column));
            s.Low[c] = s.High[c] = x[column] + epsilon * T.CreateTruncating(z);
        }
    }

    /// <summary>
    /// The lanes to draw exactly: with L = <paramref name="lowKth"/> (the k-th largest lower end of
    /// all candidates) and U the k-th largest upper end, those whose interval [low, high] meets
    /// [L, U]. Lanes wholly below L leave <paramref name="keep"/> (they cannot be the k-th). One
    /// round is enough: drawing only raises lower ends and lowers upper ends, so L only rises and U
    /// only falls, and an interval outside [L, U] stays outside.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Ambiguous(Vector512<float> low, Vector512<float> high, ref Vector512<float> keep, float lowKth, int k)
    {
        keep &= Vector512.GreaterThanOrEqual(high, Vector512.Create(lowKth));
        float highKth = Sort16.Descending(Vector512.ConditionalSelect(keep, high, Vector512.Create(float.NegativeInfinity))).GetElement(k - 1);
        return (uint)(keep & Vector512.LessThanOrEqual(low, Vector512.Create(highKth))).ExtractMostSignificantBits();
    }

    /// <summary>
    /// The k-th largest of values (float, length a multiple of 16): for k ≤ 16 the top 16 are kept
    /// sorted in one vector (<see cref="Sort16"/>), else <see cref="KthLargest"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T KthLargestFew(ReadOnlySpan<T> values, int k)
    {
        if (k > 16) return KthLargest(values, k);
        var floats = MemoryMarshal.Cast<T, float>(values);
        var top = Sort16.Descending(Vector512.Create(floats));
        for (int c = 16; c < floats.Length; c += 16) top = Sort16.MergeTop(top, Sort16.Descending(Vector512.Create(floats[c..])));
        return T.CreateTruncating(top.GetElement(k - 1));
    }

    /// <summary>Inserts v into the descending values[0 .. held − 1], dropping the last when full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InsertDescending(Span<T> values, ref int held, T v)
    {
        int at = held < values.Length ? held++ : values.Length - 1;
        for (; at > 0 && values[at - 1] < v; at--) values[at] = values[at - 1];
        values[at] = v;
    }

    /// <summary>The k-th largest of values[0 .. count − 1] (count ≥ k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Kth(T[] values, int count, int k, Scratch s)
    {
        var top = s.TopValues.AsSpan(0, k);
        int held = 0;
        for (int c = 0; c < count; c++)
            if (held < k || values[c] > top[k - 1]) InsertDescending(top, ref held, values[c]);
        return top[k - 1];
    }

    /// <summary>
    /// The k-th largest of values (length a multiple of the vector width, no NaN), counting equal
    /// values separately: k rounds at most of a vector maximum over the values below the previous
    /// round's (read-only: no stores for the next round to wait on).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T KthLargest(ReadOnlySpan<T> values, int k)
    {
        if (!Vector128.IsHardwareAccelerated) return KthLargestScalar(values, k);
        int lanes = Vector512<T>.Count;
        var none = Vector512.Create(T.NegativeInfinity);
        var below = Vector512.Create(T.PositiveInfinity);
        while (true)
        {
            var max = none;
            for (int t = 0; t < values.Length; t += lanes)
            {
                var v = Vector512.Create(values.Slice(t, lanes));
                max = Vector512.MaxNative(max, Vector512.ConditionalSelect(Vector512.LessThan(v, below), v, none));
            }
            var top = Vector512.Create(HorizontalMax(max));
            if (T.IsNegativeInfinity(top.ToScalar())) return top.ToScalar();
            int equal = 0;
            for (int t = 0; t < values.Length; t += lanes)
                equal += BitOperations.PopCount(Vector512.Equals(Vector512.Create(values.Slice(t, lanes)), top).ExtractMostSignificantBits());
            if (equal >= k) return top.ToScalar();
            k -= equal;
            below = top;
        }
    }

    /// <summary>
    /// <see cref="KthLargest"/> without SIMD (the vector types' software fallback costs more than this):
    /// the k largest kept in descending order by insertion, counting equal values separately.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T KthLargestScalar(ReadOnlySpan<T> values, int k)
    {
        Span<T> top = k <= 64 ? stackalloc T[k] : new T[k];
        int held = 0;
        foreach (T v in values)
            if (held < k || v > top[k - 1]) InsertDescending(top, ref held, v);
        return held < k ? T.NegativeInfinity : top[k - 1];
    }

    private static T HorizontalMax(Vector512<T> v)
    {
        var half = Vector256.Max(v.GetLower(), v.GetUpper());
        var quarter = Vector128.Max(half.GetLower(), half.GetUpper());
        T max = quarter.GetElement(0);
        for (int i = 1; i < Vector128<T>.Count; i++) max = T.Max(max, quarter.GetElement(i));
        return max;
    }
}
