using System.Globalization;
using Spectre.Console;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Reporting;

/// <summary>Live progress bar for a terminal (Spectre.Console): one task per run, updated every batch.</summary>
public sealed class SpectreProgress(ProgressContext context) : ITrainingProgress
{
    private ProgressTask? task;
    private string title = "";
    private int epochs, batches;
    private string validation = "";

    public void RunStarted(string title, int epochs, int batchesPerEpoch)
    {
        (this.title, this.epochs, batches) = (Markup.Escape(title), epochs, batchesPerEpoch);
        task = context.AddTask(this.title, maxValue: Math.Max(1, epochs * batchesPerEpoch));
    }

    public void Batch(int epoch, int batch, double loss, double accuracy, double samplesPerSecond)
    {
        if (task is null) return;
        task.Value = (epoch - 1) * batches + batch;
        task.Description = string.Format(CultureInfo.InvariantCulture,
            "{0} e{1}/{2} b{3}/{4} loss {5:F3} acc {6:P0} {7:F0}/s{8}", title, epoch, epochs, batch, batches, loss, accuracy, samplesPerSecond, validation);
    }

    public void EpochDone(EpochRecord r, bool isBest) =>
        validation = string.Format(CultureInfo.InvariantCulture, " | val {0:P1}", r.ValidationTopK);

    public void Message(string line) => AnsiConsole.MarkupLine(Markup.Escape(line));
}

/// <summary>Runs work under a Spectre progress display when stdout is a terminal, with plain lines otherwise.</summary>
public static class ProgressHost
{
    public static T Run<T>(TextWriter output, bool interactive, Func<Func<ITrainingProgress>, T> body)
    {
        if (!interactive)
        {
            var plain = new PlainProgress(output);
            return body(() => plain);
        }
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx => { result = body(() => new SpectreProgress(ctx)); });
        return result;
    }
}
