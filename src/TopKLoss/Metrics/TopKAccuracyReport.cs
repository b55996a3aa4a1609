using System.Globalization;
using System.Text;

namespace TopKLoss.Metrics;

/// <summary>
/// Top-k accuracies of a whole evaluation (docs/derivations.md §10): micro (share of samples whose label is
/// among the k highest scores, ties counting against the label) and macro (the mean over classes of
/// the per-class top-k accuracy — the Pl@ntNet-300K metric, where tail classes weigh as much as head
/// classes). Classes without samples are left out of the macro mean and listed in <see cref="AbsentClasses"/>.
/// </summary>
public sealed class TopKAccuracyReport
{
    /// <summary>The k values, ascending.</summary>
    public IReadOnlyList<int> Ks { get; }
    /// <summary>Samples seen.</summary>
    public long Samples { get; }
    /// <summary>Classes with no sample (left out of the macro averages).</summary>
    public IReadOnlyList<int> AbsentClasses { get; }
    /// <summary>One row per class, absent classes included (with NaN accuracies).</summary>
    public IReadOnlyList<ClassTopKAccuracy> PerClass { get; }

    private readonly double[] _micro, _macro;

    internal TopKAccuracyReport(int[] ks, long samples, double[] micro, double[] macro, int[] absent, ClassTopKAccuracy[] perClass)
    {
        (Ks, Samples, _micro, _macro, AbsentClasses, PerClass) = (ks, samples, micro, macro, absent, perClass);
    }

    /// <summary>Top-k accuracy over samples in [0, 1]; NaN before any sample.</summary>
    public double Micro(int k) => _micro[ClassTopKAccuracy.IndexOf(Ks, k)];

    /// <summary>Macro-average top-k accuracy over the classes present, in [0, 1]; NaN before any sample.</summary>
    public double Macro(int k) => _macro[ClassTopKAccuracy.IndexOf(Ks, k)];

    /// <summary>Name of the micro top-k accuracy: <c>top5_micro</c>.</summary>
    public static string MicroName(int k) => $"top{k}_micro";

    /// <summary>Name of the macro-average top-k accuracy: <c>top5_macro</c>.</summary>
    public static string MacroName(int k) => $"top{k}_macro";

    /// <summary>All values by unambiguous name, in k order: top1_micro, top1_macro, top3_micro, …</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Named =>
        Ks.SelectMany((k, i) => new[] { KeyValuePair.Create(MicroName(k), _micro[i]), KeyValuePair.Create(MacroName(k), _macro[i]) }).ToArray();

    /// <summary>The per-class table as CSV: <c>class,samples,top1,top3,…</c> (accuracies in [0, 1], empty for absent classes).</summary>
    public string PerClassCsv()
    {
        var text = new StringBuilder("class,samples");
        foreach (int k in Ks) text.Append(CultureInfo.InvariantCulture, $",top{k}");
        text.Append('\n');
        foreach (var row in PerClass)
        {
            text.Append(CultureInfo.InvariantCulture, $"{row.Class},{row.Samples}");
            foreach (int k in Ks)
                text.Append(',').Append(row.Samples == 0 ? "" : row.Accuracy(k).ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        return text.ToString();
    }
}
