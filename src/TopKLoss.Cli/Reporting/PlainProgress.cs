using System.Diagnostics;
using System.Globalization;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Reporting;

/// <summary>
/// Progress as plain lines (CI logs, pipes): one line per epoch, plus a batch line at most every
/// <see cref="BatchLineInterval"/> within long epochs.
/// </summary>
public sealed class PlainProgress(TextWriter output) : ITrainingProgress
{
    public static readonly TimeSpan BatchLineInterval = TimeSpan.FromSeconds(10);
    private readonly Stopwatch sinceLine = Stopwatch.StartNew();
    private string title = "";
    private int epochs, batches;

    public void RunStarted(string title, int epochs, int batchesPerEpoch)
    {
        (this.title, this.epochs, batches) = (title, epochs, batchesPerEpoch);
        output.WriteLine($"[{title}] {Words.Count(epochs, "epoch")} × {Words.Count(batchesPerEpoch, "batch", "batches")}");
        sinceLine.Restart();
    }

    public void Batch(int epoch, int batch, double loss, double accuracy, double samplesPerSecond)
    {
        if (sinceLine.Elapsed < BatchLineInterval || batch == batches) return;
        output.WriteLine(Invariant($"[{title}] epoch {epoch}/{epochs} batch {batch}/{batches} loss {loss:F4} acc {accuracy:P1} {samplesPerSecond:F0} samples/s"));
        sinceLine.Restart();
    }

    public void EpochDone(EpochRecord r, bool isBest)
    {
        output.WriteLine(Invariant($"[{title}] epoch {r.Epoch}/{epochs} batch {batches}/{batches} loss {r.TrainLoss:F4} acc {r.TrainTop1:P1} {r.SamplesPerSecond:F0} samples/s | val top-k {r.ValidationTopK:P1} macro {r.ValidationMacroTopK:P1}{(isBest ? " *" : "")}"));
        sinceLine.Restart();
    }

    public void Message(string line) => output.WriteLine(line);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
