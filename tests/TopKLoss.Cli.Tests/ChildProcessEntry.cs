using TopKLoss.Cli.Tests.Models;

namespace TopKLoss.Cli.Tests;

/// <summary>
/// The test assembly's entry point (instead of the test SDK's empty one): <c>dotnet
/// TopKLoss.Cli.Tests.dll model-step MODEL</c> runs <see cref="ModelTrainingStep"/> in a process of
/// its own, for tests whose failure (a native crash) would take the test host down with it.
/// </summary>
public static class ChildProcessEntry
{
    public static int Main(string[] args)
    {
        if (args is ["model-step", var model])
        {
            var (passed, report) = ModelTrainingStep.Run(model);
            Console.WriteLine(report);
            return passed ? 0 : 1;
        }
        Console.Error.WriteLine("usage: TopKLoss.Cli.Tests model-step MODEL");
        return 2;
    }
}
