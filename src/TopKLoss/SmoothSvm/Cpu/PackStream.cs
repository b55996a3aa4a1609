namespace TopKLoss.Kernels;

/// <summary>
/// A pack's exponentials through <see cref="PackedEsp{V,L}"/> in parts of <see cref="Part"/>
/// columns: 8 lanes × 2048 × 8 B = 128 KiB, which stay in L2 between the exponentials and the
/// recursion, where a whole row of 100,000 would go through memory (6.4 MB per pack). Parts start
/// at multiples of <see cref="PackedEsp{V,L}.Block"/>, so they give the values of one pass.
/// </summary>
internal static class PackStream
{
    public const int Part = 2048;

    /// <summary>Vectors of exponentials a pack needs in scratch when they are streamed.</summary>
    public static int PartLength(int n) => Math.Min(n, Part);

    /// <summary>
    /// sigma = σ(e) of the pack's exponentials (<see cref="RowPack.LoadExp"/> with
    /// <paramref name="scale"/>) and, when not empty, its checkpoints. With e of n vectors the
    /// exponentials stay there (for a backward); with fewer, e is a part buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<V, L>(nint src, bool isFloat, int n, ReadOnlySpan<int> pack, ReadOnlySpan<int> skip,
        ReadOnlySpan<double> shift, double scale, Span<V> e, Span<V> sigma, Span<V> checkpoints)
        where V : struct where L : ILanes<V>
    {
        bool whole = e.Length >= n;
        int K = sigma.Length - 1;
        PackedEsp<V, L>.Start(sigma);
        for (int start = 0; start < n; start += Part)
        {
            int length = Math.Min(Part, n - start);
            var values = whole ? e.Slice(start, length) : e[..length];
            RowPack.LoadExp<V, L>(src, isFloat, n, start, length, pack, skip, shift, scale, values);
            PackedEsp<V, L>.Continue(values, sigma, checkpoints.IsEmpty ? default : checkpoints[(start / PackedEsp<V, L>.Block * K)..]);
        }
    }

    /// <summary>
    /// The reverse sweep (<see cref="PackedEsp{V,L}.Reverse"/>, adjoint consumed) part by part from the
    /// last, each part's gradient written to the pack's rows of dst; lane l's gradient at column
    /// skip[l] is set to <paramref name="atSkip"/>[l] when given. <paramref name="loaded"/>: e holds
    /// the n exponentials already; otherwise e is a part buffer and they are computed again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Reverse<V, L>(nint src, nint dst, bool isFloat, int n, ReadOnlySpan<int> pack, ReadOnlySpan<int> skip,
        ReadOnlySpan<double> shift, double scale, Span<V> e, bool loaded, Span<V> adjoint, ReadOnlySpan<V> checkpoints,
        Span<V> scratch, ReadOnlySpan<double> atSkip) where V : struct where L : ILanes<V>
    {
        int K = adjoint.Length - 1, lanes = L.Count;
        for (int start = (n - 1) / Part * Part; start >= 0; start -= Part)
        {
            int length = Math.Min(Part, n - start);
            var values = loaded ? e.Slice(start, length) : e[..length];
            if (!loaded) RowPack.LoadExp<V, L>(src, isFloat, n, start, length, pack, skip, shift, scale, values);
            PackedEsp<V, L>.Reverse(values, adjoint, checkpoints[(start / PackedEsp<V, L>.Block * K)..], scratch);
            var gradient = PackedEsp<V, L>.Lanes(values);
            for (int l = 0; l < atSkip.Length; l++)
                if (skip[l] >= start && skip[l] < start + length) gradient[(skip[l] - start) * lanes + l] = atSkip[l];
            RowPack.Store<V, L>(dst, isFloat, n, start, length, pack, values);
        }
    }
}
