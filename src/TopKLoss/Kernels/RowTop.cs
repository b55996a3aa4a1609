using System.Numerics;

namespace TopKLoss.Kernels;

/// <summary>The q largest entries of a row, in descending order, with their indices.</summary>
internal static class RowTop
{
    /// <summary>
    /// Fills values/indices (length q ≤ row length) with the q largest entries, descending; among
    /// equal values the lower index comes first. O(n) for random data: most entries fail the
    /// comparison with the current q-th value and cost one compare.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Largest(ReadOnlySpan<double> row, Span<double> values, Span<int> indices)
    {
        int count = 0;
        for (int i = 0; i < row.Length; i++) Insert(row[i], i, values, indices, ref count);
    }

    /// <summary>
    /// <see cref="Largest"/> straight from float32/float64 storage, vectorized: a first pass takes
    /// the maxima of q chunks (their minimum T is ≤ the q-th largest, since q distinct entries are
    /// ≥ T) and checks finiteness; a second pass feeds only entries ≥ the bar (T, then the list's
    /// last value once it is full), in index order, to the exact insertion (same result, ties included). Returns false, leaving the lists undefined,
    /// when the row holds NaN or ±inf.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Scan<T>(ReadOnlySpan<T> row, Span<double> values, Span<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int q = values.Length, n = row.Length, width = Vector<T>.Count;
        if (n < q * width * 2) return ScanScalar(row, values, indices);
        if (!ChunkMaxima(row, q, out T threshold, out _)) return false;

        // Pass 2: only entries ≥ the bar reach the insertion; once the list is full the bar rises
        // to its last value (an entry must exceed it, so ≥ keeps every one that could).
        int count = 0;
        T bar = threshold;
        var bound = new Vector<T>(bar);
        int full = n / width * width;
        for (int i = 0; i < full; i += width)
        {
            if (!Vector.GreaterThanOrEqualAny(new Vector<T>(row.Slice(i, width)), bound)) continue;
            for (int j = i; j < i + width; j++)
                if (row[j] >= bar) Insert(double.CreateTruncating(row[j]), j, values, indices, ref count);
            if (count == q && T.CreateTruncating(values[q - 1]) > bar) bound = new Vector<T>(bar = T.CreateTruncating(values[q - 1]));
        }
        for (int j = full; j < n; j++) Insert(double.CreateTruncating(row[j]), j, values, indices, ref count);
        return true;
    }

    /// <summary>
    /// Pass 1 of <see cref="Scan{T}"/>: the smallest of the maxima of q chunks (≤ the q-th largest
    /// entry, since q distinct entries are ≥ it), the largest entry, and whether the row is finite
    /// (x − x is NaN exactly for NaN and ±inf). Needs n ≥ 2·q·width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ChunkMaxima<T>(ReadOnlySpan<T> row, int q, out T threshold, out T largest) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = row.Length, width = Vector<T>.Count;
        threshold = T.PositiveInfinity;
        largest = T.NegativeInfinity;
        var finite = Vector<T>.Zero;
        int chunk = n / q / width * width;
        for (int c = 0; c < q; c++)
        {
            int start = c * chunk, end = c == q - 1 ? n / width * width : start + chunk;
            var max = new Vector<T>(row.Slice(start, width));
            for (int i = start; i < end; i += width)
            {
                var v = new Vector<T>(row.Slice(i, width));
                max = Vector.Max(max, v);
                finite += v - v;
            }
            T chunkMax = MaxAcross(max);
            threshold = T.Min(threshold, chunkMax);
            largest = T.Max(largest, chunkMax);
        }
        for (int i = n / width * width; i < n; i++)
        {
            finite += new Vector<T>(row[i] - row[i]);
            largest = T.Max(largest, row[i]);
        }
        return T.IsFinite(Vector.Sum(finite)) && T.IsFinite(threshold);
    }

    /// <summary>
    /// What the smooth top-k SVM's switch needs for most rows, without the sorted top list:
    /// lowerQth ≤ the q-th largest entry, the largest entry, and the largest entry other than index
    /// skip. False (use <see cref="Scan{T}"/>) for short or non-finite rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Bounds<T>(ReadOnlySpan<T> row, int q, int skip, out double lowerQth, out double largest, out double largestExcept)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (lowerQth, largest, largestExcept) = (0, 0, 0);
        if (row.Length < q * Vector<T>.Count * 2 || !ChunkMaxima(row, q, out T threshold, out T max)) return false;
        (lowerQth, largest) = (double.CreateTruncating(threshold), double.CreateTruncating(max));
        largestExcept = double.CreateTruncating(T.Max(Largest(row[..skip]), Largest(row[(skip + 1)..])));
        return true;
    }

    /// <summary>The largest entry of a finite span, −∞ when it is empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Largest<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, i = 0;
        T largest = T.NegativeInfinity;
        if (values.Length >= width)
        {
            var max = new Vector<T>(values[..width]);
            for (i = width; i + width <= values.Length; i += width) max = Vector.Max(max, new Vector<T>(values.Slice(i, width)));
            largest = MaxAcross(max);
        }
        for (; i < values.Length; i++) largest = T.Max(largest, values[i]);
        return largest;
    }

    /// <summary>The largest lane of a finite vector.</summary>
    private static T MaxAcross<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = v[0];
        for (int l = 1; l < Vector<T>.Count; l++) max = T.Max(max, v[l]);
        return max;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ScanScalar<T>(ReadOnlySpan<T> row, Span<double> values, Span<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = 0;
        for (int i = 0; i < row.Length; i++)
        {
            if (!T.IsFinite(row[i])) return false;
            Insert(double.CreateTruncating(row[i]), i, values, indices, ref count);
        }
        return true;
    }

    private static void Insert(double v, int i, Span<double> values, Span<int> indices, ref int count)
    {
        int q = values.Length;
        if (count == q && !(v > values[q - 1])) return;
        int at = count < q ? count++ : q - 1;
        while (at > 0 && v > values[at - 1])
        {
            values[at] = values[at - 1];
            indices[at] = indices[at - 1];
            at--;
        }
        values[at] = v;
        indices[at] = i;
    }

    /// <summary>
    /// The j-th largest (1-based) entry among those with index ≠ skip, read off a descending
    /// top list of length ≥ j + 1 (or ≥ j when skip is absent from it).
    /// </summary>
    public static (double Value, int Index) NthExcluding(ReadOnlySpan<double> values, ReadOnlySpan<int> indices, int j, int skip)
    {
        for (int p = 0; p < values.Length; p++)
        {
            if (indices[p] == skip) continue;
            if (--j == 0) return (values[p], indices[p]);
        }
        throw new InvalidOperationException("top list too short");
    }
}
