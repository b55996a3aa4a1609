using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// What the commands take from the outside world, injectable so that tests run them in-process:
/// the data opener, the clock (run folder names) and whether stdout is a terminal (progress bar).
/// </summary>
public sealed record CliEnvironment(Func<string, DataOptions, DataBundle> OpenData, Func<DateTime> Now, bool Interactive)
{
    public static CliEnvironment Default(TextWriter stdout) => new(
        DataSources.Open,
        () => DateTime.Now,
        Interactive: ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected);
}
