using TopKLoss.Tests.Threading;

namespace TopKLoss.Tests;

/// <summary>
/// The test assembly's entry point (instead of the test SDK's empty one): <c>dotnet TopKLoss.Tests.dll
/// scalar-stress SECONDS</c> runs <see cref="ScalarStress"/> in a process of its own, for tests whose
/// failure could take the process down with it.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["scalar-stress", var seconds])
        {
            var result = ScalarStress.Run(TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)));
            Console.WriteLine(result);
            return result.Passed ? 0 : 1;
        }
        Console.Error.WriteLine("usage: TopKLoss.Tests scalar-stress SECONDS");
        return 2;
    }
}
