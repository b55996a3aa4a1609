using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Metrics;

/// <summary>
/// The per-batch work of the top-k metrics, done on the scores' device: only a
/// [num_classes, ks + 1] count table comes back to the host, never the scores.
/// </summary>
internal static class LabelRanks
{
    /// <summary>
    /// Rank of each label: how many other classes score ≥ the label's score (ties count against the
    /// label; NaN scores count as higher, and a NaN label score loses to every class). A sample is
    /// correct at k exactly when its rank &lt; k.
    /// </summary>
    public static Tensor Of(Tensor scores, Tensor labels)
    {
        var s = scores.detach();
        var labelScores = s.gather(1, labels.unsqueeze(1));
        var atLeast = s.ge(labelScores).logical_or_(s.isnan()).logical_or_(labelScores.isnan());
        return atLeast.sum(new long[] { 1 }, type: ScalarType.Int64).sub(Scalars.One);   // the label itself always counts once
    }

    /// <summary>
    /// counts[c, j] = samples of class c that miss exactly the j smallest of <paramref name="sortedKs"/>
    /// (so they are correct at sortedKs[i] for every i ≥ j; j = ks.Length: correct at none), row-major.
    /// </summary>
    public static long[] MissTable(Tensor scores, Tensor labels, int[] sortedKs, int num_classes)
    {
        using var scope = NewDisposeScope();
        var y = labels.to_type(ScalarType.Int64);
        var rank = Of(scores, y);
        var boundaries = tensor(sortedKs.Select(k => (long)k).ToArray(), device: scores.device);
        // bucketize(right: true) = number of k with k ≤ rank, i.e. how many of the ks this sample misses.
        var missed = rank.bucketize(boundaries, right: true);
        int buckets = sortedKs.Length + 1;
        using var bucketCount = buckets.ToScalar();
        var table = y.mul(bucketCount).add(missed, Scalars.One).bincount(null, minlength: (long)num_classes * buckets);
        return table.cpu().data<long>().ToArray();
    }
}
