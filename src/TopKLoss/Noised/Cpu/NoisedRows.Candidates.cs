namespace TopKLoss.Kernels;

/// <summary>The sweep's candidate lists of <see cref="NoisedRows{T}"/>: draws whose bucket reaches the column's threshold.</summary>
internal static unsafe partial class NoisedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Bit p: bucket p of the word (column 32m + p of the group) reaches its column's threshold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Reach(Vector512<uint> word, Vector512<ushort> thresholds)
    {
        if (Vector128.IsHardwareAccelerated) return Vector512.GreaterThanOrEqual(word.AsUInt16(), thresholds).ExtractMostSignificantBits();
        // Without SIMD the vector compare's software fallback costs more than these 32 compares.
        ref ushort buckets = ref Unsafe.As<Vector512<uint>, ushort>(ref word), limits = ref Unsafe.As<Vector512<ushort>, ushort>(ref thresholds);
        ulong bits = 0;
        for (int p = 0; p < 32; p++) bits |= (ulong)(Unsafe.Add(ref buckets, p) >= Unsafe.Add(ref limits, p) ? 1 : 0) << p;
        return bits;
    }

    /// <summary>
    /// Lists the draws of a group whose bucket reaches the column's threshold, and whose coarse
    /// upper value x_j + ε·UpperCoarse[h >> 4] reaches the sample's own floor, as candidates of
    /// sample q: bit p of low (words 0, 1) and high (words 2, 3) is column 64·part + p of the group.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Collect(in Words16 w, ulong low, ulong high, int group, int q, ReadOnlySpan<T> x, T epsilon, int samples, Scratch s)
    {
        // the 64 words in place (W0..W3 are consecutive), not copied
        ref uint words = ref Unsafe.As<Words16, uint>(ref Unsafe.AsRef(in w));
        T floor = s.Floors[q];
        ref T xs = ref MemoryMarshal.GetReference(x);
        ref T upper = ref MemoryMarshal.GetArrayDataReference(UpperCoarseTable);
        int count = s.Counts[q];
        for (int part = 0; part < 2; part++)
            for (ulong reach = part == 0 ? low : high; reach != 0; reach &= reach - 1)
            {
                int within = 64 * part + BitOperations.TrailingZeroCount(reach), column = group * GroupColumns + within;
                if (column >= x.Length) break; // bits ascend with the column
                if (count == s.Capacity) { s.Counts[q] = count; s.Grow(samples); }
                // column 32m + 2i + h of the group: half h of word m, lane i
                int bucket = (int)NoiseStream.Bucket(Unsafe.Add(ref words, within / 32 * Group + within % 32 / 2), within % 2);
                // written whether or not it reaches the floor, kept by advancing the count: no branch
                // to mispredict on the coin flip that the floor test is for most draws
                int at = q * s.Capacity + count;
                (s.Columns[at], s.Buckets[at]) = (column, bucket);
                bool reaches = Unsafe.Add(ref xs, column) + epsilon * Unsafe.Add(ref upper, bucket >> 4) >= floor;
                count += Unsafe.As<bool, byte>(ref reaches);
            }
        s.Counts[q] = count;
    }

    /// <summary>The vector candidate path: AVX-512 VBMI2 compress stores, float, columns in 16 bits.</summary>
    private static bool VectorPath(int n) => typeof(T) == typeof(float) && n <= ushort.MaxValue + 1 && Avx512Vbmi2.IsSupported;

    /// <summary>Appends the buckets (and columns) of one group's words that reach their thresholds to sample q's 16-bit lists.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CompressCandidates(in Words16 w, Vector512<ushort> t0, Vector512<ushort> t1, Vector512<ushort> t2, Vector512<ushort> t3,
        int group, int q, int samples, Scratch s)
    {
        var r0 = Vector512.GreaterThanOrEqual(w.W0.AsUInt16(), t0);
        var r1 = Vector512.GreaterThanOrEqual(w.W1.AsUInt16(), t1);
        var r2 = Vector512.GreaterThanOrEqual(w.W2.AsUInt16(), t2);
        var r3 = Vector512.GreaterThanOrEqual(w.W3.AsUInt16(), t3);
        if ((r0.ExtractMostSignificantBits() | r1.ExtractMostSignificantBits() | r2.ExtractMostSignificantBits() | r3.ExtractMostSignificantBits()) == 0) return;
        if (s.Counts[q] + GroupColumns > s.Capacity) s.Grow(samples);
        int count = s.Counts[q];
        fixed (ushort* buckets = &s.Buckets16[q * s.Capacity], columns = &s.Columns16[q * s.Capacity])
        {
            var first = Vector512.Create((ushort)(group * GroupColumns)) + Vector512<ushort>.Indices;
            count += Compress(r0, w.W0, first, buckets + count, columns + count);
            count += Compress(r1, w.W1, first + Vector512.Create((ushort)32), buckets + count, columns + count);
            count += Compress(r2, w.W2, first + Vector512.Create((ushort)64), buckets + count, columns + count);
            count += Compress(r3, w.W3, first + Vector512.Create((ushort)96), buckets + count, columns + count);
        }
        s.Counts[q] = count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Compress(Vector512<ushort> reach, Vector512<uint> word, Vector512<ushort> columns, ushort* bucketOut, ushort* columnOut)
    {
        Avx512Vbmi2.CompressStore(bucketOut, reach, word.AsUInt16());
        Avx512Vbmi2.CompressStore(columnOut, reach, columns);
        return BitOperations.PopCount(reach.ExtractMostSignificantBits());
    }

    /// <summary>
    /// Sample q's 16-bit candidates whose coarse upper value x_j + ε·UpperCoarse[h >> 4] reaches its
    /// floor (and whose column is below n), 16 at a time, into s.Index and s.Bucket; returns how many.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int KeepVector(ReadOnlySpan<T> x, int q, T epsilon, Scratch s)
    {
        int listed = s.Counts[q], kept = 0;
        var floor = Vector512.Create(float.CreateTruncating(s.Floors[q]));
        var eps = Vector512.Create(float.CreateTruncating(epsilon));
        var n = Vector512.Create(x.Length);
        fixed (ushort* buckets = &s.Buckets16[q * s.Capacity], columns = &s.Columns16[q * s.Capacity])
        fixed (T* xs = x)
        fixed (T* upper = UpperCoarseTable)
        fixed (int* index = s.Index, bucketOut = s.Bucket)
            for (int c = 0; c < listed; c += 16)
            {
                var column = Avx512F.ConvertToVector512Int32(Vector256.Load(columns + c));
                var bucket = Avx512F.ConvertToVector512Int32(Vector256.Load(buckets + c));
                var valid = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(listed - c)) & Vector512.LessThan(column, n);
                column &= valid; // stale lanes past the list read column 0
                var high = Lanes16.Gather((float*)xs, column) + eps * Lanes16.Gather((float*)upper, Vector512.ShiftRightLogical(bucket, 4));
                var keep = Vector512.GreaterThanOrEqual(high, floor).AsInt32() & valid;
                Avx512F.CompressStore(index + kept, keep, column);
                Avx512F.CompressStore(bucketOut + kept, keep, bucket);
                kept += BitOperations.PopCount(keep.ExtractMostSignificantBits());
            }
        return kept;
    }

    /// <summary>The scalar path's lists (already filtered by the coarse floor in <see cref="Collect"/>) into s.Index and s.Bucket.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int KeepListed(int q, Scratch s)
    {
        int listed = s.Counts[q];
        Array.Copy(s.Columns, q * s.Capacity, s.Index, 0, listed);
        Array.Copy(s.Buckets, q * s.Capacity, s.Bucket, 0, listed);
        return listed;
    }
}
