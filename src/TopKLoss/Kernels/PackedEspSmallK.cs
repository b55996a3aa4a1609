using System.Runtime.CompilerServices;

namespace TopKLoss.Kernels;

/// <summary>
/// <see cref="PackedEsp{V,L}"/>'s recursions for K ≤ 8 with σ and the adjoint held in registers:
/// the general code keeps them in memory, and for small K its inner loops are mostly loop
/// overhead and store-to-load latency. Degrees above K are padded with zeros (adjoint) or
/// computed and discarded (σ), so every σ_t, t ≤ K, and every gradient comes from the same
/// fused multiply-adds in the same order as the general code: the results are bit-identical.
/// </summary>
internal static class PackedEspSmallK<V, L> where V : struct where L : ILanes<V>
{
    public const int MaxK = 8;

    /// <summary>As <see cref="PackedEsp{V,L}.Forward"/>, for sigma.Length − 1 ≤ <see cref="MaxK"/>.</summary>
    public static void Forward(ReadOnlySpan<V> e, Span<V> sigma, Span<V> checkpoints)
    {
        int K = sigma.Length - 1, n = e.Length, block = PackedEsp<V, L>.Block;
        V zero = L.Broadcast(0), one = L.Broadcast(1);
        V s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero, s6 = zero, s7 = zero, s8 = zero;
        bool save = !checkpoints.IsEmpty;
        int i = 0;
        for (; i + 1 < n; i += 2)
        {
            if (save && i % block == 0) Save(checkpoints.Slice(i / block * K, K), one, s1, s2, s3, s4, s5, s6, s7);
            V a = e[i], b = e[i + 1];
            V sum = L.Add(a, b), product = L.Multiply(a, b);
            s8 = L.Fma(product, s6, L.Fma(sum, s7, s8));
            s7 = L.Fma(product, s5, L.Fma(sum, s6, s7));
            s6 = L.Fma(product, s4, L.Fma(sum, s5, s6));
            s5 = L.Fma(product, s3, L.Fma(sum, s4, s5));
            s4 = L.Fma(product, s2, L.Fma(sum, s3, s4));
            s3 = L.Fma(product, s1, L.Fma(sum, s2, s3));
            s2 = L.Fma(product, one, L.Fma(sum, s1, s2));
            s1 = L.Add(s1, sum);
        }
        if (i < n)
        {
            if (save && i % block == 0) Save(checkpoints.Slice(i / block * K, K), one, s1, s2, s3, s4, s5, s6, s7);
            V ei = e[i];
            s8 = L.Fma(ei, s7, s8); s7 = L.Fma(ei, s6, s7); s6 = L.Fma(ei, s5, s6); s5 = L.Fma(ei, s4, s5);
            s4 = L.Fma(ei, s3, s4); s3 = L.Fma(ei, s2, s3); s2 = L.Fma(ei, s1, s2); s1 = L.Fma(ei, one, s1);
        }
        Save(sigma, one, s1, s2, s3, s4, s5, s6, s7);
        if (K == 8) sigma[8] = s8;
    }

    /// <summary>As <see cref="PackedEsp{V,L}.Reverse"/>, for adjoint.Length − 1 ≤ <see cref="MaxK"/>.</summary>
    public static void Reverse(Span<V> e, ReadOnlySpan<V> adjoint, ReadOnlySpan<V> checkpoints, Span<V> states)
    {
        int K = adjoint.Length - 1, n = e.Length, block = PackedEsp<V, L>.Block;
        V zero = L.Broadcast(0);
        var w = adjoint[1..];
        V a1 = Pick(w, 0, zero), a2 = Pick(w, 1, zero), a3 = Pick(w, 2, zero), a4 = Pick(w, 3, zero);
        V a5 = Pick(w, 4, zero), a6 = Pick(w, 5, zero), a7 = Pick(w, 6, zero), a8 = Pick(w, 7, zero);
        for (int start = (n - 1) / block * block; start >= 0; start -= block)
        {
            int length = Math.Min(block, n - start);
            // The prefix states inside this block, from its checkpoint (states j·K .. j·K + K − 1).
            var checkpoint = checkpoints.Slice(start / block * K, K);
            V p0 = Pick(checkpoint, 0, zero), p1 = Pick(checkpoint, 1, zero), p2 = Pick(checkpoint, 2, zero), p3 = Pick(checkpoint, 3, zero);
            V p4 = Pick(checkpoint, 4, zero), p5 = Pick(checkpoint, 5, zero), p6 = Pick(checkpoint, 6, zero), p7 = Pick(checkpoint, 7, zero);
            checkpoint.CopyTo(states[..K]);
            for (int j = 1; j < length; j++)
            {
                V ej = e[start + j - 1];
                p7 = L.Fma(ej, p6, p7); p6 = L.Fma(ej, p5, p6); p5 = L.Fma(ej, p4, p5); p4 = L.Fma(ej, p3, p4); p3 = L.Fma(ej, p2, p3);
                p2 = L.Fma(ej, p1, p2); p1 = L.Fma(ej, p0, p1);
                Save(states.Slice(j * K, K), p0, p1, p2, p3, p4, p5, p6, p7);
            }
            for (int j = length - 1; j >= 0; j--)
            {
                ReadOnlySpan<V> before = states.Slice(j * K, K);
                V ei = e[start + j];
                V slope = L.Fma(a1, Pick(before, 0, zero), zero), slope2 = L.Fma(a2, Pick(before, 1, zero), zero);
                slope = L.Fma(a3, Pick(before, 2, zero), slope); slope2 = L.Fma(a4, Pick(before, 3, zero), slope2);
                slope = L.Fma(a5, Pick(before, 4, zero), slope); slope2 = L.Fma(a6, Pick(before, 5, zero), slope2);
                slope = L.Fma(a7, Pick(before, 6, zero), slope); slope2 = L.Fma(a8, Pick(before, 7, zero), slope2);
                slope = L.Add(slope, slope2);
                a1 = L.Fma(ei, a2, a1); a2 = L.Fma(ei, a3, a2); a3 = L.Fma(ei, a4, a3); a4 = L.Fma(ei, a5, a4);
                a5 = L.Fma(ei, a6, a5); a6 = L.Fma(ei, a7, a6); a7 = L.Fma(ei, a8, a7);
                e[start + j] = L.Multiply(ei, slope);
            }
        }
    }

    /// <summary>values[t], or zero past the end (a padded degree).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V Pick(ReadOnlySpan<V> values, int t, V zero) => t < values.Length ? values[t] : zero;

    /// <summary>
    /// destination[t] = (v0, v1, …)[t] for t &lt; destination.Length (≤ 8). Inlined and without a
    /// temporary array: a call inside the loops would force every vector register to memory (all
    /// of them are caller-saved), which made this path slower than the in-memory one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Save(Span<V> destination, V v0, V v1, V v2, V v3, V v4, V v5, V v6, V v7)
    {
        int length = destination.Length;
        if (length > 0) destination[0] = v0;
        if (length > 1) destination[1] = v1;
        if (length > 2) destination[2] = v2;
        if (length > 3) destination[3] = v3;
        if (length > 4) destination[4] = v4;
        if (length > 5) destination[5] = v5;
        if (length > 6) destination[6] = v6;
        if (length > 7) destination[7] = v7;
    }
}
