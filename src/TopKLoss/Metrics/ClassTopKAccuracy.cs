namespace TopKLoss.Metrics;

/// <summary>One row of the per-class table: a class's sample count and its top-k accuracy for each k.</summary>
/// <param name="Class">Class index.</param>
/// <param name="Samples">Samples of this class seen; 0 for an absent class (its accuracies are NaN).</param>
/// <param name="Ks">The k values, ascending (shared with the report).</param>
/// <param name="Correct">Correct samples at each k, aligned with <paramref name="Ks"/>.</param>
public sealed record ClassTopKAccuracy(int Class, long Samples, IReadOnlyList<int> Ks, IReadOnlyList<long> Correct)
{
    /// <summary>Top-k accuracy of this class in [0, 1]: Correct/Samples; NaN when the class is absent.</summary>
    public double Accuracy(int k)
    {
        int i = IndexOf(Ks, k);
        return Samples == 0 ? double.NaN : (double)Correct[i] / Samples;
    }

    internal static int IndexOf(IReadOnlyList<int> ks, int k)
    {
        for (int i = 0; i < ks.Count; i++) if (ks[i] == k) return i;
        throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be one of the tracked values {{{string.Join(", ", ks)}}}; got {k}.");
    }
}
