using TopKLoss.Metrics;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Training;

/// <summary>
/// The CLI's view of the library's streaming <see cref="TopKAccuracyMeter"/> (ties count against
/// the label; only [classes]-sized counts leave the device): fed batch by batch, it reports a
/// <see cref="MetricsReport"/> that the commands serialize, tabulate and plot.
/// </summary>
public sealed class EvalMeter(int[] ks, int classCount)
{
    private readonly TopKAccuracyMeter meter = new(ks, classCount);

    public void Add(Tensor scores, Tensor labels) => meter.Update(scores, labels);

    public MetricsReport Report()
    {
        var report = meter.Report();
        int[] sortedKs = report.Ks.ToArray();
        return new MetricsReport(
            sortedKs,
            sortedKs.Select(report.Micro).ToArray(),
            sortedKs.Select(report.Macro).ToArray(),
            report.PerClass.Select(c => c.Samples).ToArray(),
            sortedKs.Select((_, i) => report.PerClass.Select(c => c.Correct[i]).ToArray()).ToArray(),
            report.AbsentClasses.ToArray());
    }
}
