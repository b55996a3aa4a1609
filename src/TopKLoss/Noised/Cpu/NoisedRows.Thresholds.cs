namespace TopKLoss.Kernels;

/// <summary>The column-threshold step of <see cref="NoisedRows{T}"/>: the least bucket per column that can reach the floor.</summary>
internal static unsafe partial class NoisedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Per column the least bucket H_j that can reach the floor F — any h &lt; H_j has
    /// fl(x_j + fl(ε·Upper[h])) &lt; F — in s.Thresholds, column order (16 bits, saturated: a column
    /// no bucket reaches gets 2¹⁶ − 1, and columns past n are dropped when collected). Returns the
    /// groups with a reachable column, listed in s.Live. The columns are computed 8, 4 or 2 at a time
    /// (float64 lanes of the widest vector) and the rest one by one; any width gives sound thresholds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ColumnThresholds(ReadOnlySpan<T> x, T floor, T epsilon, Scratch s)
    {
        int n = x.Length, j = 0, live = 0;
        var grid = new ThresholdGrid(double.CreateTruncating(floor), 1 / double.CreateTruncating(epsilon));
        fixed (int* firstReaching = CoarseBounds.FirstReaching)
        fixed (T* xs = x)
        fixed (ushort* thresholds = s.Thresholds)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                int end = Math.Min(n, (g + 1) * GroupColumns);
                int reachable = Vector512.IsHardwareAccelerated ? Thresholds512(xs, thresholds, firstReaching, ref j, end, grid)
                    : Vector256.IsHardwareAccelerated && Avx2.IsSupported ? Thresholds256(xs, thresholds, firstReaching, ref j, end, grid)
                    : Vector128.IsHardwareAccelerated ? Thresholds128(xs, thresholds, firstReaching, ref j, end, grid)
                    : CoarseBounds.Buckets;
                for (; j < end; j++)
                {
                    int first = firstReaching[grid.Index(double.CreateTruncating(x[j]))];
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
    private readonly struct ThresholdGrid(double floor, double inverse)
    {
        public readonly double Floor = floor, Inverse = inverse;
        /// <summary>The margin's part that does not depend on x_j: 10⁻⁵·|F|/ε, and 10⁻³⁰/ε against F = 0.</summary>
        public readonly double FixedMargin = 1e-5 * Math.Abs(floor) * inverse + 1e-30 * inverse;

        public int Index(double xj)
        {
            double t = (Floor - xj) * Inverse;
            return CoarseBounds.GridIndexAtOrBelow(t - (1e-5 * (Math.Abs(t) + Math.Abs(xj) * Inverse) + FixedMargin));
        }

        /// <summary><see cref="Index(double)"/> of every lane, as a double (an integer in [0, GridSize − 1]; no NaN: rows are finite).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<double> Index(Vector512<double> xj)
        {
            var t = (Vector512.Create(Floor) - xj) * Vector512.Create(Inverse);
            var margin = 1e-5 * (Vector512.Abs(t) + Vector512.Abs(xj) * Vector512.Create(Inverse)) + Vector512.Create(FixedMargin);
            return Vector512.MinNative(Vector512.MaxNative(Vector512.Floor((t - margin - Vector512.Create(CoarseBounds.GridLow)) * CoarseBounds.GridScale),
                Vector512<double>.Zero), Vector512.Create(CoarseBounds.GridSize - 1.0));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<double> Index(Vector256<double> xj)
        {
            var t = (Vector256.Create(Floor) - xj) * Vector256.Create(Inverse);
            var margin = 1e-5 * (Vector256.Abs(t) + Vector256.Abs(xj) * Vector256.Create(Inverse)) + Vector256.Create(FixedMargin);
            return Vector256.MinNative(Vector256.MaxNative(Vector256.Floor((t - margin - Vector256.Create(CoarseBounds.GridLow)) * CoarseBounds.GridScale),
                Vector256<double>.Zero), Vector256.Create(CoarseBounds.GridSize - 1.0));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<double> Index(Vector128<double> xj)
        {
            var t = (Vector128.Create(Floor) - xj) * Vector128.Create(Inverse);
            var margin = 1e-5 * (Vector128.Abs(t) + Vector128.Abs(xj) * Vector128.Create(Inverse)) + Vector128.Create(FixedMargin);
            return Vector128.MinNative(Vector128.MaxNative(Vector128.Floor((t - margin - Vector128.Create(CoarseBounds.GridLow)) * CoarseBounds.GridScale),
                Vector128<double>.Zero), Vector128.Create(CoarseBounds.GridSize - 1.0));
        }
    }

    /// <summary>AVX-512: 8 columns per step, the table read by one gather, stored by one saturating narrow. Returns the least threshold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Thresholds512(T* xs, ushort* thresholds, int* firstReaching, ref int j, int end, ThresholdGrid grid)
    {
        var least = Vector256.Create(CoarseBounds.Buckets);
        for (; j + 8 <= end; j += 8)
        {
            var xj = typeof(T) == typeof(float) ? Avx512F.ConvertToVector512Double(Vector256.Load((float*)xs + j)) : Vector512.Load((double*)xs + j);
            var first = Avx2.GatherVector256(firstReaching, Avx512F.ConvertToVector256Int32(grid.Index(xj)), 4);
            least = Vector256.Min(least, first);
            Avx512F.VL.ConvertToVector128UInt16WithSaturation(first.AsUInt32()).Store(thresholds + j);
        }
        return HorizontalMin(least.GetLower(), least.GetUpper());
    }

    /// <summary>AVX2: 4 columns per step, one gather, a saturating pack. Returns the least threshold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Thresholds256(T* xs, ushort* thresholds, int* firstReaching, ref int j, int end, ThresholdGrid grid)
    {
        var least = Vector128.Create(CoarseBounds.Buckets);
        for (; j + 4 <= end; j += 4)
        {
            var xj = typeof(T) == typeof(float) ? Avx.ConvertToVector256Double(Vector128.Load((float*)xs + j)) : Vector256.Load((double*)xs + j);
            var first = Avx2.GatherVector128(firstReaching, Avx.ConvertToVector128Int32WithTruncation(grid.Index(xj)), 4);
            least = Vector128.Min(least, first);
            Sse2.StoreScalar((long*)(thresholds + j), Sse41.PackUnsignedSaturate(first, first).AsInt64());
        }
        return HorizontalMin(least, least);
    }

    /// <summary>
    /// 128 bits (SSE, NEON): 2 columns per step, the grid arithmetic in one vector, the index read
    /// exactly from the mantissa (adding 2⁵² to an integer-valued double puts it in the low bits).
    /// Returns the least threshold.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Thresholds128(T* xs, ushort* thresholds, int* firstReaching, ref int j, int end, ThresholdGrid grid)
    {
        int least = CoarseBounds.Buckets;
        var exponent = Vector128.Create(4503599627370496.0); // 2⁵²
        for (; j + 2 <= end; j += 2)
        {
            var xj = typeof(T) == typeof(float) ? Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(double*)((float*)xs + j)).AsSingle())
                : Vector128.Load((double*)xs + j);
            var index = (grid.Index(xj) + exponent).AsInt64();
            int first0 = firstReaching[(int)index.ToScalar()], first1 = firstReaching[(int)index.GetElement(1)];
            least = Math.Min(least, Math.Min(first0, first1));
            thresholds[j] = (ushort)Math.Min(first0, 0xFFFF);
            thresholds[j + 1] = (ushort)Math.Min(first1, 0xFFFF);
        }
        return least;
    }

    private static int HorizontalMin(Vector128<int> a, Vector128<int> b)
    {
        var m = Vector128.Min(a, b);
        return Math.Min(Math.Min(m.GetElement(0), m.GetElement(1)), Math.Min(m.GetElement(2), m.GetElement(3)));
    }
}
