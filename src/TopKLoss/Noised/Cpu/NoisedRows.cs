namespace TopKLoss.Kernels;

/// <summary>
/// The per-row work of <see cref="NoisedTopKKernel"/> in the storage type T: per sample s the
/// k-th largest v_s of x_j + ε·z(row, j, s) and its index, in the order "value descending, index
/// ascending". A draw is z = Φ⁻¹(u) with u's leading 16 bits its bucket h (<see cref="NoiseStream"/>),
/// so Lower[h] ≤ z ≤ Upper[h] (<see cref="CoarseBounds"/>). For k ≤ <see cref="Selection.BufferLimit"/>
/// a row takes four steps, and of most draws only the bucket is ever generated:
/// <list type="number">
/// <item><b>Floor</b> (NoisedRows.Seeds.cs). 16 blocks of 8 columns with large x are drawn coarse
/// for every sample; the k-th largest of some of their lower values x_j + ε·Lower[h] is a floor
/// F_s ≤ v_s, and F = min_s F_s.</item>
/// <item><b>Column thresholds</b> (NoisedRows.Thresholds.cs). Per column the least bucket H_j whose
/// upper bound can reach F (a margin covers the rounding of x + ε·z), in column order.</item>
/// <item><b>Sweep</b> (NoisedRows.Candidates.cs). Every block is drawn coarse, two samples per
/// interleaved Philox call; each word holds the buckets of 32 consecutive columns and is compared
/// with their thresholds in one instruction: only draws with h ≥ H_j, a few per sample, become
/// candidates (compress stores). A draw that is not a candidate is below F.</item>
/// <item><b>Settle</b> (NoisedRows.Settle.cs). Per sample, candidates carry the interval
/// [x + ε·Lower[h], x + ε·Upper[h]]; with L and U the k-th largest lower and upper ends
/// (L ≤ v_s ≤ U), the candidates whose interval meets [L, U] are drawn exactly (fine word, Φ⁻¹).
/// Drawing only raises L and lowers U, so one round leaves every other interval wholly above U or
/// below L, and the k-th by value (exact or interval) is the exact answer.</item>
/// </list>
/// Rounding is monotone, so z ≤ Upper[h] gives fl(x + fl(ε·z)) ≤ fl(x + fl(ε·Upper[h])): the result
/// is bit-for-bit what drawing every normal gives (the argument: docs/derivations.md §7). Larger k,
/// rows with ±∞, or ε·z near overflow: every normal is drawn and sorted.
/// </summary>
internal static unsafe partial class NoisedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Group = NoiseStream.GroupSize;
    private const int GroupColumns = NoiseStream.GroupColumns;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint xPtr, long batch, int n, int k, T epsilon, int samples, NoiseStream noise,
        double[] values, int[] indices, bool[] nanRows)
    {
        CpuRows.For(batch, (long)n * samples / 4, 0, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end, _) =>
        {
            var scratch = cached is { } c && c.Fits(n, k, samples) ? c : cached = new Scratch(n, k, samples);
            for (long r = first; r < end; r++)
            {
                var x = new ReadOnlySpan<T>((T*)xPtr + r * n, n);
                var rowIndices = indices.AsSpan((int)(r * samples), samples);
                var kind = Classify(x, epsilon);
                if (kind == RowKind.NaN) { values[r] = double.NaN; nanRows[r] = true; rowIndices.Clear(); continue; }
                values[r] = epsilon == T.Zero ? Hard(x, k, scratch, rowIndices)
                    : kind == RowKind.Bounded && scratch.UseBuffer && Buffered(x, r, k, epsilon, samples, noise, scratch, rowIndices, out double value) ? value
                    : Sorted(x, r, k, epsilon, samples, noise, scratch, rowIndices);
            }
        });
    }

    /// <summary>This thread's scratch of the last call: rows are cut into many small ranges.</summary>
    [ThreadStatic] private static Scratch? cached;

    // The bound tables in T, read once (a generic accessor call per candidate would not inline).
    private static readonly T[] LowerTable = CoarseBounds.Lower<T>(), UpperTable = CoarseBounds.Upper<T>(),
        LowerCoarseTable = CoarseBounds.LowerCoarse<T>(), UpperCoarseTable = CoarseBounds.UpperCoarse<T>();

    private sealed class Scratch
    {
        private readonly (int N, int K, int Samples) shape;

        public bool Fits(int n, int k, int samples) => shape == (n, k, samples);

        public readonly bool UseBuffer;
        public readonly int Groups;
        public readonly int[] SeedList = new int[Group];
        public readonly T[] SeedTop = new T[Group];
        public readonly T[] SeedX = new T[GroupColumns], SeedLower = new T[GroupColumns];
        public readonly int[] SeedBuckets = new int[GroupColumns];
        public readonly T[] Floors;
        public readonly ushort[] Thresholds;
        public readonly T[] GroupMax = new T[32];
        public readonly (float Value, int Block)[] GroupBest;
        public readonly int[] Live;
        /// <summary>Whether candidates go to the 16-bit lists by compress stores (<see cref="VectorPath"/>), else to the 32-bit ones.</summary>
        public readonly bool Vector;
        public int Capacity = 128;
        /// <summary>Per sample, Capacity entries: the scalar path's lists, or the vector path's 16-bit ones (32 entries of slack); the other pair is empty.</summary>
        public int[] Columns = [], Buckets = [];
        public ushort[] Columns16 = [], Buckets16 = [];
        public readonly int[] Counts;
        public T[] Low = [], High = [];
        public int[] Index = [], Bucket = [];
        public readonly T[] TopValues;
        public readonly int[] TopIndices;
        /// <summary>Every draw of a sample and sort scratch, for <see cref="Sorted"/> only (large k, unbounded rows): made on first use.</summary>
        public SortScratch Sorting => sorting ??= new SortScratch(shape.N, Groups * GroupColumns);
        private SortScratch? sorting;

        public Scratch(int n, int k, int samples)
        {
            shape = (n, k, samples);
            UseBuffer = k <= Selection.BufferLimit;
            Groups = (n + GroupColumns - 1) / GroupColumns;
            Floors = new T[samples];
            Thresholds = new ushort[Groups * GroupColumns];
            GroupBest = new (float, int)[2 * Groups];
            Live = new int[Groups];
            Counts = new int[samples];
            Vector = VectorPath(n);
            AllocateLists(samples);
            TopValues = new T[k];
            TopIndices = new int[k];
        }

        /// <summary>Doubles the candidate capacity of every sample, keeping what is listed.</summary>
        public void Grow(int samples)
        {
            var (columns, buckets, columns16, buckets16, old) = (Columns, Buckets, Columns16, Buckets16, Capacity);
            Capacity *= 2;
            AllocateLists(samples);
            for (int q = 0; q < samples; q++)
                if (Vector)
                {
                    Array.Copy(columns16, q * old, Columns16, q * Capacity, Counts[q]);
                    Array.Copy(buckets16, q * old, Buckets16, q * Capacity, Counts[q]);
                }
                else
                {
                    Array.Copy(columns, q * old, Columns, q * Capacity, Counts[q]);
                    Array.Copy(buckets, q * old, Buckets, q * Capacity, Counts[q]);
                }
        }

        private void AllocateLists(int samples)
        {
            if (Vector) (Columns16, Buckets16) = (new ushort[samples * Capacity + 32], new ushort[samples * Capacity + 32]);
            else (Columns, Buckets) = (new int[samples * Capacity], new int[samples * Capacity]);
            (Low, High, Index, Bucket) = (new T[Capacity + 32], new T[Capacity + 32], new int[Capacity + 32], new int[Capacity + 32]);
        }
    }

    private sealed class SortScratch(int n, int padded)
    {
        public readonly T[] Normals = new T[padded], Perturbed = new T[n];
        public readonly int[] Columns = Enumerable.Range(0, n).ToArray(), Permutation = new int[n];
    }

    private enum RowKind { Bounded, Unbounded, NaN }

    /// <summary>NaN anywhere; else whether every |x| + 9ε is finite (no sum can overflow), which the bounds need.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static RowKind Classify(ReadOnlySpan<T> x, T epsilon)
    {
        var largest = Vector256<T>.Zero;
        int i = 0;
        for (; i + Vector256<T>.Count <= x.Length; i += Vector256<T>.Count)
        {
            var v = Vector256.Create(x.Slice(i, Vector256<T>.Count));
            if (!Vector256.EqualsAll(v, v)) return RowKind.NaN;
            largest = Vector256.Max(largest, Vector256.Abs(v));
        }
        T max = T.Zero;
        for (int lane = 0; lane < Vector256<T>.Count; lane++) max = T.Max(max, largest[lane]);
        for (; i < x.Length; i++)
        {
            if (T.IsNaN(x[i])) return RowKind.NaN;
            max = T.Max(max, T.Abs(x[i]));
        }
        return T.IsFinite(max + epsilon * T.CreateTruncating(9.0)) ? RowKind.Bounded : RowKind.Unbounded;
    }

    /// <summary>ε = 0: x + 0·z = x, so every sample picks the hard k-th largest (no noise drawn).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Hard(ReadOnlySpan<T> x, int k, Scratch s, Span<int> rowIndices)
    {
        var values = s.TopValues.AsSpan(0, k);
        var indices = s.TopIndices.AsSpan(0, k);
        int count = 0;
        for (int j = 0; j < x.Length; j++)
            if (count < k || x[j] > values[k - 1]) Selection.Offer(values, indices, ref count, x[j], j);
        rowIndices.Fill(indices[k - 1]);
        return double.CreateTruncating(values[k - 1]);
    }

    /// <summary>k ≤ <see cref="Selection.BufferLimit"/>: floor, thresholds, sweep, settle (see the class summary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Buffered(ReadOnlySpan<T> x, long row, int k, T epsilon, int samples, NoiseStream noise,
        Scratch s, Span<int> rowIndices, out double value)
    {
        value = 0;
        if (!Sweep(x, row, k, epsilon, samples, noise, s)) return false;
        bool vector = s.Vector;
        double sum = 0;
        for (int q = 0; q < samples; q++)
        {
            T v;
            int index;
            if (vector && k <= 16 && s.Counts[q] <= 16) { if (!SettleOneVector(x, row, q, k, epsilon, noise, s, out v, out index)) return false; }
            else if (!Settle(x, row, q, k, vector ? KeepVector(x, q, epsilon, s) : KeepListed(q, s), epsilon, noise, s, out v, out index)) return false;
            sum += double.CreateTruncating(v);
            rowIndices[q] = index;
        }
        value = sum / samples;
        return true;
    }

    /// <summary>Floors, column thresholds and every sample's candidate list; false when the floor is not finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Sweep(ReadOnlySpan<T> x, long row, int k, T epsilon, int samples, NoiseStream noise, Scratch s)
    {
        bool vector = s.Vector;
        ChooseSeeds(x, s);
        T floor = T.PositiveInfinity;
        for (int q = 0; q < samples; q += 2)
        {
            int other = Math.Min(q + 1, samples - 1);
            noise.CoarsePair(row, q, other, NoiseStream.Listed(s.SeedList, 0), out var a, out var b);
            s.Floors[q] = SeedFloor(a, k, epsilon, s);
            if (other != q) s.Floors[other] = SeedFloor(b, k, epsilon, s);
            floor = T.Min(floor, T.Min(s.Floors[q], s.Floors[other]));
        }
        if (!T.IsFinite(floor)) return false;
        int live = ColumnThresholds(x, floor, epsilon, s);
        s.Counts.AsSpan().Clear();
        var thresholds = MemoryMarshal.Cast<ushort, Vector512<ushort>>(s.Thresholds.AsSpan());
        for (int q = 0; q < samples; q += 2)
        {
            int other = Math.Min(q + 1, samples - 1);
            for (int g = 0; g < live; g++)
            {
                int group = s.Live[g];
                noise.CoarsePair(row, q, other, NoiseStream.Consecutive(group * Group), out var a, out var b);
                var (t0, t1, t2, t3) = (thresholds[4 * group], thresholds[4 * group + 1], thresholds[4 * group + 2], thresholds[4 * group + 3]);
                if (vector)
                {
                    CompressCandidates(a, t0, t1, t2, t3, group, q, samples, s);
                    if (other != q) CompressCandidates(b, t0, t1, t2, t3, group, other, samples, s);
                    continue;
                }
                ulong a0 = Reach(a.W0, t0), a1 = Reach(a.W1, t1), a2 = Reach(a.W2, t2), a3 = Reach(a.W3, t3);
                ulong b0 = Reach(b.W0, t0), b1 = Reach(b.W1, t1), b2 = Reach(b.W2, t2), b3 = Reach(b.W3, t3);
                if ((a0 | a1 | a2 | a3) != 0) Collect(a, a0 | a1 << 32, a2 | a3 << 32, group, q, x, epsilon, samples, s);
                if ((b0 | b1 | b2 | b3) != 0 && other != q) Collect(b, b0 | b1 << 32, b2 | b3 << 32, group, other, x, epsilon, samples, s);
            }
        }
        return true;
    }

    /// <summary>
    /// For tests: one row's per-sample floors, column thresholds (saturated at 2¹⁶ − 1) and the columns
    /// each sample keeps for settling (every column whose exact perturbed value reaches the sample's
    /// floor must be among them); null when the row takes another path.
    /// </summary>
    internal static (T[] Floors, ushort[] Thresholds, int[][] Kept)? CandidatesOf(ReadOnlySpan<T> x, long row, int k, T epsilon, int samples, NoiseStream noise)
    {
        var s = new Scratch(x.Length, k, samples);
        if (epsilon == T.Zero || Classify(x, epsilon) != RowKind.Bounded || !s.UseBuffer || !Sweep(x, row, k, epsilon, samples, noise, s)) return null;
        var kept = new int[samples][];
        for (int q = 0; q < samples; q++) kept[q] = s.Index.AsSpan(0, s.Vector ? KeepVector(x, q, epsilon, s) : KeepListed(q, s)).ToArray();
        return (s.Floors.ToArray(), s.Thresholds.AsSpan(0, x.Length).ToArray(), kept);
    }

    /// <summary>k > <see cref="Selection.BufferLimit"/> and unbounded rows: every normal of each sample, then a sort.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Sorted(ReadOnlySpan<T> x, long row, int k, T epsilon, int samples, NoiseStream noise,
        Scratch s, Span<int> rowIndices)
    {
        int n = x.Length;
        double sum = 0;
        for (int q = 0; q < samples; q++)
        {
            var sort = s.Sorting;
            noise.FillSample<T>(row, q, n, sort.Normals);
            for (int j = 0; j < n; j++) sort.Perturbed[j] = x[j] + epsilon * sort.Normals[j];
            var (value, index) = Selection.KthBySort(sort.Perturbed, 0, sort.Columns, n, k, sort.Permutation);
            sum += double.CreateTruncating(value);
            rowIndices[q] = index;
        }
        return sum / samples;
    }
}
