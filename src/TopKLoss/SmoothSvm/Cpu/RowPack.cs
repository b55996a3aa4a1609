using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TopKLoss.Kernels;

/// <summary>
/// Moves rows of a contiguous CPU float32/float64 tensor into and out of a lane-interleaved pack
/// (element i of lane l at i·lanes + l), the layout of <see cref="PackedEsp{V,L}"/>.
/// </summary>
internal static unsafe class RowPack
{
    /// <summary>
    /// x[i·lanes + l] = x_{rows[l]}[start + i] for i &lt; length (rows of n elements) as float64,
    /// −∞ at start + i = skip[l] (if ≥ 0) and in lanes beyond rows.Length, so that their
    /// exponentials are 0 (exact: σ(e with a zero) = σ(e without it); a padded lane has σ_t = 0 for
    /// t ≥ 1 and is ignored). A window of a row gives the same values as the whole row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Load<V, L>(nint basePtr, bool isFloat, int n, int start, int length, ReadOnlySpan<int> rows, ReadOnlySpan<int> skip,
        Span<V> x) where V : struct where L : ILanes<V>
    {
        int lanes = L.Count;
        var flat = PackedEsp<V, L>.Lanes(x[..length]);
        int done = 0;
        if (typeof(V) == typeof(Vector512<double>) && Avx512F.IsSupported)
            done = Transposed8.Load(basePtr, isFloat, n, start, length, rows, MemoryMarshal.Cast<V, Vector512<double>>(x[..length]));
        for (int l = 0; l < lanes; l++)
        {
            if (l >= rows.Length)
            {
                for (int i = done; i < length; i++) flat[i * lanes + l] = double.NegativeInfinity;
                continue;
            }
            long offset = (long)rows[l] * n + start;
            if (isFloat)
            {
                var src = new ReadOnlySpan<float>((float*)basePtr + offset, length);
                for (int i = done; i < length; i++) flat[i * lanes + l] = src[i];
            }
            else
            {
                var src = new ReadOnlySpan<double>((double*)basePtr + offset, length);
                for (int i = done; i < length; i++) flat[i * lanes + l] = src[i];
            }
            int skipped = skip[l] - start;
            if (skip[l] >= 0 && skipped >= 0 && skipped < length) flat[skipped * lanes + l] = double.NegativeInfinity;
        }
    }

    /// <summary>e[i] = exp(x[i]·scale − shift) per lane (shift: one value per lane, 0 past its end); e may be x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Exp<V, L>(ReadOnlySpan<V> x, Span<V> e, double scale, ReadOnlySpan<double> shift) where V : struct where L : ILanes<V>
    {
        Span<double> shifts = stackalloc double[L.Count];
        shifts.Clear();
        shift.CopyTo(shifts);
        V scaleVector = L.Broadcast(scale), shiftVector = PackedEsp<V, L>.FromLanes(shifts);
        for (int i = 0; i < x.Length; i++) e[i] = L.Exp(L.Subtract(L.Multiply(x[i], scaleVector), shiftVector));
    }

    /// <summary>e[i] = source[i]^power per lane, by repeated squaring (2 ≤ power; <see cref="PackLayout"/> says when that stands for an exp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Power<V, L>(ReadOnlySpan<V> source, Span<V> e, int power) where V : struct where L : ILanes<V>
    {
        for (int i = 0; i < source.Length; i++)
        {
            V square = source[i], result = (power & 1) != 0 ? square : L.Broadcast(1);
            for (int rest = power >> 1; rest > 0; rest >>= 1)
            {
                square = L.Multiply(square, square);
                if ((rest & 1) != 0) result = L.Multiply(result, square);
            }
            e[i] = result;
        }
    }

    /// <summary>
    /// Writes lane l of <paramref name="e"/> (length elements) to row rows[l] from element start, for
    /// every row of the pack; with <paramref name="accumulate"/>, adds it to what the row holds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Store<V, L>(nint basePtr, bool isFloat, int n, int start, int length, ReadOnlySpan<int> rows, Span<V> e, bool accumulate = false)
        where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, done = 0;
        if (typeof(V) == typeof(Vector512<double>) && Avx512F.IsSupported && rows.Length == lanes)
            done = Transposed8.Store(basePtr, isFloat, n, start, length, rows, MemoryMarshal.Cast<V, Vector512<double>>(e[..length]), accumulate);
        var flat = PackedEsp<V, L>.Lanes(e[..length]);
        for (int l = 0; l < rows.Length; l++)
        {
            long offset = (long)rows[l] * n + start;
            if (isFloat)
            {
                var dst = new Span<float>((float*)basePtr + offset, length);
                if (accumulate) for (int i = done; i < length; i++) dst[i] = (float)(dst[i] + flat[i * lanes + l]);
                else for (int i = done; i < length; i++) dst[i] = (float)flat[i * lanes + l];
            }
            else
            {
                var dst = new Span<double>((double*)basePtr + offset, length);
                if (accumulate) for (int i = done; i < length; i++) dst[i] += flat[i * lanes + l];
                else for (int i = done; i < length; i++) dst[i] = flat[i * lanes + l];
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(rows, skips, shifts, scratch vectors) per pack of up to Count
    /// rows of <paramref name="index"/>, packs in parallel. <paramref name="skip"/>: the element
    /// each row leaves out (its label), or null for none. <paramref name="shift"/>: one array per
    /// member; the body gets member m's shifts of the pack's rows at [m·Count, m·Count + rows).
    /// </summary>
    public static void ForPacks<V, L>(int[] index, long[]? skip, double[][] shift, int n, long workPerRow, int vectorsPerPack,
        PackBody<V> body) where V : struct where L : ILanes<V>
    {
        int lanes = L.Count, count = index.Length, packs = (count + lanes - 1) / lanes, members = shift.Length;
        CpuRows.For(packs, lanes * workPerRow, vectorsPerPack * lanes, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end, scratch) =>
        {
            var vectors = MemoryMarshal.Cast<double, V>(scratch.AsSpan(0, vectorsPerPack * lanes));
            Span<int> skips = stackalloc int[lanes];
            Span<double> shifts = stackalloc double[members * lanes];
            for (long p = first; p < end; p++)
            {
                int offset = (int)p * lanes, size = Math.Min(lanes, count - offset);
                var pack = index.AsSpan(offset, size);
                if (size < lanes) shifts.Clear(); // padded lanes: shift 0
                for (int l = 0; l < size; l++)
                {
                    skips[l] = skip is null ? -1 : (int)skip[pack[l]];
                    for (int m = 0; m < members; m++) shifts[m * lanes + l] = shift[m][pack[l]];
                }
                body((int)p, pack, skips[..size], shifts, vectors);
            }
        });
    }

    /// <summary>Indices r with predicate(r), ascending: the rows that go into packs.</summary>
    public static int[] Where(long rows, Func<long, bool> predicate)
    {
        var list = new List<int>();
        for (long r = 0; r < rows; r++) if (predicate(r)) list.Add((int)r);
        return list.ToArray();
    }
}

/// <summary>Work on one pack: its number, its rows, their skipped elements and shifts, and scratch vectors.</summary>
internal delegate void PackBody<V>(int packIndex, ReadOnlySpan<int> pack, ReadOnlySpan<int> skip, ReadOnlySpan<double> shift, Span<V> vectors) where V : struct;
