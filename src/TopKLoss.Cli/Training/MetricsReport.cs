namespace TopKLoss.Cli.Training;

/// <summary>
/// Top-k accuracies of one evaluation: micro (share of samples) and macro (mean over the classes
/// present of the per-class accuracy), for each k, plus the per-class counts behind them.
/// </summary>
public sealed record MetricsReport(int[] Ks, double[] Micro, double[] Macro, long[] ClassTotals, long[][] ClassCorrect, int[] AbsentClasses)
{
    public double MicroAt(int k) => Micro[Index(k)];
    public double MacroAt(int k) => Macro[Index(k)];

    /// <summary>Named values such as top5_micro / top5_macro, for JSON and TensorBoard.</summary>
    public IEnumerable<KeyValuePair<string, double>> Named()
    {
        for (int i = 0; i < Ks.Length; i++)
        {
            yield return new($"top{Ks[i]}_micro", Micro[i]);
            yield return new($"top{Ks[i]}_macro", Macro[i]);
        }
    }

    private int Index(int k)
    {
        int i = Array.IndexOf(Ks, k);
        return i >= 0 ? i : throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be one of the evaluated ks {string.Join(", ", Ks)}.");
    }
}
