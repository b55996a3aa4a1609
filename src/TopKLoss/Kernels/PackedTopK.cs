using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TopKLoss.Kernels;

/// <summary>
/// A float k-buffer (k ≤ 8) as eight 64-bit keys in one vector, kept in descending order, so that
/// an insertion is a few vector operations instead of a loop whose exit the branch predictor
/// misses. The key orders entries exactly as <see cref="Selection"/> does, value descending then
/// index ascending:
/// <code>
/// key(v, j) = order(v + 0) · 2³² + (2³² − 1 − j),   order(b) = b ⊕ 0x8000_0000 if b ≥ 0 else ¬b
/// </code>
/// (v + 0 turns −0 into +0, which compare equal; order maps float bits to unsigned integers
/// monotonically; no NaN reaches a buffer). Empty lanes hold 0, below every key.
/// </summary>
internal static class PackedTopK
{
    public const int Capacity = 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Key(float value, int index)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value + 0f);
        uint order = (int)bits < 0 ? ~bits : bits | 0x8000_0000u;
        return (ulong)order << 32 | ~(uint)index;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Value(ulong key)
    {
        uint order = (uint)(key >> 32);
        return BitConverter.UInt32BitsToSingle((int)order < 0 ? order & 0x7FFF_FFFFu : ~order);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Index(ulong key) => (int)~(uint)key;

    /// <summary>The keys with <paramref name="key"/> inserted in order (the last lane drops out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Insert(Vector512<ulong> keys, ulong key)
    {
        var broadcast = Vector512.Create(key);
        var before = Vector512.GreaterThan(keys, broadcast); // a prefix, the buffer being sorted
        int position = BitOperations.PopCount(before.ExtractMostSignificantBits());
        var shifted = Vector512.Shuffle(keys, Vector512.Create(0UL, 0, 1, 2, 3, 4, 5, 6)); // lane i ← lane i − 1
        var at = Vector512.Equals(Vector512<ulong>.Indices, Vector512.Create((ulong)position));
        return Vector512.ConditionalSelect(before, keys, Vector512.ConditionalSelect(at, broadcast, shifted));
    }
}
