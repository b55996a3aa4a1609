namespace TopKLoss.Kernels;

/// <summary>
/// Elementary symmetric polynomials of one row, σ_t(e) for t = 0..K with e_i = exp(x_i), all
/// entries but one optional <c>skip</c> index; and their exact inclusion probabilities
/// π_t(i) = e_i σ_{t−1}(e∖i) / σ_t(e) = ∂ log σ_t / ∂ x_i.
/// Forward: the recursion σ_t ← σ_t + e_i σ_{t−1} (O(nK)). Backward: σ(e∖i) as the product of a
/// prefix polynomial (elements before i) and a suffix polynomial (after i): no subtraction, so
/// no cancellation, unlike the published alternating recursion and its series fallback.
/// </summary>
internal static class EspRow
{
    /// <summary>
    /// Whether rescaled linear space is exact for this row: the smallest coefficient any formula
    /// needs is ≥ exp(−K·(M − x_(K))) (the product of the top K), so that must stay far above the
    /// underflow threshold, and σ_K ≤ C(m, K) ≤ (e·m/K)^K far below overflow.
    /// </summary>
    public static bool LinearIsSafe(double max, double kthLargest, int K, int m)
    {
        int degree = Math.Min(K, m);
        if (degree == 0) return true;
        double spread = degree * (max - kthLargest);
        double growth = degree * (1.0 + Math.Log((double)m / degree));
        return spread <= 600.0 && growth <= 600.0;
    }

    /// <summary>e_i = A.Element(x_i − shift) for every i (skip included; it is ignored later).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Elements<A>(ReadOnlySpan<double> x, double shift, Span<double> e) where A : IEspArithmetic
    {
        for (int i = 0; i < x.Length; i++) e[i] = A.Element(x[i] - shift);
    }

    /// <summary>sigma[0..K] = σ_t of e without index <paramref name="skip"/> (−1: none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<A>(ReadOnlySpan<double> e, int skip, Span<double> sigma) where A : IEspArithmetic
    {
        int K = sigma.Length - 1;
        sigma.Fill(A.Zero);
        sigma[0] = A.One;
        int filled = 0; // highest degree that can be non-zero so far
        for (int i = 0; i < e.Length; i++)
        {
            if (i == skip) continue;
            double ei = e[i];
            if (filled < K) filled++;
            for (int t = filled; t >= 1; t--) sigma[t] = A.Add(sigma[t], A.Mul(ei, sigma[t - 1]));
        }
    }

    /// <summary>
    /// grad[i] = Σ_{t=1..K} weight[t]·π_t(i) for i ≠ skip (grad[skip] is left untouched).
    /// <paramref name="sigma"/> is the output of <see cref="Forward{A}"/>; weights with value 0
    /// cost nothing. <paramref name="prefix"/> is scratch of length e.Length·K.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Inclusion<A>(ReadOnlySpan<double> e, int skip, ReadOnlySpan<double> sigma,
        ReadOnlySpan<double> weight, Span<double> grad, Span<double> prefix) where A : IEspArithmetic
    {
        int K = sigma.Length - 1, n = e.Length;
        // Degrees whose weight is non-zero and whose σ_t exists (σ_t = 0 when t exceeds the count).
        Span<int> degrees = stackalloc int[K];
        int used = 0;
        for (int t = 1; t <= K; t++)
            if (weight[t] != 0 && sigma[t] != A.Zero) degrees[used++] = t;
        degrees = degrees[..used];
        if (used == 0)
        {
            for (int i = 0; i < n; i++) if (i != skip) grad[i] = 0;
            return;
        }
        int maxDegree = degrees[used - 1]; // need σ_{t−1}(e∖i) up to t − 1 = maxDegree − 1

        // Prefix pass: prefix[i·K + a] = σ_a(e_0..e_{i−1} without skip), a = 0..maxDegree−1.
        Span<double> run = stackalloc double[K];
        run.Fill(A.Zero);
        run[0] = A.One;
        for (int i = 0; i < n; i++)
        {
            run[..maxDegree].CopyTo(prefix.Slice(i * K, maxDegree));
            if (i == skip) continue;
            double ei = e[i];
            for (int a = maxDegree - 1; a >= 1; a--) run[a] = A.Add(run[a], A.Mul(ei, run[a - 1]));
        }

        // Suffix pass from the right, combining with the stored prefix by a short convolution.
        Span<double> suffix = run;
        suffix.Fill(A.Zero);
        suffix[0] = A.One;
        for (int i = n - 1; i >= 0; i--)
        {
            if (i == skip) continue;
            double ei = e[i];
            var p = prefix.Slice(i * K, maxDegree);
            double g = 0;
            foreach (int t in degrees)
            {
                // σ_{t−1}(e∖i) = Σ_{a+b=t−1} prefix_a · suffix_b
                double without = A.Zero;
                for (int a = 0; a <= t - 1; a++) without = A.Add(without, A.Mul(p[a], suffix[t - 1 - a]));
                g += weight[t] * A.Ratio(A.Mul(ei, without), sigma[t]);
            }
            grad[i] = g;
            for (int b = maxDegree - 1; b >= 1; b--) suffix[b] = A.Add(suffix[b], A.Mul(ei, suffix[b - 1]));
        }
    }
}
