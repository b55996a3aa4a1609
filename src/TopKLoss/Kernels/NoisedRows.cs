using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TopKLoss.Kernels;

/// <summary>
/// The per-row work of <see cref="NoisedTopKKernel"/> in the storage type T: per sample s the
/// k-th largest of x_j + ε·z(row, j, s) and its index, in the order "value descending, index
/// ascending". For k ≤ <see cref="Selection.BufferLimit"/> a row takes two exact passes:
/// <list type="number">
/// <item><b>Seed.</b> The 16 (32 for k ≥ 60) Philox blocks (4 columns each, see
/// <see cref="NoiseStream"/>) with the largest max x_j are drawn whole for every sample; their
/// k-th largest perturbed value t_s is found by vector maxima and the entries ≥ t_s fill the
/// sample's k-buffer. Its last value can only rise later, so floor = min_s t_s bounds every
/// final k-th from below.</item>
/// <item><b>Sweep.</b> Blocks whose every column has x_j + ε·R below the floor (R =
/// <see cref="BoxMuller.Bound"/>) are not drawn at all. The others are drawn 16 at a time, for two
/// samples in one interleaved Philox call (<see cref="NoiseStream.GroupPair"/>), and each
/// normal is bounded from above from its raw words (<see cref="PairBounds"/>, a few vector
/// operations): a pair goes on to log, sqrt and sincos (<see cref="BoxMuller.Pairs8(Vector256{uint}, Vector256{uint}, Span{float}, Span{float})"/>,
/// eight at a time) and to the buffer only if x_j + ε·bound reaches the sample's current k-th,
/// which rises as the sweep goes.</item>
/// </list>
/// Rounding is monotone, so z ≤ bound gives fl(x + fl(ε·z)) ≤ fl(x + fl(ε·bound)): an entry that is
/// not offered is certified below the k-th it would have to beat, and nothing differs from drawing
/// every normal. In float with k ≤ 8 a sample's buffer is one vector of <see cref="PackedTopK"/>
/// keys (branch-free insertion). Larger k: every normal is drawn and sorted.
/// </summary>
internal static unsafe class NoisedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Group = NoiseStream.GroupSize;
    private const int PerBlock = NoiseStream.PerBlock;

    /// <summary>Seed blocks: whole groups holding at least k + 4 columns (all blocks of a short row).</summary>
    private static int SeedBlockCount(int blocks, int k) => Math.Min(blocks, RoundUp(k / PerBlock + 2));

    public static void Run(nint xPtr, long batch, int n, int k, T epsilon, int samples, NoiseStream noise,
        double[] values, int[] indices, bool[] nanRows)
    {
        CpuRows.For(batch, (long)n * samples * 2, 0, (first, end, _) =>
        {
            var scratch = cached is { } c && c.Fits(n, k, samples) ? c : cached = new Scratch(n, k, samples);
            for (long r = first; r < end; r++)
            {
                var x = new ReadOnlySpan<T>((T*)xPtr + r * n, n);
                var rowIndices = indices.AsSpan((int)(r * samples), samples);
                if (HasNaN(x)) { values[r] = double.NaN; nanRows[r] = true; rowIndices.Clear(); continue; }
                values[r] = epsilon == T.Zero ? Hard(x, k, scratch, rowIndices)
                    : scratch.UseBuffer ? Buffered(x, r, k, epsilon, samples, noise, scratch, rowIndices)
                    : Sorted(x, r, k, epsilon, samples, noise, scratch, rowIndices);
            }
        });
    }

    /// <summary>This thread's scratch of the last call: rows are cut into many small ranges.</summary>
    [ThreadStatic] private static Scratch? cached;

    private sealed class Scratch
    {
        private readonly (int N, int K, int Samples) shape;

        public bool Fits(int n, int k, int samples) => shape == (n, k, samples);

        public readonly bool UseBuffer;
        public readonly int Blocks;
        public readonly T[] BlockMax, Candidates;
        public readonly int[] SeedBlocks, SeedColumns;
        public readonly T[] SeedX, SeedV, SeedV2;
        public readonly bool[] Seeded;
        public readonly uint[] Words = new uint[4 * Group];
        public readonly int[] Live;
        public readonly T[] XA0, XA1, XB0, XB1;
        public readonly T[] Normals = new T[Group * PerBlock];
        public readonly T[] TopValues;
        public readonly int[] TopIndices;
        /// <summary>float and k ≤ 8: the buffers are <see cref="PackedTopK"/> keys, 8 per sample, instead of TopValues/TopIndices.</summary>
        public readonly bool Packed;
        public readonly ulong[] Keys;
        public readonly int[] Counts;
        public readonly T[] Thresholds;
        public readonly int[] ThresholdIndices;
        public readonly Pending Pairs = new();
        // Large k only: one sample's normals and perturbed values, and sort scratch.
        public readonly T[] SampleNormals = [];
        public readonly T[] Perturbed = [];
        public readonly int[] Columns = [], Permutation = [];

        public Scratch(int n, int k, int samples)
        {
            shape = (n, k, samples);
            UseBuffer = k <= Selection.BufferLimit;
            Blocks = (n + PerBlock - 1) / PerBlock;
            int padded = RoundUp(Blocks);
            int seed = RoundUp(SeedBlockCount(Blocks, k));
            BlockMax = new T[padded];
            Candidates = new T[padded + Group];
            SeedBlocks = new int[seed];
            SeedColumns = new int[seed * PerBlock];
            SeedX = new T[seed * PerBlock];
            SeedV = new T[seed * PerBlock];
            SeedV2 = new T[seed * PerBlock];
            Seeded = new bool[Blocks];
            Live = new int[padded];
            (XA0, XA1, XB0, XB1) = (new T[padded], new T[padded], new T[padded], new T[padded]);
            TopValues = new T[samples * k];
            TopIndices = new int[samples * k];
            Packed = typeof(T) == typeof(float) && k <= PackedTopK.Capacity;
            Keys = new ulong[Packed ? samples * PackedTopK.Capacity : 0];
            Counts = new int[samples];
            Thresholds = new T[samples];
            ThresholdIndices = new int[samples];
            if (!UseBuffer)
            {
                SampleNormals = new T[padded * PerBlock];
                Perturbed = new T[n];
                Columns = Enumerable.Range(0, n).ToArray();
                Permutation = new int[n];
            }
        }
    }

    private static int RoundUp(int count) => (count + Group - 1) / Group * Group;

    /// <summary>ε = 0: x + 0·z = x, so every sample picks the hard k-th largest (no noise drawn).</summary>
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

    /// <summary>k ≤ <see cref="Selection.BufferLimit"/>: seed, then sweep (see the class summary).</summary>
    private static double Buffered(ReadOnlySpan<T> x, long row, int k, T epsilon, int samples, NoiseStream noise,
        Scratch s, Span<int> rowIndices)
    {
        s.Counts.AsSpan().Clear();
        s.Keys.AsSpan().Clear();
        s.Thresholds.AsSpan().Fill(T.NegativeInfinity);
        int seeded = SeedBlocks(x, k, s);
        T floor = T.PositiveInfinity;
        for (int q = 0; q < samples; q += 2) floor = T.Min(floor, SeedPair(row, q, Math.Min(q + 1, samples - 1), k, epsilon, noise, s, seeded));
        int live = LiveBlocks(x, epsilon, floor, s);
        // Samples two at a time: the pair shares the blocks' counters and x, and its two Philox
        // chains interleave. With B odd the last sample is drawn twice and its copy ignored.
        for (int q = 0; q < samples; q += 2)
        {
            int other = Math.Min(q + 1, samples - 1);
            for (int g = 0; g < live; g += Group)
            {
                var blocks = g + Group <= live && s.Live[g + Group - 1] - s.Live[g] == Group - 1
                    ? NoiseStream.Consecutive(s.Live[g]) : NoiseStream.Listed(s.Live, g);
                noise.GroupPair(row, q, other, blocks, out var a, out var b);
                uint a0 = Passing(PairBounds.Of(a.W0, a.W1), s.XA0, s.XA1, g, epsilon, s.Thresholds[q]);
                uint a2 = Passing(PairBounds.Of(a.W2, a.W3), s.XB0, s.XB1, g, epsilon, s.Thresholds[q]);
                uint b0 = 0, b2 = 0;
                if (other != q)
                {
                    b0 = Passing(PairBounds.Of(b.W0, b.W1), s.XA0, s.XA1, g, epsilon, s.Thresholds[other]);
                    b2 = Passing(PairBounds.Of(b.W2, b.W3), s.XB0, s.XB1, g, epsilon, s.Thresholds[other]);
                }
                if ((a0 | a2) != 0) PushPassing(a, a0, a2, g, q, x, k, epsilon, s);
                if ((b0 | b2) != 0) PushPassing(b, b0, b2, g, other, x, k, epsilon, s);
            }
            s.Pairs.Flush(x, k, epsilon, s);
        }
        double sum = 0;
        for (int q = 0; q < samples; q++)
        {
            if (s.Packed)
            {
                ulong key = s.Keys[q * PackedTopK.Capacity + k - 1];
                sum += PackedTopK.Value(key);
                rowIndices[q] = PackedTopK.Index(key);
                continue;
            }
            sum += double.CreateTruncating(s.TopValues[q * k + k - 1]);
            rowIndices[q] = s.TopIndices[q * k + k - 1];
        }
        return sum / samples;
    }

    /// <summary>Queues the Box–Muller pairs of a group that passed (bit i: block s.Live[g + i]) for sample q.</summary>
    private static void PushPassing(in Words16 w, uint pass0, uint pass2, int g, int q, ReadOnlySpan<T> x, int k, T epsilon, Scratch s)
    {
        var words = s.Words.AsSpan();
        w.W0.CopyTo(words);
        w.W1.CopyTo(words[Group..]);
        w.W2.CopyTo(words[(2 * Group)..]);
        w.W3.CopyTo(words[(3 * Group)..]);
        for (; pass0 != 0; pass0 &= pass0 - 1)
        {
            int lane = BitOperations.TrailingZeroCount(pass0);
            s.Pairs.Push(words[lane], words[Group + lane], PerBlock * s.Live[g + lane], q, x, k, epsilon, s);
        }
        for (; pass2 != 0; pass2 &= pass2 - 1)
        {
            int lane = BitOperations.TrailingZeroCount(pass2);
            s.Pairs.Push(words[2 * Group + lane], words[3 * Group + lane], PerBlock * s.Live[g + lane] + 2, q, x, k, epsilon, s);
        }
    }

    /// <summary>
    /// The first <see cref="SeedBlockCount"/> blocks (ascending) whose maximum x reaches the
    /// SeedBlockCount-th largest block maximum (any choice is exact; high ones give a high floor), marked in s.Seeded, their columns and x in s.SeedColumns and s.SeedX (−1 and −∞
    /// for padding past n or past the last block); returns how many blocks.
    /// </summary>
    private static int SeedBlocks(ReadOnlySpan<T> x, int k, Scratch s)
    {
        int n = x.Length, count = SeedBlockCount(s.Blocks, k), found = 0;
        BlockMaxima(x, s.BlockMax);
        // The count-th largest block maximum by vector maxima, then the blocks reaching it in index order.
        var maxima = s.BlockMax.AsSpan(0, RoundUp(s.Blocks));
        maxima[s.Blocks..].Fill(T.NegativeInfinity);
        T cut = KthLargest(Candidates(maxima, count, s.Candidates), count);
        var blocks = s.SeedBlocks.AsSpan(0, count);
        for (int b = 0; b < s.Blocks && found < count; b++)
            if (s.BlockMax[b] >= cut) blocks[found++] = b;
        s.Seeded.AsSpan().Clear();
        s.SeedColumns.AsSpan().Fill(-1);
        s.SeedX.AsSpan().Fill(T.NegativeInfinity);
        for (int i = 0; i < count; i++)
        {
            int b = blocks[i];
            s.Seeded[b] = true;
            for (int lane = 0, j = PerBlock * b; lane < PerBlock && j < n; lane++, j++)
            {
                s.SeedColumns[PerBlock * i + lane] = j;
                s.SeedX[PerBlock * i + lane] = x[j];
            }
        }
        s.SeedBlocks.AsSpan(count).Fill(blocks[count - 1]);
        return count;
    }

    /// <summary>
    /// The block maxima that can be among the <paramref name="count"/> largest, in
    /// <paramref name="buffer"/> (maxima.Length + 16) padded with −∞ to whole vectors: float,
    /// count ≤ 16, AVX-512. Each of the 16 lanes of the maxima's vectors has a largest value, from
    /// 16 distinct blocks, so the count-th largest is at least the smallest of them, c; the maxima
    /// ≥ c hold every value above the count-th, and their count-th largest is the same (a short
    /// list for <see cref="KthLargest"/> instead of all). Elsewhere all maxima.
    /// </summary>
    internal static ReadOnlySpan<T> Candidates(ReadOnlySpan<T> maxima, int count, Span<T> buffer)
    {
        if (typeof(T) != typeof(float) || count > Group || maxima.Length <= Group || !Avx512F.IsSupported) return maxima;
        var values = MemoryMarshal.Cast<T, float>(maxima);
        var output = MemoryMarshal.Cast<T, float>(buffer);
        var leaders = Vector512.Create(values[..Group]);
        for (int v = Group; v < values.Length; v += Group) leaders = Vector512.Max(leaders, Vector512.Create(values.Slice(v, Group)));
        var half = Vector256.Min(leaders.GetLower(), leaders.GetUpper());
        var quarter = Vector128.Min(half.GetLower(), half.GetUpper());
        var floor = Vector512.Create(MathF.Min(MathF.Min(quarter[0], quarter[1]), MathF.Min(quarter[2], quarter[3])));
        var none = Vector512.Create(float.NegativeInfinity);
        int found = 0;
        for (int v = 0; v < values.Length; v += Group)
        {
            var m = Vector512.Create(values.Slice(v, Group));
            var keep = Vector512.GreaterThanOrEqual(m, floor);
            Avx512F.Compress(none, keep, m).CopyTo(output[found..]); // the register form: the store form is slow on AMD
            found += BitOperations.PopCount(keep.ExtractMostSignificantBits());
        }
        int length = RoundUp(found);
        output[found..length].Fill(float.NegativeInfinity);
        return buffer[..length];
    }

    /// <summary>
    /// maxima[b] = max of x[4b .. 4b+3] (no NaN here). Whole vectors fold each block's four lanes by
    /// two in-vector swaps: about 4x faster than a scalar running maximum.
    /// </summary>
    internal static void BlockMaxima(ReadOnlySpan<T> x, Span<T> maxima)
    {
        int lanes = Vector512<T>.Count, b = 0, j = 0;
        Span<T> folded = stackalloc T[lanes];
        for (; j + lanes <= x.Length; j += lanes)
        {
            FoldBlocks(Vector512.Create(x.Slice(j, lanes))).CopyTo(folded);
            for (int lane = 0; lane < lanes; lane += PerBlock) maxima[b++] = folded[lane];
        }
        for (; j < x.Length; j += PerBlock)
        {
            T max = x[j];
            for (int i = j + 1; i < Math.Min(x.Length, j + PerBlock); i++) max = T.Max(max, x[i]);
            maxima[b++] = max;
        }
    }

    /// <summary>Every lane of each aligned group of four lanes set to the group's maximum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> FoldBlocks(Vector512<T> v)
    {
        if (typeof(T) == typeof(float))
        {
            var f = v.As<T, float>();
            f = Vector512.MaxNative(f, Vector512.Shuffle(f, Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14)));
            f = Vector512.MaxNative(f, Vector512.Shuffle(f, Vector512.Create(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)));
            return f.As<float, T>();
        }
        var d = v.As<T, double>();
        d = Vector512.MaxNative(d, Vector512.Shuffle(d, Vector512.Create(1L, 0, 3, 2, 5, 4, 7, 6)));
        d = Vector512.MaxNative(d, Vector512.Shuffle(d, Vector512.Create(2L, 3, 0, 1, 6, 7, 4, 5)));
        return d.As<double, T>();
    }

    /// <summary>
    /// Draws the seed blocks for samples q and other (two interleaved Philox chains, as in the
    /// sweep; with B odd the last sample is drawn twice and its copy ignored) and starts both
    /// buffers (<see cref="StartSample"/>); returns the lower of the two start thresholds.
    /// </summary>
    private static T SeedPair(long row, int q, int other, int k, T epsilon, NoiseStream noise, Scratch s, int seeded)
    {
        int length = RoundUp(seeded) * PerBlock;
        var first = s.SeedV.AsSpan(0, length);
        var second = s.SeedV2.AsSpan(0, length);
        for (int g = 0; g < seeded; g += Group)
        {
            noise.GroupPair(row, q, other, NoiseStream.Listed(s.SeedBlocks, g), out var a, out var b);
            SeedValues(a, g, epsilon, s, first);
            if (other != q) SeedValues(b, g, epsilon, s, second);
        }
        T threshold = StartSample(q, k, first, s);
        return other == q ? threshold : T.Min(threshold, StartSample(other, k, second, s));
    }

    /// <summary>values[4g + c] = x + ε·z of the seed columns of group g (seed list order), from its Philox words.</summary>
    private static void SeedValues(in Words16 w, int g, T epsilon, Scratch s, Span<T> values)
    {
        int lanes = Vector512<T>.Count;
        BoxMuller.Normals16(w.W0, w.W1, w.W2, w.W3, s.Normals.AsSpan());
        for (int t = 0; t < Group * PerBlock; t += lanes)
            (Vector512.Create<T>(s.SeedX.AsSpan(g * PerBlock + t, lanes)) + Vector512.Create(epsilon) * Vector512.Create<T>(s.Normals.AsSpan(t, lanes)))
                .CopyTo(values.Slice(g * PerBlock + t, lanes));
    }

    /// <summary>
    /// t = the k-th largest of sample q's seed values (with multiplicity); the entries ≥ t (at least
    /// k) are offered to its buffer; returns t.
    /// </summary>
    private static T StartSample(int q, int k, Span<T> values, Scratch s)
    {
        int lanes = Vector512<T>.Count;
        T threshold = KthLargest(values, k);
        var at = Vector512.Create(threshold);
        for (int t = 0; t < values.Length; t += lanes)
            for (ulong mask = Vector512.GreaterThanOrEqual(Vector512.Create<T>(values.Slice(t, lanes)), at).ExtractMostSignificantBits();
                 mask != 0; mask &= mask - 1)
            {
                int i = t + BitOperations.TrailingZeroCount(mask);
                if (s.SeedColumns[i] >= 0) Offer(s, k, q, values[i], s.SeedColumns[i]);
            }
        return threshold;
    }

    /// <summary>
    /// The k-th largest of values (length a multiple of the vector width, no NaN), counting equal
    /// values separately: k rounds at most of a vector maximum over the values below the previous
    /// round's (read-only: no stores for the next round to wait on).
    /// </summary>
    internal static T KthLargest(ReadOnlySpan<T> values, int k)
    {
        int lanes = Vector512<T>.Count;
        var none = Vector512.Create(T.NegativeInfinity);
        var below = Vector512.Create(T.PositiveInfinity);
        while (true)
        {
            var max = none;
            for (int t = 0; t < values.Length; t += lanes)
            {
                var v = Vector512.Create(values.Slice(t, lanes));
                max = Vector512.Max(max, Vector512.ConditionalSelect(Vector512.LessThan(v, below), v, none));
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

    private static T HorizontalMax(Vector512<T> v)
    {
        var half = Vector256.Max(v.GetLower(), v.GetUpper());
        var quarter = Vector128.Max(half.GetLower(), half.GetUpper());
        T max = quarter.GetElement(0);
        for (int i = 1; i < Vector128<T>.Count; i++) max = T.Max(max, quarter.GetElement(i));
        return max;
    }

    /// <summary>
    /// Blocks not seeded whose largest x can reach the floor, fl(max x + fl(ε·R)) ≥ floor (every
    /// normal is at most R), ascending, with the x of their four columns (−∞ past n) in list
    /// order; padded to a whole group by repeating the last block with x = −∞. Returns how many.
    /// </summary>
    private static int LiveBlocks(ReadOnlySpan<T> x, T epsilon, T floor, Scratch s)
    {
        T reach = epsilon * T.CreateTruncating(BoxMuller.Bound);
        int n = x.Length, live = 0, b = 0;
        // Whole blocks without a branch: every block is written at the next free place, which
        // moves on only if the block is live (live ≤ b, so the write stays inside the arrays).
        for (int full = n / PerBlock; b < full; b++)
        {
            int j = PerBlock * b;
            (s.Live[live], s.XA0[live], s.XA1[live], s.XB0[live], s.XB1[live]) = (b, x[j], x[j + 1], x[j + 2], x[j + 3]);
            live += (int)Bit(!s.Seeded[b] & s.BlockMax[b] + reach >= floor);
        }
        if (b < s.Blocks && !s.Seeded[b] && s.BlockMax[b] + reach >= floor) // the last, partial block
        {
            int j = PerBlock * b;
            (s.Live[live], s.XA0[live]) = (b, x[j]);
            s.XA1[live] = j + 1 < n ? x[j + 1] : T.NegativeInfinity;
            s.XB0[live] = j + 2 < n ? x[j + 2] : T.NegativeInfinity;
            s.XB1[live++] = T.NegativeInfinity;
        }
        int padded = RoundUp(live);
        s.Live.AsSpan(live, padded - live).Fill(live > 0 ? s.Live[live - 1] : 0);
        s.XA0.AsSpan(live, padded - live).Fill(T.NegativeInfinity);
        s.XA1.AsSpan(live, padded - live).Fill(T.NegativeInfinity);
        s.XB0.AsSpan(live, padded - live).Fill(T.NegativeInfinity);
        s.XB1.AsSpan(live, padded - live).Fill(T.NegativeInfinity);
        return live;
    }

    /// <summary>
    /// Lanes of a group whose cos or sin normal might reach the threshold: x + ε·bound ≥ threshold,
    /// in T arithmetic without fused multiply-add, so that monotone rounding makes it exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Passing((Vector512<float> Cos, Vector512<float> Sin) bound, T[] xCos, T[] xSin, int g, T epsilon, T threshold)
    {
        if (typeof(T) == typeof(float))
        {
            var e = Vector512.Create(epsilon).As<T, float>();
            var t = Vector512.Create(threshold).As<T, float>();
            var cos = Vector512.Create<T>(xCos.AsSpan(g, Group)).As<T, float>() + e * bound.Cos;
            var sin = Vector512.Create<T>(xSin.AsSpan(g, Group)).As<T, float>() + e * bound.Sin;
            return (uint)(Vector512.GreaterThanOrEqual(cos, t) | Vector512.GreaterThanOrEqual(sin, t)).ExtractMostSignificantBits();
        }
        return PassingHalf(Vector512.WidenLower(bound.Cos), Vector512.WidenLower(bound.Sin), xCos, xSin, g, epsilon, threshold)
             | PassingHalf(Vector512.WidenUpper(bound.Cos), Vector512.WidenUpper(bound.Sin), xCos, xSin, g + Group / 2, epsilon, threshold) << (Group / 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint PassingHalf(Vector512<double> cosBound, Vector512<double> sinBound, T[] xCos, T[] xSin, int at, T epsilon, T threshold)
    {
        var e = Vector512.Create(epsilon).As<T, double>();
        var t = Vector512.Create(threshold).As<T, double>();
        var cos = Vector512.Create<T>(xCos.AsSpan(at, Group / 2)).As<T, double>() + e * cosBound;
        var sin = Vector512.Create<T>(xSin.AsSpan(at, Group / 2)).As<T, double>() + e * sinBound;
        return (uint)(Vector512.GreaterThanOrEqual(cos, t) | Vector512.GreaterThanOrEqual(sin, t)).ExtractMostSignificantBits();
    }

    /// <summary>Offers v (column j) to sample q's buffer and refreshes its threshold once the buffer is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Offer(Scratch s, int k, int q, T v, int j)
    {
        if (s.Counts[q] == k && !Selection.Before(v, j, s.Thresholds[q], s.ThresholdIndices[q])) return;
        if (s.Packed) { OfferPacked(s, k, q, Unsafe.As<T, float>(ref v), j); return; }
        var topValues = s.TopValues.AsSpan(q * k, k);
        var topIndices = s.TopIndices.AsSpan(q * k, k);
        Selection.Offer(topValues, topIndices, ref s.Counts[q], v, j);
        if (s.Counts[q] == k) { s.Thresholds[q] = topValues[k - 1]; s.ThresholdIndices[q] = topIndices[k - 1]; }
    }

    /// <summary>Offer for float and k ≤ 8 (<see cref="PackedTopK"/>); the caller has checked that (v, j) enters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OfferPacked(Scratch s, int k, int q, float v, int j)
    {
        ref var keys = ref Unsafe.As<ulong, Vector512<ulong>>(ref s.Keys[q * PackedTopK.Capacity]);
        var inserted = PackedTopK.Insert(keys, PackedTopK.Key(v, j));
        keys = inserted;
        ref int count = ref s.Counts[q];
        if (count < k && ++count < k) return;
        ulong last = Vector512.Shuffle(inserted, Vector512.Create((ulong)(k - 1))).ToScalar();
        float threshold = PackedTopK.Value(last);
        s.Thresholds[q] = Unsafe.As<float, T>(ref threshold);
        s.ThresholdIndices[q] = PackedTopK.Index(last);
    }

    /// <summary>
    /// Box–Muller pairs, of any sample, waiting to be transformed eight at a time (<see cref="BoxMuller.Pairs8(Vector256{uint}, Vector256{uint}, Span{float}, Span{float})"/>,
    /// lane for lane the arithmetic of a whole block), each with the column of its cosine normal
    /// (the sine belongs to the next column).
    /// </summary>
    private sealed class Pending
    {
        private readonly uint[] radius = new uint[8], angle = new uint[8];
        private readonly int[] column = new int[8], sample = new int[8];
        private readonly T[] cos = new T[8], sin = new T[8];
        private int count;

        public void Push(uint radiusWord, uint angleWord, int cosColumn, int q, ReadOnlySpan<T> x, int k, T epsilon, Scratch s)
        {
            radius[count] = radiusWord;
            angle[count] = angleWord;
            sample[count] = q;
            column[count++] = cosColumn;
            if (count == 8) Flush(x, k, epsilon, s);
        }

        public void Flush(ReadOnlySpan<T> x, int k, T epsilon, Scratch s)
        {
            if (count == 0) return;
            var r = Vector256.Create<uint>(radius);
            var a = Vector256.Create<uint>(angle);
            if (typeof(T) == typeof(float)) BoxMuller.Pairs8(r, a, MemoryMarshal.Cast<T, float>(cos.AsSpan()), MemoryMarshal.Cast<T, float>(sin.AsSpan()));
            else BoxMuller.Pairs8(r, a, MemoryMarshal.Cast<T, double>(cos.AsSpan()), MemoryMarshal.Cast<T, double>(sin.AsSpan()));
            // The perturbed values first, and a mask of those reaching their sample's k-th as it was
            // before this flush (it only rises; columns past n never reach), so that the half that falls
            // short never enters the branchy insertion.
            uint reaching = 0;
            for (int i = 0; i < count; i++)
            {
                int j = column[i];
                T threshold = s.Thresholds[sample[i]];
                if (j < x.Length)
                {
                    cos[i] = x[j] + epsilon * cos[i];
                    reaching |= Bit(cos[i] >= threshold) << (2 * i);
                }
                if (j + 1 < x.Length)
                {
                    sin[i] = x[j + 1] + epsilon * sin[i];
                    reaching |= Bit(sin[i] >= threshold) << (2 * i + 1);
                }
            }
            for (; reaching != 0; reaching &= reaching - 1)
            {
                int bit = BitOperations.TrailingZeroCount(reaching), i = bit >> 1;
                if ((bit & 1) == 0) Offer(s, k, sample[i], cos[i], column[i]);
                else Offer(s, k, sample[i], sin[i], column[i] + 1);
            }
            count = 0;
        }
    }

    /// <summary>1 for true, 0 for false, without a branch (the JIT turns some conditionals into jumps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Bit(bool value) => Unsafe.As<bool, byte>(ref value);

    /// <summary>k > <see cref="Selection.BufferLimit"/>: every normal of each sample, then a sort.</summary>
    private static double Sorted(ReadOnlySpan<T> x, long row, int k, T epsilon, int samples, NoiseStream noise,
        Scratch s, Span<int> rowIndices)
    {
        int n = x.Length;
        double sum = 0;
        for (int q = 0; q < samples; q++)
        {
            noise.FillSample<T>(row, q, s.Blocks, s.SampleNormals);
            for (int j = 0; j < n; j++) s.Perturbed[j] = x[j] + epsilon * s.SampleNormals[j];
            var (value, index) = Selection.KthBySort(s.Perturbed, 0, s.Columns, n, k, s.Permutation);
            sum += double.CreateTruncating(value);
            rowIndices[q] = index;
        }
        return sum / samples;
    }

    private static bool HasNaN(ReadOnlySpan<T> x)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<T>.Count <= x.Length; i += Vector256<T>.Count)
            {
                var v = Vector256.Create(x.Slice(i, Vector256<T>.Count));
                if (!Vector256.EqualsAll(v, v)) return true;
            }
        for (; i < x.Length; i++) if (T.IsNaN(x[i])) return true;
        return false;
    }
}
