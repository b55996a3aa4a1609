using System.Globalization;
using Spectre.Console;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Reporting;

/// <summary>
/// Live progress for a terminal (Spectre.Console): one task per run, updated every batch. The
/// description is fitted to what the terminal leaves beside the bar, percentage and time columns
/// (<see cref="ProgressHost.DescriptionWidth"/>): never wrapped, shortened part by part.
/// </summary>
public sealed class SpectreProgress(ProgressContext context, int width) : ITrainingProgress
{
    private ProgressTask? task;
    private string loss = "", seed = "";
    private int epochs, batches;
    private string validation = "";

    public void RunStarted(string title, int epochs, int batchesPerEpoch)
    {
        // "loss · model · seed S": the model is the same for every run of a command; loss and seed tell runs apart.
        var parts = title.Split(" · ");
        (loss, seed) = (parts[0], parts.Length > 2 ? parts[^1].Replace("seed ", "s", StringComparison.Ordinal) : "");
        (this.epochs, batches) = (epochs, batchesPerEpoch);
        task = context.AddTask(Markup.Escape(Describe(1, 0, double.NaN, double.NaN, double.NaN)), maxValue: Math.Max(1, epochs * batchesPerEpoch));
    }

    public void Batch(int epoch, int batch, double lossValue, double accuracy, double samplesPerSecond)
    {
        if (task is null) return;
        task.Value = (epoch - 1) * batches + batch;
        task.Description = Markup.Escape(Describe(epoch, batch, lossValue, accuracy, samplesPerSecond));
    }

    public void EpochDone(EpochRecord r, bool isBest) =>
        validation = string.Format(CultureInfo.InvariantCulture, "val {0:P1}", r.ValidationTopK);

    public void Message(string line) => AnsiConsole.MarkupLine(Markup.Escape(line));

    /// <summary>The description at this width; parts are dropped in the order rate, accuracy, batch, validation, seed.</summary>
    internal string Describe(int epoch, int batch, double lossValue, double accuracy, double samplesPerSecond)
    {
        var ci = CultureInfo.InvariantCulture;
        return ProgressLine.Fit(
        [
            (loss, 0),
            (seed, 3),
            (string.Format(ci, "e{0}/{1}", epoch, epochs), 1),
            (batch > 0 ? string.Format(ci, "b{0}/{1}", batch, batches) : "", 5),
            (double.IsNaN(lossValue) ? "" : string.Format(ci, "loss {0:G4}", lossValue), 2),
            (double.IsNaN(accuracy) ? "" : string.Format(ci, "acc {0:P0}", accuracy), 6),
            (double.IsNaN(samplesPerSecond) ? "" : string.Format(ci, "{0:F0}/s", samplesPerSecond), 7),
            (validation, 4),
        ], width);
    }
}

/// <summary>Runs work under a Spectre progress display when stdout is a terminal, with plain lines otherwise.</summary>
public static class ProgressHost
{
    private const int BarWidth = 16;
    /// <summary>"100%" and "00:00:00" beside the bar; Spectre puts one space between columns.</summary>
    private const int PercentWidth = 4, TimeWidth = 8;

    /// <summary>Below this width the bar and time columns are left out; only description and percentage remain.</summary>
    public const int NarrowWidth = 60;

    /// <summary>Columns left for the task description on a terminal <paramref name="width"/> wide.</summary>
    public static int DescriptionWidth(int width) =>
        width >= NarrowWidth ? width - BarWidth - PercentWidth - TimeWidth - 3 - 1 : Math.Max(1, width - PercentWidth - 1 - 1);

    public static T Run<T>(TextWriter output, bool interactive, Func<Func<ITrainingProgress>, T> body) =>
        interactive ? RunOn(AnsiConsole.Console, body) : body(new PlainProgress(output) is var plain ? () => plain : null!);

    /// <summary>The live display on <paramref name="console"/> (a test console in tests).</summary>
    public static T RunOn<T>(IAnsiConsole console, Func<Func<ITrainingProgress>, T> body)
    {
        int width = console.Profile.Width;
        ProgressColumn[] columns = width >= NarrowWidth
            ? [new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = BarWidth }, new PercentageColumn(), new RemainingTimeColumn()]
            : [new TaskDescriptionColumn { Alignment = Justify.Left }, new PercentageColumn()];
        T result = default!;
        console.Progress().Columns(columns).Start(ctx => { result = body(() => new SpectreProgress(ctx, DescriptionWidth(width))); });
        return result;
    }
}
