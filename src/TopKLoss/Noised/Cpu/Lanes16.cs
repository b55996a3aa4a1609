namespace TopKLoss.Kernels;

/// <summary>
/// The 16-lane operations of the noised kernel that need an instruction set beyond the portable
/// Vector512 API, each with one dispatcher: AVX-512 (one instruction), AVX2 (two 8-lane halves),
/// else lane by lane. The kernel's 16-lane layout (<see cref="NoiseStream"/>: one Philox word of 16
/// blocks holds 32 columns) is the same on every CPU; only the instructions differ.
/// </summary>
internal static unsafe class Lanes16
{
    /// <summary>
    /// Stores the lanes of <paramref name="values"/> whose <paramref name="keep"/> lane is all ones,
    /// in lane order, at <paramref name="destination"/>; returns how many. AVX2 writes whole 8-lane
    /// halves (the lanes past the count are scratch), so the destination needs 8 lanes of slack.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compress(int* destination, Vector512<int> keep, Vector512<int> values)
    {
        if (Avx512F.IsSupported)
        {
            Avx512F.CompressStore(destination, keep, values);
            return BitOperations.PopCount(keep.ExtractMostSignificantBits());
        }
        if (Avx2.IsSupported)
        {
            int low = Compress8(destination, keep.GetLower(), values.GetLower());
            return low + Compress8(destination + low, keep.GetUpper(), values.GetUpper());
        }
        int count = 0;
        for (int lane = 0; lane < 16; lane++)
            if (keep.GetElement(lane) != 0) destination[count++] = values.GetElement(lane);
        return count;
    }

    /// <summary><see cref="Compress(int*, Vector512{int}, Vector512{int})"/> of float lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compress(float* destination, Vector512<int> keep, Vector512<float> values) =>
        Compress((int*)destination, keep, values.AsInt32());

    /// <summary>AVX2: one vpermd by the mask's entry in <see cref="CompressPermutations"/>, one store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Compress8(int* destination, Vector256<int> keep, Vector256<int> values)
    {
        uint mask = keep.ExtractMostSignificantBits();
        fixed (int* permutations = CompressPermutations)
            Avx2.PermuteVar8x32(values, Vector256.Load(permutations + 8 * mask)).Store(destination);
        return BitOperations.PopCount(mask);
    }

    /// <summary>For each 8-bit mask, the lanes it keeps, in order, then zeros (256 × 8 entries, 8 KiB).</summary>
    private static readonly int[] CompressPermutations = MakePermutations();

    private static int[] MakePermutations()
    {
        var table = new int[256 * 8];
        for (int mask = 0; mask < 256; mask++)
        {
            int at = 0;
            for (int lane = 0; lane < 8; lane++) if ((mask >> lane & 1) != 0) table[8 * mask + at++] = lane;
        }
        return table;
    }

    /// <summary>table[index[i]] for the 16 lanes (AVX2 gathers of 8; else lane by lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Gather(float* table, Vector512<int> index)
    {
        if (Avx2.IsSupported)
            return Vector512.Create(Avx2.GatherVector256(table, index.GetLower(), 4), Avx2.GatherVector256(table, index.GetUpper(), 4));
        Span<float> values = stackalloc float[16];
        for (int lane = 0; lane < 16; lane++) values[lane] = table[index.GetElement(lane)];
        return Vector512.Create<float>(values);
    }
}
