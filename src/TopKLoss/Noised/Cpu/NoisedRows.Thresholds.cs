namespace TopKLoss.Kernels;

/// <summary>The column-threshold step of <see cref="NoisedRows{T}"/>: the least bucket per column that can reach the floor.</summary>
internal static unsafe partial class NoisedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Per column the least bucket H_j that can reach the floor F — any h &lt; H_j has
    /// fl(x_j + fl(ε·Upper[h])) &lt; F — in s.Thresholds, column order (16 bits, saturated: a column
    /// no bucket reaches gets 2¹⁶ − 1, and columns past n are dropped when collected). Returns the
    /// groups with a reachable column, listed in s.Live.
    /// </summary>
    private static int ColumnThresholds(ReadOnlySpan<T> x, T floor, T epsilon, Scratch s)
    {
        int n = x.Length, j = 0, live = 0;
        double f = double.CreateTruncating(floor), inverse = 1 / double.CreateTruncating(epsilon);
        fixed (int* firstReaching = CoarseBounds.FirstReaching)
        fixed (T* xs = x)
        fixed (ushort* thresholds = s.Thresholds)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                int reachable = CoarseBounds.Buckets, end = Math.Min(n, (g + 1) * GroupColumns);
                if (Avx512F.VL.IsSupported)
                {
                    var (fv, inv) = (Vector512.Create(f), Vector512.Create(inverse));
                    var fixedMargin = Vector512.Create(1e-5 * Math.Abs(f) * inverse + 1e-30 * inverse);
                    var least = Vector256.Create(CoarseBounds.Buckets);
                    for (; j + 8 <= end; j += 8)
                    {
                        var xj = typeof(T) == typeof(float) ? Avx512F.ConvertToVector512Double(Vector256.Load((float*)xs + j)) : Vector512.Load((double*)xs + j);
                        var t = (fv - xj) * inv;
                        var margin = 1e-5 * (Vector512.Abs(t) + Vector512.Abs(xj) * inv) + fixedMargin;
                        var grid = Vector512.MinNative(Vector512.MaxNative(Vector512.Floor((t - margin - Vector512.Create(CoarseBounds.GridLow)) * CoarseBounds.GridScale),
                            Vector512<double>.Zero), Vector512.Create(CoarseBounds.GridSize - 1.0));
                        var first = Avx2.GatherVector256(firstReaching, Avx512F.ConvertToVector256Int32(grid), 4);
                        least = Vector256.Min(least, first);
                        Avx512F.VL.ConvertToVector128UInt16WithSaturation(first.AsUInt32()).Store(thresholds + j);
                    }
                    for (int lane = 0; lane < Vector256<int>.Count; lane++) reachable = Math.Min(reachable, least[lane]);
                }
                for (; j < end; j++)
                {
                    int first = firstReaching[ThresholdIndex(f, double.CreateTruncating(x[j]), inverse)];
                    reachable = Math.Min(reachable, first);
                    thresholds[j] = (ushort)Math.Min(first, 0xFFFF);
                }
                for (; j < (g + 1) * GroupColumns; j++) thresholds[j] = 0xFFFF;
                if (reachable < CoarseBounds.Buckets) s.Live[live++] = g;
            }
        }
        return live;
    }

    /// <summary>
    /// The grid index for column x_j: t = (F − x_j)/ε puts x_j + ε·t exactly on the floor, and the
    /// margin (10⁻⁵ relative to every term, far above the 2⁻²³ of float rounding) keeps the grid
    /// point below any z whose rounded sum could reach F.
    /// </summary>
    private static int ThresholdIndex(double f, double xj, double inverse)
    {
        double t = (f - xj) * inverse;
        double margin = 1e-5 * (Math.Abs(t) + (Math.Abs(f) + Math.Abs(xj)) * inverse) + 1e-30 * inverse;
        return CoarseBounds.GridIndexAtOrBelow(t - margin);
    }
}
