using System.Globalization;

namespace TopKLoss.Cli.Reporting;

/// <summary>Counted nouns in messages: "1 epoch", "3 epochs".</summary>
public static class Words
{
    public static string Count(long n, string noun) => string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? "" : "s")}");
}
