using System.Runtime.InteropServices;

namespace TopKLoss.Kernels;

/// <summary>
/// Elementary symmetric polynomials in rescaled linear space for a pack of rows, one row per SIMD
/// lane: <c>e[i]</c> holds element i of every row of the pack (a lane that must skip an element,
/// e.g. the label, holds 0 there, which is exact: σ(e with a zero) = σ(e without it)).
/// <para>
/// Forward: σ_t ← σ_t + e_i·σ_{t−1} (t = K..1), O(nK). Backward: reverse-mode differentiation
/// of that same recursion. With the adjoint a_t = ∂F/∂σ_t(e_0..e_i) of F = Σ_t w_t log σ_t,
/// ∂F/∂e_i = Σ_t a_t·σ_{t−1}(e_0..e_{i−1}) and a_t ← a_t + e_i·a_{t+1} going left: no
/// subtraction of polynomials, hence no cancellation (unlike dividing σ by (1 + e_i z)). The
/// states σ(e_0..e_{i−1}) are checkpointed every <see cref="Block"/> elements and recomputed per
/// block, so extra memory is O(nK/Block + K·Block) per pack instead of O(nK). The derivation:
/// docs/derivations.md §3–4.
/// </para>
/// </summary>
internal static class PackedEsp<V, L> where V : struct where L : ILanes<V>
{
    public const int Block = 32;

    /// <summary>Vectors of checkpoint storage <see cref="Continue"/> needs for n elements and degree K.</summary>
    public static int CheckpointLength(int n, int K) => (n + Block - 1) / Block * K;

    /// <summary>Vectors of block scratch <see cref="Reverse"/> needs.</summary>
    public static int BlockLength(int K) => Block * K;

    /// <summary>σ of no elements: σ_0 = 1, σ_t = 0.</summary>
    public static void Start(Span<V> sigma)
    {
        sigma.Fill(L.Broadcast(0));
        sigma[0] = L.Broadcast(1);
    }

    /// <summary>
    /// The forward recursion: sigma holds σ_0..σ_K of the elements before e (<see cref="Start"/> for
    /// none) and receives σ of them and e. When <paramref name="checkpoints"/> is not empty it
    /// receives σ_0..σ_{K−1} of the prefix before every Block-th element (for <see cref="Reverse"/>). Splitting a sequence at multiples of
    /// <see cref="Block"/> (each part with its slice of the checkpoints, from part start / Block · K)
    /// gives the very values of one call.
    /// </summary>
    public static void Continue(ReadOnlySpan<V> e, Span<V> sigma, Span<V> checkpoints)
    {
        if (sigma.Length - 1 <= PackedEspInRegisters<V, L>.MaxK) PackedEspInRegisters<V, L>.Continue(e, sigma, checkpoints);
        else ContinueInMemory(e, sigma, checkpoints);
    }

    /// <summary><see cref="Start"/> and <see cref="Continue"/> with σ in memory, for any K (the only path for K &gt; 24).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardInMemory(ReadOnlySpan<V> e, Span<V> sigma, Span<V> checkpoints)
    {
        Start(sigma);
        ContinueInMemory(e, sigma, checkpoints);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ContinueInMemory(ReadOnlySpan<V> e, Span<V> sigma, Span<V> checkpoints)
    {
        int K = sigma.Length - 1, n = e.Length;
        bool save = !checkpoints.IsEmpty;
        // Two elements per step: σ_t += (a + b)·σ_{t−1} + a·b·σ_{t−2}. Half the dependent
        // load-FMA-store rounds through sigma; every term stays a sum of positive products.
        int i = 0;
        for (; i + 1 < n; i += 2)
        {
            if (save && i % Block == 0) sigma[..K].CopyTo(checkpoints.Slice(i / Block * K, K));
            V a = e[i], b = e[i + 1];
            V sum = L.Add(a, b), product = L.Multiply(a, b);
            for (int t = K; t >= 2; t--) sigma[t] = L.Fma(product, sigma[t - 2], L.Fma(sum, sigma[t - 1], sigma[t]));
            sigma[1] = L.Add(sigma[1], sum);
        }
        if (i < n)
        {
            if (save && i % Block == 0) sigma[..K].CopyTo(checkpoints.Slice(i / Block * K, K));
            V ei = e[i];
            for (int t = K; t >= 1; t--) sigma[t] = L.Fma(ei, sigma[t - 1], sigma[t]);
        }
    }

    /// <summary>
    /// Overwrites e[i] with ∂F/∂x_i = e_i·∂F/∂e_i for F = Σ_t w_t log σ_t, given
    /// <paramref name="adjoint"/>[t] = w_t/σ_t (t = 1..K; entry 0 is scratch) and the checkpoints of
    /// <see cref="Continue"/>. <paramref name="adjoint"/> is consumed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Reverse(Span<V> e, Span<V> adjoint, ReadOnlySpan<V> checkpoints, Span<V> block)
    {
        if (adjoint.Length - 1 <= PackedEspInRegisters<V, L>.MaxK) PackedEspInRegisters<V, L>.Reverse(e, adjoint, checkpoints, block);
        else ReverseInMemory(e, adjoint, checkpoints, block);
    }

    /// <summary><see cref="Reverse"/> with the adjoint in memory, for any K (the only path for K &gt; 24).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ReverseInMemory(Span<V> e, Span<V> adjoint, ReadOnlySpan<V> checkpoints, Span<V> block)
    {
        int K = adjoint.Length - 1, n = e.Length;
        V zero = L.Broadcast(0);
        for (int start = (n - 1) / Block * Block; start >= 0; start -= Block)
        {
            int length = Math.Min(Block, n - start);
            // Recompute the prefix states inside this block from its checkpoint.
            checkpoints.Slice(start / Block * K, K).CopyTo(block[..K]);
            for (int j = 1; j < length; j++)
            {
                var previous = block.Slice((j - 1) * K, K);
                var state = block.Slice(j * K, K);
                V ej = e[start + j - 1];
                state[0] = previous[0];
                for (int t = 1; t < K; t++) state[t] = L.Fma(ej, previous[t - 1], previous[t]);
            }
            for (int j = length - 1; j >= 0; j--)
            {
                var before = block.Slice(j * K, K);
                V ei = e[start + j];
                // One pass over t: the slope takes the old a_t (two accumulators, odd and even t,
                // half the dependent FMA chain), then a_t ← a_t + e_i·a_{t+1} with a_{t+1} still old.
                V slope = zero, slope2 = zero;
                int t = 1;
                for (; t < K; t += 2)
                {
                    V at = adjoint[t], next = adjoint[t + 1];
                    slope = L.Fma(at, before[t - 1], slope);
                    slope2 = L.Fma(next, before[t], slope2);
                    adjoint[t] = L.Fma(ei, next, at);
                    if (t + 1 < K) adjoint[t + 1] = L.Fma(ei, adjoint[t + 2], next);
                }
                if (t == K) slope = L.Fma(adjoint[t], before[t - 1], slope);
                slope = L.Add(slope, slope2);
                e[start + j] = L.Multiply(ei, slope);
            }
        }
    }

    /// <summary>A vector whose lanes are <paramref name="values"/> (length Count).</summary>
    public static V FromLanes(ReadOnlySpan<double> values) => MemoryMarshal.Read<V>(MemoryMarshal.AsBytes(values));

    /// <summary>The doubles of a vector span, lane-interleaved: element i of lane l is at i·Count + l.</summary>
    public static Span<double> Lanes(Span<V> vectors) => MemoryMarshal.Cast<V, double>(vectors);
}
