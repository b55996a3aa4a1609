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
