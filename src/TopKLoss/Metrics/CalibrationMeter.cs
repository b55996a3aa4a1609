using TopKLoss.Validation;
using static TorchSharp.torch;

namespace TopKLoss.Metrics;

/// <summary>
/// Streaming expected calibration error (Guo et al., ICML 2017) with the bins of a reliability diagram.
/// Confidence = the largest softmax probability (float64); a sample is correct when its label scores
/// strictly above every other class (ties count against the label, as in <see cref="TopKAccuracyMeter"/>).
/// Bin b of B equal-width bins holds the confidences in (b/B, (b+1)/B];
/// <code>
/// ECE = Σ_b (|bin b| / N)·|accuracy_b − mean confidence_b|
/// </code>
/// </summary>
public sealed class CalibrationMeter
{
    private readonly long[] _count, _correct;
    private readonly double[] _confidence;

    /// <summary>Number of equal-width bins B.</summary>
    public int Bins { get; }

    /// <param name="n_bins">Bins ≥ 1 (the usual choice: 15).</param>
    public CalibrationMeter(int n_bins = 15)
    {
        Check.AtLeast(n_bins, 1, nameof(n_bins));
        Bins = n_bins;
        (_count, _correct, _confidence) = (new long[n_bins], new long[n_bins], new double[n_bins]);
    }

    /// <summary>Adds a batch: scores (logits) [batch, n], finite, and labels [batch].</summary>
    public void Update(Tensor scores, Tensor labels)
    {
        using var scope = NewDisposeScope();
        Check.Scores(scores, minClasses: 1);
        Check.Labels(labels, scores);
        int n = (int)scores.shape[1];
        var s = Sets.SetRows.Scores(scores);
        var p = Sets.SetRows.Probabilities(s, n);
        var y = labels.to_type(ScalarType.Int64).cpu().data<long>().ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            int start = i * n, label = (int)y[i];
            double confidence = 0;
            bool correct = true;
            for (int j = 0; j < n; j++)
            {
                confidence = Math.Max(confidence, p[start + j]);
                if (j != label && s[start + j] >= s[start + label]) correct = false;
            }
            int b = BinOf(confidence, Bins);
            _count[b]++;
            _confidence[b] += confidence;
            if (correct) _correct[b]++;
        }
    }

    /// <summary>The bin (b/B, (b+1)/B] holding <paramref name="confidence"/> ∈ [0, 1] (0 goes to the first bin), tested against the boundaries as computed.</summary>
    internal static int BinOf(double confidence, int bins)
    {
        int b = Math.Clamp((int)Math.Ceiling(confidence * bins) - 1, 0, bins - 1);
        while (b > 0 && confidence <= (double)b / bins) b--;
        while (b < bins - 1 && confidence > (double)(b + 1) / bins) b++;
        return b;
    }

    /// <summary>ECE and the reliability bins so far.</summary>
    public CalibrationReport Report()
    {
        long total = _count.Sum();
        var bins = Enumerable.Range(0, Bins).Select(b => new ReliabilityBin((double)b / Bins, (double)(b + 1) / Bins, _count[b],
            _count[b] == 0 ? double.NaN : _confidence[b] / _count[b], _count[b] == 0 ? double.NaN : (double)_correct[b] / _count[b])).ToArray();
        double ece = total == 0 ? double.NaN
            : bins.Where(b => b.Count > 0).Sum(b => (double)b.Count / total * Math.Abs(b.Accuracy - b.MeanConfidence));
        return new CalibrationReport(total, ece, bins);
    }
}

/// <summary>One bin of a reliability diagram: confidences in (Lower, Upper], their count, mean confidence and accuracy (NaN when empty).</summary>
public sealed record ReliabilityBin(double Lower, double Upper, long Count, double MeanConfidence, double Accuracy);

/// <summary>Expected calibration error of an evaluation and its reliability bins; see <see cref="CalibrationMeter"/>.</summary>
/// <param name="Samples">Samples seen.</param>
/// <param name="Ece">Expected calibration error in [0, 1]; NaN before any sample.</param>
/// <param name="Bins">The equal-width bins in order.</param>
public sealed record CalibrationReport(long Samples, double Ece, IReadOnlyList<ReliabilityBin> Bins);
