using TopKLoss.Validation;
using static TorchSharp.torch;

namespace TopKLoss.Metrics;

/// <summary>
/// Streaming metrics of prediction sets (bool masks [batch, n], e.g. from <see cref="Sets.SetPredictor.Predict"/>):
/// coverage (share of samples whose label is in their set), mean and distribution of set size, and
/// per-class (macro) coverage. Each batch brings back only per-class counts and a size histogram.
/// </summary>
public sealed class SetMeter
{
    private readonly long[] _samples, _covered, _sizes;

    /// <summary>Number of classes n.</summary>
    public int NumClasses { get; }

    /// <param name="num_classes">Number of classes ≥ 1.</param>
    public SetMeter(int num_classes)
    {
        Check.AtLeast(num_classes, 1, nameof(num_classes));
        NumClasses = num_classes;
        (_samples, _covered, _sizes) = (new long[num_classes], new long[num_classes], new long[num_classes + 1]);
    }

    /// <summary>Adds a batch of sets [batch, n] (bool) with their labels [batch].</summary>
    public void Update(Tensor sets, Tensor labels)
    {
        using var scope = NewDisposeScope();
        SetCheck.Sets(sets);
        Check.ClassesMatch(NumClasses, sets, "the meter's num_classes", nameof(sets));
        Check.Labels(labels, sets);
        var y = labels.to_type(ScalarType.Int64);
        var covered = sets.gather(1, y.unsqueeze(1)).squeeze(1).to_type(ScalarType.Int64);
        var samples = y.bincount(null, NumClasses).cpu().data<long>().ToArray();
        var hits = y.bincount(covered, NumClasses).to_type(ScalarType.Int64).cpu().data<long>().ToArray();
        var sizes = sets.sum(new long[] { 1 }, type: ScalarType.Int64).bincount(null, NumClasses + 1).cpu().data<long>().ToArray();
        for (int c = 0; c < NumClasses; c++) { _samples[c] += samples[c]; _covered[c] += hits[c]; }
        for (int s = 0; s <= NumClasses; s++) _sizes[s] += sizes[s];
    }

    /// <summary>The metrics so far.</summary>
    public SetReport Report() => new(_samples.ToArray(), _covered.ToArray(), _sizes.ToArray());
}

/// <summary>Coverage and size of a run of prediction sets; see <see cref="SetMeter"/>.</summary>
public sealed class SetReport
{
    /// <summary>Samples seen.</summary>
    public long Samples { get; }
    /// <summary>Share of samples whose label is in their set, in [0, 1]; NaN before any sample.</summary>
    public double Coverage { get; }
    /// <summary>Mean set size; NaN before any sample.</summary>
    public double MeanSize { get; }
    /// <summary>SizeCounts[s] = samples whose set has s classes, s = 0..n.</summary>
    public IReadOnlyList<long> SizeCounts { get; }
    /// <summary>Per-class coverage (NaN for classes without samples).</summary>
    public IReadOnlyList<double> PerClassCoverage { get; }
    /// <summary>Mean of the per-class coverage over the classes present (macro coverage); NaN before any sample.</summary>
    public double MacroCoverage { get; }
    /// <summary>The smallest per-class coverage over the classes present; NaN before any sample.</summary>
    public double WorstClassCoverage { get; }

    internal SetReport(long[] samples, long[] covered, long[] sizes)
    {
        Samples = samples.Sum();
        Coverage = Samples == 0 ? double.NaN : (double)covered.Sum() / Samples;
        MeanSize = Samples == 0 ? double.NaN : (double)sizes.Select((count, size) => count * size).Sum() / Samples;
        SizeCounts = sizes;
        var perClass = samples.Select((n, c) => n == 0 ? double.NaN : (double)covered[c] / n).ToArray();
        PerClassCoverage = perClass;
        var present = perClass.Where(v => !double.IsNaN(v)).ToArray();
        MacroCoverage = present.Length == 0 ? double.NaN : present.Average();
        WorstClassCoverage = present.Length == 0 ? double.NaN : present.Min();
    }
}
