namespace TopKLoss.Tests.Metrics;

/// <summary>Brute-force top-k counts: a sample is correct at k when fewer than k other classes score ≥ its label (NaN counts as ≥).</summary>
internal static class MetricsOracle
{
    public static bool Correct(double[] row, int label, int k)
    {
        int above = 0;
        for (int j = 0; j < row.Length; j++)
            if (j != label && (row[j] >= row[label] || double.IsNaN(row[j]) || double.IsNaN(row[label]))) above++;
        return above < k;
    }

    public static double Micro(double[][] rows, int[] labels, int k) =>
        rows.Select((row, i) => Correct(row, labels[i], k) ? 1.0 : 0.0).Average();

    /// <summary>Per-class accuracies (NaN for absent classes) and their mean over present classes.</summary>
    public static (double Macro, double[] PerClass) Macro(double[][] rows, int[] labels, int k, int nClasses)
    {
        var perClass = new double[nClasses];
        for (int c = 0; c < nClasses; c++)
        {
            var members = Enumerable.Range(0, rows.Length).Where(i => labels[i] == c).ToArray();
            perClass[c] = members.Length == 0 ? double.NaN : members.Average(i => Correct(rows[i], c, k) ? 1.0 : 0.0);
        }
        return (perClass.Where(double.IsFinite).Average(), perClass);
    }
}
