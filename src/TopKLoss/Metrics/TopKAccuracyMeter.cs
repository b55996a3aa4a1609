using TopKLoss.Validation;
using static TorchSharp.torch;

namespace TopKLoss.Metrics;

/// <summary>
/// Streaming top-k and macro-average top-k accuracy for several k at once, fed batch by batch:
/// <code>
/// var meter = new TopKAccuracyMeter(new[] { 1, 3, 5 }, num_classes: 100);
/// foreach (var (x, y) in batches) meter.Update(model.call(x), y);
/// var report = meter.Report();   // report.Micro(5), report.Macro(5), report.Named → top5_micro, top5_macro
/// </code>
/// A sample is correct at k when fewer than k other classes score ≥ its label's score (ties count
/// against the label, so a constant model scores 0 for k &lt; n). The ranking runs on the scores'
/// device; each batch brings back only a [num_classes, ks + 1] table of counts. Holds no tensors.
/// </summary>
public sealed class TopKAccuracyMeter
{
    private readonly int[] _ks;
    private readonly long[] _table;   // [num_classes, ks + 1]: samples missing exactly the j smallest ks

    /// <summary>The tracked k values, ascending and distinct.</summary>
    public IReadOnlyList<int> Ks => _ks;
    /// <summary>Number of classes n (the scores' width).</summary>
    public int NumClasses { get; }
    /// <summary>Samples seen since construction or <see cref="Reset"/>.</summary>
    public long Samples { get; private set; }

    /// <param name="ks">k values to track, each 1 ≤ k ≤ num_classes (duplicates are merged).</param>
    /// <param name="num_classes">Number of classes, ≥ 1.</param>
    public TopKAccuracyMeter(IEnumerable<int> ks, int num_classes)
    {
        ArgumentNullException.ThrowIfNull(ks);
        Check.AtLeast(num_classes, 1, nameof(num_classes));
        var list = ks.ToArray();
        Check.Ks(list, num_classes);
        _ks = list.Distinct().Order().ToArray();
        NumClasses = num_classes;
        _table = new long[(long)num_classes * (_ks.Length + 1)];
    }

    /// <summary>Adds a batch: <paramref name="scores"/> [batch, num_classes] (any floating dtype, any device), <paramref name="labels"/> [batch].</summary>
    public void Update(Tensor scores, Tensor labels)
    {
        using var scope = NewDisposeScope();   // validation and ranking temporaries die here
        Check.Scores(scores, minClasses: 1);
        Check.ClassesMatch(NumClasses, scores, "the meter's num_classes");
        Check.Labels(labels, scores);
        var batchTable = LabelRanks.MissTable(scores, labels, _ks, NumClasses);
        for (int i = 0; i < _table.Length; i++) _table[i] += batchTable[i];
        Samples += scores.shape[0];
    }

    /// <summary>Forgets every sample seen.</summary>
    public void Reset()
    {
        Array.Clear(_table);
        Samples = 0;
    }

    /// <summary>Micro and macro top-k accuracies, absent classes and the per-class table so far.</summary>
    public TopKAccuracyReport Report()
    {
        int buckets = _ks.Length + 1;
        var perClass = new ClassTopKAccuracy[NumClasses];
        var correctTotal = new long[_ks.Length];
        var macroSum = new double[_ks.Length];
        var absent = new List<int>();
        for (int c = 0; c < NumClasses; c++)
        {
            long samples = 0;
            var correct = new long[_ks.Length];
            for (int j = 0; j < buckets; j++)
            {
                long count = _table[(long)c * buckets + j];
                samples += count;
                // missing the j smallest ks = correct at ks[j], ks[j+1], …
                for (int i = j; i < _ks.Length; i++) correct[i] += count;
            }
            perClass[c] = new ClassTopKAccuracy(c, samples, _ks, correct);
            if (samples == 0) { absent.Add(c); continue; }
            for (int i = 0; i < _ks.Length; i++)
            {
                correctTotal[i] += correct[i];
                macroSum[i] += (double)correct[i] / samples;
            }
        }
        int present = NumClasses - absent.Count;
        var micro = correctTotal.Select(n => Samples == 0 ? double.NaN : (double)n / Samples).ToArray();
        var macro = macroSum.Select(sum => present == 0 ? double.NaN : sum / present).ToArray();
        return new TopKAccuracyReport(_ks, Samples, micro, macro, absent.ToArray(), perClass);
    }
}
