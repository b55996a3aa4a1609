using TopKLoss.Validation;

namespace TopKLoss.Metrics;

/// <summary>Which end of a long-tailed training distribution a class sits at.</summary>
public enum ShotGroup
{
    /// <summary>More than many_threshold training samples.</summary>
    Many,
    /// <summary>From few_threshold to many_threshold training samples.</summary>
    Medium,
    /// <summary>Fewer than few_threshold training samples.</summary>
    Few,
}

/// <summary>
/// The many/medium/few-shot table of long-tail work (Liu et al., CVPR 2019: more than 100, 20 to 100, fewer
/// than 20 training samples): the macro top-k accuracy of a <see cref="TopKAccuracyReport"/> over each
/// group of classes. Classes without evaluation samples are left out of their group's mean.
/// </summary>
public sealed class LongTailReport
{
    /// <summary>The k values (those of the accuracy report).</summary>
    public IReadOnlyList<int> Ks { get; }
    /// <summary>Group of each class, by its training count.</summary>
    public IReadOnlyList<ShotGroup> GroupOf { get; }
    /// <summary>Upper bound (exclusive) of the few-shot group and lower bound of the medium group.</summary>
    public long FewThreshold { get; }
    /// <summary>Upper bound (inclusive) of the medium group; above it a class is many-shot.</summary>
    public long ManyThreshold { get; }

    private readonly TopKAccuracyReport _accuracy;

    private LongTailReport(TopKAccuracyReport accuracy, ShotGroup[] groups, long many, long few) =>
        (_accuracy, Ks, GroupOf, ManyThreshold, FewThreshold) = (accuracy, accuracy.Ks, groups, many, few);

    /// <summary>Splits the classes of <paramref name="accuracy"/> by training count.</summary>
    /// <param name="accuracy">A report of <see cref="TopKAccuracyMeter"/>.</param>
    /// <param name="class_counts">Training samples per class (≥ 0), one per class of the report.</param>
    /// <param name="many_threshold">Many-shot: count &gt; many_threshold (default 100).</param>
    /// <param name="few_threshold">Few-shot: count &lt; few_threshold (default 20), 0 ≤ few_threshold ≤ many_threshold + 1.</param>
    public static LongTailReport Of(TopKAccuracyReport accuracy, long[] class_counts, long many_threshold = 100, long few_threshold = 20)
    {
        ArgumentNullException.ThrowIfNull(accuracy);
        SetCheck.TrainingCounts(class_counts, accuracy.PerClass.Count);
        Check.AtLeast(few_threshold, 0, nameof(few_threshold));
        if (few_threshold > many_threshold + 1)
            throw new ArgumentOutOfRangeException(nameof(few_threshold), few_threshold,
                $"few_threshold must be ≤ many_threshold + 1 = {many_threshold + 1} (the groups must not overlap); got {few_threshold}.");
        var groups = class_counts.Select(n => n > many_threshold ? ShotGroup.Many : n < few_threshold ? ShotGroup.Few : ShotGroup.Medium).ToArray();
        return new LongTailReport(accuracy, groups, many_threshold, few_threshold);
    }

    /// <summary>Classes of <paramref name="group"/>, ascending.</summary>
    public IReadOnlyList<int> Classes(ShotGroup group) => Enumerable.Range(0, GroupOf.Count).Where(c => GroupOf[c] == group).ToArray();

    /// <summary>Classes of <paramref name="group"/> that have evaluation samples (those the mean runs over).</summary>
    public int PresentClasses(ShotGroup group) => Classes(group).Count(c => _accuracy.PerClass[c].Samples > 0);

    /// <summary>Mean top-k accuracy over the present classes of <paramref name="group"/>; NaN when it has none.</summary>
    public double Macro(ShotGroup group, int k)
    {
        var values = Classes(group).Select(c => _accuracy.PerClass[c]).Where(row => row.Samples > 0).Select(row => row.Accuracy(k)).ToArray();
        ClassTopKAccuracy.IndexOf(Ks, k);   // an untracked k is an error even for an empty group
        return values.Length == 0 ? double.NaN : values.Average();
    }
}

/// <summary>The long-tail table from the same meter's report.</summary>
public static class LongTailExtensions
{
    /// <summary><see cref="LongTailReport.Of"/> of this report.</summary>
    public static LongTailReport LongTail(this TopKAccuracyReport accuracy, long[] class_counts, long many_threshold = 100, long few_threshold = 20) =>
        LongTailReport.Of(accuracy, class_counts, many_threshold, few_threshold);
}
