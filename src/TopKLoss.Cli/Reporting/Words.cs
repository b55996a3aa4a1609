using System.Globalization;

namespace TopKLoss.Cli.Reporting;

/// <summary>Counted nouns in messages: "1 epoch", "3 epochs", "1 batch", "2 batches".</summary>
public static class Words
{
    public static string Count(long n, string noun, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{n} {(n == 1 ? noun : plural ?? noun + "s")}");
}
