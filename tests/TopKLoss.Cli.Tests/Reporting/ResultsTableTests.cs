using TopKLoss.Cli.Reporting;

namespace TopKLoss.Cli.Tests.Reporting;

public class ResultsTableTests
{
    [Fact]
    public void MeanAndSampleStandardDeviation()
    {
        var (mean, std) = ResultsTable.MeanStd([0.5, 0.6, 0.7]);
        Assert.Equal(0.6, mean, 12);
        Assert.Equal(0.1, std, 12);
        Assert.Equal((0.3, 0.0), ResultsTable.MeanStd([0.3]));
    }

    [Fact]
    public void TableShowsPercentMeanPlusMinusStd()
    {
        string table = ResultsTable.Format(["ce", "smooth-svm"], ["top-1", "top-5"], new[,] { { 0.5, 0.9 }, { 0.45, 0.925 } },
            new[,] { { 0.01, 0.002 }, { 0.0, 0.03 } }, seeds: 3);
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("top-1", lines[0]);
        Assert.Contains("50.00 ± 1.00", lines[2]);
        Assert.Contains("92.50 ± 3.00", lines[3]);
        Assert.Contains("3 seeds", lines[^1]);
    }
}

/// <summary>compare's report table (--sets, --calibration, --shot-table): the units of ResultsTable and eval.</summary>
public class CompareReportsTableTests
{
    private static Dictionary<string, double> Values(double coverage, double size, double ece, double few) =>
        new() { ["set_coverage"] = coverage, ["set_mean_size"] = size, ["ece"] = ece, ["few_top1_macro"] = few };

    [Fact]
    public void Coverage_and_accuracy_in_percent_set_size_and_ece_plain_with_the_units_in_the_footnote()
    {
        string table = TopKLoss.Cli.Commands.CompareReports.Table(["ce", "smooth-svm"],
        [
            ("ce", Values(0.90, 2.0, 0.03, 0.5)), ("ce", Values(0.92, 2.5, 0.05, 0.6)),
            ("smooth-svm", Values(0.88, 3.0, 0.3, 1.0)), ("smooth-svm", Values(0.88, 3.2, 0.1, 1.0)),
        ], seeds: 2, "average-k sets (K = 2)");
        string Dashes(int n) => new('-', n);
        Assert.Equal(string.Join(Environment.NewLine,
            "loss       | set_coverage | set_mean_size |           ece | few_top1_macro",
            $"{Dashes(10)}-|-{Dashes(12)}-|-{Dashes(13)}-|-{Dashes(13)}-|-{Dashes(14)}",
            "ce         | 91.00 ± 1.41 | 2.250 ± 0.354 |   4.00 ± 1.41 |   55.00 ± 7.07",
            "smooth-svm | 88.00 ± 0.00 | 3.100 ± 0.141 | 20.00 ± 14.14 |  100.00 ± 0.00",
            "(coverage and accuracy in %, set_mean_size in classes, ece in %; mean ± std over 2 seeds, test split; " +
            "average-k sets (K = 2) fitted on each run's validation split)",
            ""), table);
    }

    [Theory]
    [InlineData("set_worst_class_coverage", 0.25, 0.0, "25.00 ± 0.00")]
    [InlineData("medium_top5_macro", 0.87654, 0.01234, "87.65 ± 1.23")]
    [InlineData("set_mean_size", 1.98, 0.0123, "1.980 ± 0.012")]
    [InlineData("ece", 0.0351, 0.00049, "3.51 ± 0.05")]
    public void Cells(string name, double mean, double std, string expected) =>
        Assert.Equal(expected, TopKLoss.Cli.Commands.CompareReports.Cell(name, mean, std));

    [Fact]
    public void Footnote_names_only_the_units_present()
    {
        string table = TopKLoss.Cli.Commands.CompareReports.Table(["ce"], [("ce", new() { ["ece"] = 0.1 })], seeds: 1, null);
        Assert.EndsWith("(ece in %; mean ± std over 1 seed, test split)" + Environment.NewLine, table);
        Assert.Contains("ce   | 10.00 ± 0.00", table);
    }
}
