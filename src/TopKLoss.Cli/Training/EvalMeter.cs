using static TorchSharp.torch;

namespace TopKLoss.Cli.Training;

/// <summary>
/// Streaming top-k meter for the CLI: fed batch by batch, reports a <see cref="MetricsReport"/>.
/// A sample is correct at k when fewer than k other classes score ≥ its label's score (ties count
/// against the label). Only [classes]-sized counts leave the device.
/// </summary>
public sealed class EvalMeter
{
    private readonly int[] ks;
    private readonly long[] totals;
    private readonly long[][] correct;

    public EvalMeter(int[] ks, int classCount)
    {
        this.ks = ks;
        totals = new long[classCount];
        correct = ks.Select(_ => new long[classCount]).ToArray();
    }

    public void Add(Tensor scores, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var labelScores = scores.gather(1, labels.unsqueeze(1));
        var rank = scores.ge(labelScores).sum(1) - 1;   // other classes scoring ≥ the label
        int n = totals.Length;
        Accumulate(totals, labels.bincount(null, n));
        for (int i = 0; i < ks.Length; i++)
            Accumulate(correct[i], labels.masked_select(rank.lt(ks[i])).bincount(null, n));
    }

    private static void Accumulate(long[] into, Tensor counts)
    {
        var host = counts.to(ScalarType.Int64).cpu().data<long>().ToArray();
        for (int c = 0; c < into.Length; c++) into[c] += host[c];
    }

    public MetricsReport Report()
    {
        long total = totals.Sum();
        var present = Enumerable.Range(0, totals.Length).Where(c => totals[c] > 0).ToArray();
        var absent = Enumerable.Range(0, totals.Length).Where(c => totals[c] == 0).ToArray();
        var micro = correct.Select(row => total == 0 ? 0.0 : (double)row.Sum() / total).ToArray();
        var macro = correct.Select(row => present.Length == 0 ? 0.0 : present.Average(c => (double)row[c] / totals[c])).ToArray();
        return new MetricsReport(ks, micro, macro, (long[])totals.Clone(), correct.Select(r => (long[])r.Clone()).ToArray(), absent);
    }
}
