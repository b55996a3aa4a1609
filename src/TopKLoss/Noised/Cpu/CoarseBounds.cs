using System.Runtime.CompilerServices;

namespace TopKLoss.Kernels;

/// <summary>
/// What the first 16 bits of a draw say about it. A normal is z = Φ⁻¹(u) with u's leading 16 bits
/// h ("the bucket", <see cref="NoiseStream"/>), and Φ⁻¹ is increasing, so Lower[h] ≤ z ≤ Upper[h]
/// for every z of bucket h, whatever its other 32 bits; the tables are widened by 10⁻¹² relative
/// against rounding wiggles of the float64 quantile and rounded outwards for float32, and Upper is
/// non-decreasing in h. <see cref="FirstReaching"/> turns "Upper[h] ≥ t" into "h ≥ an integer" per
/// column, which the kernel compares with 32 buckets per instruction.
/// </summary>
internal static class CoarseBounds
{
    public const int Buckets = 1 << 16;

    /// <summary>Grid z_i = GridLow + i/GridScale, i &lt; GridSize, of <see cref="FirstReaching"/>.</summary>
    public const double GridLow = -9, GridScale = 64;
    public const int GridSize = 18 * 64 + 1;

    public static readonly double[] LowerD = new double[Buckets], UpperD = new double[Buckets];
    public static readonly float[] LowerF = new float[Buckets], UpperF = new float[Buckets];

    /// <summary>Bounds by the leading 12 bits (16 buckets each, 16 KB in float: they stay in L1):
    /// LowerCoarse[h >> 4] ≤ Lower[h] and UpperCoarse[h >> 4] ≥ Upper[h].</summary>
    public static readonly double[] LowerCoarseD = new double[Buckets >> 4], UpperCoarseD = new double[Buckets >> 4];
    public static readonly float[] LowerCoarseF = new float[Buckets >> 4], UpperCoarseF = new float[Buckets >> 4];

    /// <summary>FirstReaching[i] = min{h : UpperD[h] ≥ z_i}, or <see cref="Buckets"/> when no bucket reaches z_i.</summary>
    public static readonly int[] FirstReaching = new int[GridSize];

    static CoarseBounds()
    {
        double running = double.NegativeInfinity;
        for (int h = 0; h < Buckets; h++)
        {
            double low = NormalQuantile.FromBits((uint)h, 0), high = NormalQuantile.FromBits((uint)h, uint.MaxValue);
            low -= 1e-12 * (1 + Math.Abs(low));
            high += 1e-12 * (1 + Math.Abs(high));
            running = Math.Max(running, high);
            (LowerD[h], UpperD[h]) = (low, running);
            LowerF[h] = (float)low > low ? MathF.BitDecrement((float)low) : (float)low;
            UpperF[h] = (float)running < running ? MathF.BitIncrement((float)running) : (float)running;
        }
        for (int c = 0; c < Buckets >> 4; c++)
        {
            (LowerCoarseD[c], UpperCoarseD[c]) = (double.PositiveInfinity, UpperD[16 * c + 15]);
            (LowerCoarseF[c], UpperCoarseF[c]) = (float.PositiveInfinity, UpperF[16 * c + 15]);
            for (int h = 16 * c; h < 16 * c + 16; h++)
            {
                LowerCoarseD[c] = Math.Min(LowerCoarseD[c], LowerD[h]);
                LowerCoarseF[c] = Math.Min(LowerCoarseF[c], LowerF[h]);
            }
        }
        int first = 0;
        for (int i = 0; i < GridSize; i++)
        {
            double z = GridLow + i / GridScale;
            while (first < Buckets && UpperD[first] < z) first++;
            FirstReaching[i] = first;
        }
    }

    /// <summary>The tables in the storage type T (float32 or float64).</summary>
    public static T[] Lower<T>() => typeof(T) == typeof(float) ? (T[])(object)LowerF : (T[])(object)LowerD;

    /// <inheritdoc cref="Lower{T}"/>
    public static T[] Upper<T>() => typeof(T) == typeof(float) ? (T[])(object)UpperF : (T[])(object)UpperD;

    /// <inheritdoc cref="LowerCoarseD"/>
    public static T[] LowerCoarse<T>() => typeof(T) == typeof(float) ? (T[])(object)LowerCoarseF : (T[])(object)LowerCoarseD;

    /// <inheritdoc cref="LowerCoarseD"/>
    public static T[] UpperCoarse<T>() => typeof(T) == typeof(float) ? (T[])(object)UpperCoarseF : (T[])(object)UpperCoarseD;

    /// <summary>
    /// A grid index i with z_i ≤ t (0 when t is below the grid, where every bucket must count):
    /// every bucket h &lt; FirstReaching[i] then has Upper[h] &lt; t.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GridIndexAtOrBelow(double t) =>
        (int)Math.Clamp(Math.Floor((t - GridLow) * GridScale), 0, GridSize - 1);
}
