using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// What the commands take from the outside world, injectable so that tests run them in-process:
/// the data opener, the clock (run folder names), whether stdout is a terminal (progress bar) and
/// the interruption signals (SIGINT/SIGTERM for the real CLI, a manual token in tests).
/// </summary>
public sealed record CliEnvironment(Func<string, DataOptions, DataBundle> OpenData, Func<DateTime> Now, bool Interactive, Interruption? Interrupt = null)
{
    private static readonly Interruption Never = Interruption.Manual();

    /// <summary>Never null: a token nobody raises when no <see cref="Interrupt"/> was given.</summary>
    public Interruption Signals => Interrupt ?? Never;

    public static CliEnvironment Default(TextWriter stdout, Interruption? interrupt = null) => new(
        DataSources.Open,
        () => DateTime.Now,
        Interactive: ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected,
        interrupt);
}
