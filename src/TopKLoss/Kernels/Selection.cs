using System.Numerics;
using System.Runtime.CompilerServices;

namespace TopKLoss.Kernels;

/// <summary>
/// k-th largest entry with its index, in the order "value descending, then index ascending" —
/// the order of a stable descending sort, so among equal values the lowest index ranks first.
/// Two ways: a sorted k-buffer fed in ascending index order (O(n) for random data, as most
/// entries cost one comparison with the buffer's last value), and a full sort for large k.
/// </summary>
internal static class Selection
{
    /// <summary>Largest k served by the k-buffer; beyond it a sort is cheaper than O(n·k) shifting.</summary>
    public const int BufferLimit = 64;

    /// <summary>
    /// Offers (v, index) to a buffer (values, indices) holding <paramref name="count"/> entries of
    /// at most values.Length, kept in value-descending, index-ascending order (offers may come in
    /// any order; each index at most once).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Offer<T>(Span<T> values, Span<int> indices, ref int count, T v, int index) where T : IFloatingPointIeee754<T>
    {
        int k = values.Length, at;
        if (count == k)
        {
            if (!Before(v, index, values[k - 1], indices[k - 1])) return;
            at = k - 1;
        }
        else at = count++;
        while (at > 0 && Before(v, index, values[at - 1], indices[at - 1]))
        {
            values[at] = values[at - 1];
            indices[at] = indices[at - 1];
            at--;
        }
        values[at] = v;
        indices[at] = index;
    }

    /// <summary>Whether (v, i) ranks before (w, j): larger value, or equal value and lower index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Before<T>(T v, int i, T w, int j) where T : IFloatingPointIeee754<T> => v > w || (v == w && i < j);

    /// <summary>
    /// The k-th (1-based) in value-descending, index-ascending order of values[offset + i] with
    /// index indices[i], i &lt; count (indices distinct). Sorts a permutation: for the rare large k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (T Value, int Index) KthBySort<T>(T[] values, int offset, int[] indices, int count, int k, int[] permutation)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < count; i++) permutation[i] = i;
        Array.Sort(permutation, 0, count, Comparer<int>.Create((a, b) =>
        {
            int byValue = values[offset + b].CompareTo(values[offset + a]);
            return byValue != 0 ? byValue : indices[a].CompareTo(indices[b]);
        }));
        int p = permutation[k - 1];
        return (values[offset + p], indices[p]);
    }
}
