using Spectre.Console.Testing;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Tests.Reporting;

/// <summary>The live progress display fits the terminal: one line per run at 80 columns, shortened (not wrapped) below.</summary>
public class ProgressRenderingTests
{
    private static string[] Render(int width)
    {
        var console = new TestConsole().Width(width).Interactive();
        console.EmitAnsiSequences = false;
        ProgressHost.RunOn(console, progress =>
        {
            foreach (var title in new[] { "imbalanced-noised · resnet18 · seed 1234", "smooth-svm · resnet18 · seed 1235" })
            {
                var p = progress();
                p.RunStarted(title, 300, 782);
                p.Batch(1, 782, 2.345678, 0.1234, 12345.6);
                p.EpochDone(new EpochRecord(1, 0.1, 2.3, 0.12, 0.4567, 0.4, 12345.6), true);
                p.Batch(2, 17, 123456.789, 0.999, 98765.4);
            }
            return 0;
        });
        return console.Output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToArray();
    }

    [Fact]
    public void At80ColumnsEveryRunIsOneLineWithItsTimeColumn()
    {
        var lines = Render(80);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns: '{l}'"));
        var runs = lines.Where(l => l.Contains('%')).ToArray();
        Assert.Contains(runs, l => l.StartsWith("imbalanced-noised s1234 e2/300", StringComparison.Ordinal) && l.Contains("loss 1.235E+05"));
        Assert.Contains(runs, l => l.StartsWith("smooth-svm s1235 e2/300", StringComparison.Ordinal));
        // Every run line ends with the remaining time (hh:mm:ss or --:--:--), on that same line.
        Assert.All(runs, l => Assert.Matches(@"(\d\d|-):(\d\d|-)[:\d-]*\s*$", l));
    }

    [Theory]
    [InlineData(40)]
    [InlineData(20)]
    public void BelowEightyColumnsTheLinesShortenInsteadOfWrapping(int width)
    {
        var lines = Render(width);
        Assert.All(lines, l => Assert.True(l.Length <= width, $"{l.Length} columns: '{l}'"));
        Assert.Contains(lines, l => l.StartsWith("imbalanced", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Trim() is ":" or "0" or "00");   // no column squeezed to a character per line
    }

    [Fact]
    public void FitDropsTheLeastImportantPartsFirstThenCuts()
    {
        (string, int)[] parts = [("ce", 0), ("s1", 3), ("e1/30", 1), ("b5/100", 5), ("loss 2.3", 2)];
        Assert.Equal("ce s1 e1/30 b5/100 loss 2.3", ProgressLine.Fit(parts, 80));
        Assert.Equal("ce s1 e1/30 loss 2.3", ProgressLine.Fit(parts, 20));
        Assert.Equal("ce e1/30 loss 2.3", ProgressLine.Fit(parts, 17));
        Assert.Equal("ce", ProgressLine.Fit(parts, 2));
        Assert.Equal("imbalan…", ProgressLine.Fit([("imbalanced-noised", 0), ("e1/30", 1)], 8));
    }
}
