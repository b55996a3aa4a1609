namespace TopKLoss.Kernels;

/// <summary>
/// A pack's exponentials through <see cref="PackedEsp{V,L}"/> in parts of <see cref="Part"/>
/// columns: 8 lanes × 2048 × 8 B = 128 KiB, which stay in L2 between the exponentials and the
/// recursion, where a whole row of 100,000 would go through memory (6.4 MB per pack). Parts start
/// at multiples of <see cref="PackedEsp{V,L}.Block"/>, so they give the values of one pass. Every
/// member of the pack's <see cref="PackLayout"/> is computed in the same pass over the parts: a
/// part of the scores is read once, whatever the number of members.
/// </summary>
internal static class PackStream
{
    public const int Part = 2048;

    /// <summary>Vectors of exponentials a pack needs in scratch when they are streamed.</summary>
    public static int PartLength(int n) => Math.Min(n, Part);

    /// <summary>
    /// Every member's σ (and, when its layout records them, checkpoints) of the pack's exponentials
    /// e_m = exp(x·scale_m − shift_m) (<see cref="Exponentials"/>; member m's shifts at shift[m·lanes ..]). A member whose e holds n vectors keeps its
    /// exponentials there (for a backward); otherwise e is a part buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<V, L>(nint src, bool isFloat, ReadOnlySpan<int> pack, ReadOnlySpan<int> skip, ReadOnlySpan<double> shift,
        PackBuffers<V> buffers) where V : struct where L : ILanes<V>
    {
        var layout = buffers.Layout;
        int n = layout.N, members = layout.Members;
        for (int m = 0; m < members; m++) PackedEsp<V, L>.Start(buffers.Sigma(m));
        for (int start = 0; start < n; start += Part)
        {
            int length = Math.Min(Part, n - start);
            Exponentials<V, L>(src, isFloat, pack, skip, shift, buffers, start, length);
            for (int m = 0; m < members; m++)
            {
                var checkpoints = buffers.Checkpoints(m);
                PackedEsp<V, L>.Continue(Columns(buffers.E(m), n, start, length), buffers.Sigma(m),
                    checkpoints.IsEmpty ? default : checkpoints[(start / PackedEsp<V, L>.Block * layout.Degree(m))..]);
            }
        }
    }

    /// <summary>
    /// The reverse sweep (<see cref="PackedEsp{V,L}.Reverse"/>, every member's adjoint consumed)
    /// part by part from the last; the members' gradients are summed (in member order) and each
    /// part's sum written to the pack's rows of dst, or added to them with
    /// <paramref name="accumulate"/>. Lane l's gradient at column skip[l] is set to
    /// <paramref name="atSkip"/>[l] when given. <paramref name="loaded"/>: every member's e holds its
    /// n exponentials already; otherwise e is a part buffer and they are computed again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Reverse<V, L>(nint src, nint dst, bool isFloat, ReadOnlySpan<int> pack, ReadOnlySpan<int> skip, ReadOnlySpan<double> shift,
        PackBuffers<V> buffers, bool loaded, ReadOnlySpan<double> atSkip, bool accumulate) where V : struct where L : ILanes<V>
    {
        var layout = buffers.Layout;
        int n = layout.N, members = layout.Members, lanes = L.Count;
        for (int start = (n - 1) / Part * Part; start >= 0; start -= Part)
        {
            int length = Math.Min(Part, n - start);
            if (!loaded) Exponentials<V, L>(src, isFloat, pack, skip, shift, buffers, start, length);
            Span<V> sum = default;
            for (int m = 0; m < members; m++)
            {
                var values = Columns(buffers.E(m), n, start, length);
                PackedEsp<V, L>.Reverse(values, buffers.Adjoint(m), buffers.Checkpoints(m)[(start / PackedEsp<V, L>.Block * layout.Degree(m))..], buffers.Block);
                if (m == 0) sum = values;
                else for (int i = 0; i < length; i++) sum[i] = L.Add(sum[i], values[i]);
            }
            var gradient = PackedEsp<V, L>.Lanes(sum);
            for (int l = 0; l < atSkip.Length; l++)
                if (skip[l] >= start && skip[l] < start + length) gradient[(skip[l] - start) * lanes + l] = atSkip[l];
            RowPack.Store<V, L>(dst, isFloat, n, start, length, pack, sum, accumulate);
        }
    }

    /// <summary>
    /// Every member's exponentials of the columns [start, start + length): the scores read (and
    /// transposed) once, into x, or straight into e when there is one member; then e_m = exp(x·scale_m − shift_m),
    /// or a power of another member's (<see cref="PackLayout"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Exponentials<V, L>(nint src, bool isFloat, ReadOnlySpan<int> pack, ReadOnlySpan<int> skip, ReadOnlySpan<double> shift,
        PackBuffers<V> buffers, int start, int length) where V : struct where L : ILanes<V>
    {
        var layout = buffers.Layout;
        int n = layout.N, members = layout.Members, lanes = L.Count;
        var x = members > 1 ? buffers.X[..length] : Columns(buffers.E(0), n, start, length);
        RowPack.Load<V, L>(src, isFloat, n, start, length, pack, skip, x);
        for (int m = 0; m < members; m++)
            if (layout.Source(m).Member < 0)
                RowPack.Exp<V, L>(x, Columns(buffers.E(m), n, start, length), layout.Scale(m), shift.Slice(m * lanes, lanes));
        for (int m = 0; m < members; m++)
            if (layout.Source(m) is ({ } from, var power) && from >= 0)
                RowPack.Power<V, L>(Columns(buffers.E(from), n, start, length), Columns(buffers.E(m), n, start, length), power);
    }

    /// <summary>The columns [start, start + length) of a member's exponentials: its slice when e holds the whole row, else the part buffer.</summary>
    private static Span<V> Columns<V>(Span<V> e, int n, int start, int length) => e.Length >= n ? e.Slice(start, length) : e[..length];
}
