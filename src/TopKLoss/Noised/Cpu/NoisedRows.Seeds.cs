namespace TopKLoss.Kernels;

/// <summary>The floor step of <see cref="NoisedRows{T}"/>: seed blocks and each sample's floor F_s.</summary>
internal static unsafe partial class NoisedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// 16 seed blocks with large max x in s.SeedList — in float rows of 8 groups or more the best two
    /// blocks of each of the 8 groups with the largest maxima (vector work only), else the 16 blocks
    /// with the largest maxima (ties: lower block first; all blocks of a short row) — and their x in
    /// s.SeedX laid out like their buckets: entry (2m + h)·16 + ℓ is the column of word m, half h of
    /// block SeedList[ℓ] (−∞ past n or for padding lanes). Any choice is exact; high x gives a high floor.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ChooseSeeds(ReadOnlySpan<T> x, Scratch s)
    {
        int n = x.Length, count = 0, lanes = Vector512<T>.Count;
        var max = s.GroupMax.AsSpan();
        for (int g = 0; g < s.Groups; g++)
        {
            int first = g * GroupColumns;
            if (first + GroupColumns <= n) // column 32m + r of the group: the max over m, per r, by vectors
                for (int r = 0; r < 32; r += lanes)
                    Vector512.MaxNative(Vector512.MaxNative(Vector512.Create(x.Slice(first + r, lanes)), Vector512.Create(x.Slice(first + 32 + r, lanes))),
                        Vector512.MaxNative(Vector512.Create(x.Slice(first + 64 + r, lanes)), Vector512.Create(x.Slice(first + 96 + r, lanes)))).CopyTo(max[r..]);
            else
                for (int r = 0; r < 32; r++)
                {
                    T m = T.NegativeInfinity;
                    for (int j = first + r; j < Math.Min(n, first + GroupColumns); j += 32) m = T.Max(m, x[j]);
                    max[r] = m;
                }
            if (typeof(T) == typeof(float) && s.Groups >= SeedGroups)
            {
                TopTwoBlocks(s, g);
                continue;
            }
            for (int lane = 0; lane < Group; lane++)
            {
                T blockMax = T.Max(max[2 * lane], max[2 * lane + 1]);
                if (T.IsNegativeInfinity(blockMax) && first + 2 * lane >= n) break; // past n
                if (count < Group || blockMax > s.SeedTop[Group - 1])
                    Selection.Offer(s.SeedTop.AsSpan(), s.SeedList.AsSpan(), ref count, blockMax, g * Group + lane);
            }
        }
        if (typeof(T) == typeof(float) && s.Groups >= SeedGroups)
        {
            // the best two blocks of each of the SeedGroups groups with the largest maxima
            Span<float> groupTop = stackalloc float[SeedGroups];
            Span<int> groups = stackalloc int[SeedGroups];
            int held = 0;
            for (int g = 0; g < s.Groups; g++)
                if (held < SeedGroups || s.GroupBest[2 * g].Value > groupTop[SeedGroups - 1])
                    Selection.Offer(groupTop, groups, ref held, s.GroupBest[2 * g].Value, g);
            for (int i = 0; i < SeedGroups; i++)
                (s.SeedList[2 * i], s.SeedList[2 * i + 1]) = (s.GroupBest[2 * groups[i]].Block, s.GroupBest[2 * groups[i] + 1].Block);
            count = Group;
        }
        if (typeof(T) == typeof(float) && count == Group && Avx2.IsSupported)
        {
            // lane ℓ, word (m, h): column 128·(block / 16) + 2·(block mod 16) + 32m + h, gathered
            var block = Vector512.Create<int>(s.SeedList);
            var start = (block >> 4) * GroupColumns + (block & Vector512.Create(Group - 1)) * 2;
            fixed (T* xs = x, seedX = s.SeedX)
                for (int word = 0; word < 2 * 4; word++)
                {
                    var column = start + Vector512.Create(32 * (word / 2) + word % 2);
                    var inside = Vector512.LessThan(column, Vector512.Create(n));
                    var v = Lanes16.Gather((float*)xs, Vector512.MinNative(column, Vector512.Create(n - 1)));
                    Vector512.ConditionalSelect(inside.AsSingle(), v, Vector512.Create(float.NegativeInfinity)).Store((float*)seedX + word * Group);
                }
            return;
        }
        for (int lane = 0; lane < Group; lane++)
        {
            int block = s.SeedList[lane];
            for (int word = 0; word < 2 * 4; word++)
            {
                int column = block / Group * GroupColumns + 32 * (word / 2) + 2 * (block % Group) + word % 2;
                s.SeedX[word * Group + lane] = lane < count && column < n ? x[column] : T.NegativeInfinity;
            }
        }
        for (int lane = count; lane < Group; lane++) s.SeedList[lane] = s.SeedList[0];
    }

    /// <summary>Rows of at least this many groups take the best two blocks of this many groups as seeds (float).</summary>
    private const int SeedGroups = Group / 2;

    /// <summary>
    /// The two largest block maxima of group g and their blocks into s.GroupBest[2g], [2g + 1], from
    /// s.GroupMax (column 32m + r of the group: the max over m, per r): a block's max is that of its
    /// pair (r = 2i, 2i + 1). Float only: 16 blocks are one vector.
    /// </summary>
    private static readonly Vector512<int>[] LanePartners = [.. new[] { 8, 4, 2, 1 }.Select(d => Vector512<int>.Indices ^ Vector512.Create(d))];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TopTwoBlocks(Scratch s, int g)
    {
        var max = MemoryMarshal.Cast<T, float>(s.GroupMax.AsSpan());
        if (!Vector512.IsHardwareAccelerated)
        {
            TopTwoBlocksScalar(max, s, g);
            return;
        }
        Vector512<float> low = Vector512.Create(max), high = Vector512.Create(max[16..]);
        var swap = Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
        low = Vector512.MaxNative(low, Vector512.Shuffle(low, swap));
        high = Vector512.MaxNative(high, Vector512.Shuffle(high, swap));
        var blocks = Avx512F.PermuteVar16x32x2(low, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), high);
        for (int rank = 0; rank < 2; rank++)
        {
            var best = blocks;
            foreach (var partner in LanePartners) best = Vector512.MaxNative(best, Vector512.Shuffle(best, partner)); // the max in every lane
            int lane = BitOperations.TrailingZeroCount(Vector512.Equals(blocks, best).ExtractMostSignificantBits());
            s.GroupBest[2 * g + rank] = (best.ToScalar(), g * Group + lane);
            blocks = Vector512.ConditionalSelect(Vector512.Equals(Vector512<int>.Indices, Vector512.Create(lane)).AsSingle(), Vector512.Create(float.NegativeInfinity), blocks);
        }
    }

    /// <summary>
    /// <see cref="TopTwoBlocks"/> without 512-bit vectors: the same two blocks (largest maxima, the
    /// lower block first among equal maxima), found in one pass over the 16 block maxima.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TopTwoBlocksScalar(ReadOnlySpan<float> max, Scratch s, int g)
    {
        (float Value, int Lane) best = (float.NegativeInfinity, -1), second = (float.NegativeInfinity, -1);
        for (int lane = 0; lane < Group; lane++)
        {
            float blockMax = Math.Max(max[2 * lane], max[2 * lane + 1]);
            if (best.Lane < 0 || blockMax > best.Value) (second, best) = (best, (blockMax, lane));
            else if (second.Lane < 0 || blockMax > second.Value) second = (blockMax, lane);
        }
        s.GroupBest[2 * g] = (best.Value, g * Group + best.Lane);
        s.GroupBest[2 * g + 1] = (second.Value, g * Group + second.Lane);
    }

    /// <summary>A floor on the sample's k-th: the k-th largest lower value x_j + ε·LowerCoarse[h >> 4] of the seeds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T SeedFloor(in Words16 w, int k, T epsilon, Scratch s)
    {
        if (typeof(T) == typeof(float) && k <= 16 && Avx2.IsSupported) return SeedFloorInRegisters(w, k, float.CreateTruncating(epsilon), s);
        if (!Vector128.IsHardwareAccelerated) return SeedFloorScalar(w, k, epsilon, s);
        var buckets = s.SeedBuckets.AsSpan();
        for (int m = 0; m < 4; m++)
        {
            var word = w[m];
            ((word & Vector512.Create(0xFFFFu)) >> 4).AsInt32().CopyTo(buckets[(2 * m * Group)..]);
            (word >> 20).AsInt32().CopyTo(buckets[((2 * m + 1) * Group)..]);
        }
        int lanes = Vector512<T>.Count;
        var eps = Vector512.Create(epsilon);
        var (first, second) = (Vector512.Create(T.NegativeInfinity), Vector512.Create(T.NegativeInfinity));
        fixed (T* lower = LowerCoarseTable)
            for (int i = 0; i < GroupColumns; i += lanes)
            {
                var v = Vector512.Create(s.SeedX.AsSpan(i, lanes)) + eps * Gather(lower, buckets[i..]);
                v.CopyTo(s.SeedLower.AsSpan(i));
                // per lane position, the two largest over the 128 / lanes vectors
                (first, second) = (Vector512.MaxNative(first, v), Vector512.MaxNative(second, Vector512.MinNative(first, v)));
            }
        if (k > lanes) return KthLargest(s.SeedLower, k);
        // The k-th largest of the lanes' top two is a subset's k-th, so it is at most the seeds' k-th.
        first.CopyTo(s.SeedLower.AsSpan());
        second.CopyTo(s.SeedLower.AsSpan(lanes));
        return KthLargest(s.SeedLower.AsSpan(0, 2 * lanes), k);
    }

    /// <summary>
    /// <see cref="SeedFloor"/> without SIMD: the k-th largest of all 128 seed lower values, one by one
    /// (entry (2m + h)·16 + ℓ is half h of word m, lane ℓ, as in s.SeedX).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T SeedFloorScalar(in Words16 w, int k, T epsilon, Scratch s)
    {
        ref uint words = ref Unsafe.As<Words16, uint>(ref Unsafe.AsRef(in w));
        var lower = LowerCoarseTable;
        for (int m = 0; m < 4; m++)
            for (int lane = 0; lane < Group; lane++)
            {
                uint word = Unsafe.Add(ref words, m * Group + lane);
                s.SeedLower[2 * m * Group + lane] = s.SeedX[2 * m * Group + lane] + epsilon * lower[(word & 0xFFFF) >> 4];
                s.SeedLower[(2 * m + 1) * Group + lane] = s.SeedX[(2 * m + 1) * Group + lane] + epsilon * lower[word >> 20];
            }
        return KthLargestScalar(s.SeedLower, k);
    }

    /// <summary>
    /// <see cref="SeedFloor"/> for float and k ≤ 16 without leaving registers: the k-th largest of the
    /// 16 lane maxima (the maxima are a subset of the seeds' lower values, so their k-th largest is
    /// at most the seeds' k-th).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T SeedFloorInRegisters(in Words16 w, int k, float epsilon, Scratch s)
    {
        var eps = Vector512.Create(epsilon);
        var max = Vector512.Create(float.NegativeInfinity);
        fixed (T* lowerT = LowerCoarseTable)
        fixed (T* seedX = s.SeedX)
            for (int m = 0; m < 4; m++)
            {
                var word = w[m];
                for (int half = 0; half < 2; half++)
                {
                    var index = (half == 0 ? (word & Vector512.Create(0xFFFFu)) >> 4 : word >> 20).AsInt32();
                    max = Vector512.MaxNative(max, Vector512.Load((float*)seedX + (2 * m + half) * Group) + eps * Lanes16.Gather((float*)lowerT, index));
                }
            }
        return T.CreateTruncating(Sort16.Descending(max).GetElement(k - 1));
    }

    /// <summary>table[index[i]] for the first Vector512&lt;T&gt;.Count indices.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Gather(T* table, ReadOnlySpan<int> index)
    {
        if (Avx2.IsSupported)
        {
            if (typeof(T) == typeof(float)) return Lanes16.Gather((float*)table, Vector512.Create(index)).As<float, T>();
            return Vector512.Create(Avx2.GatherVector256((double*)table, Vector128.Create(index), 8),
                Avx2.GatherVector256((double*)table, Vector128.Create(index[4..]), 8)).As<double, T>();
        }
        Span<T> values = stackalloc T[Vector512<T>.Count];
        for (int i = 0; i < values.Length; i++) values[i] = table[index[i]];
        return Vector512.Create<T>(values);
    }
}
