using ScottPlot;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Tests.Reporting;

/// <summary>Plots: legend outside the data, whole-number epoch ticks, accuracy axes within 100 %, coinciding lines distinguishable.</summary>
public class PlotTests
{
    private static void AssertLegendOutside(Plot plot)
    {
        Assert.False(plot.Legend.IsVisible, "the legend inside the data area is hidden");
        Assert.Contains(plot.Axes.GetPanels(), p => p is ScottPlot.Panels.LegendPanel);
    }

    private static double[] BottomTicks(Plot plot)
    {
        plot.GetImage(1000, 540);   // ticks are generated at render time
        return plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Position).ToArray();
    }

    [Fact]
    public void CompareCurvesOfThreeEpochsHaveIntegerTicksACappedAxisAndDistinctLines()
    {
        // Two losses at 100 % and two that coincide: the worst case for a legend inside and for lookalike lines.
        var curves = new Dictionary<string, double[]>
        {
            ["ce"] = [0.9, 1.0, 1.0], ["smooth-svm"] = [0.9, 1.0, 1.0], ["noised"] = [0.5, 0.7, 0.8], ["focal"] = [0.5, 0.7, 0.8],
        };
        var plot = Plots.BuildCompareCurves("t", curves, 5);
        AssertLegendOutside(plot);
        var ticks = BottomTicks(plot);
        Assert.NotEmpty(ticks);
        Assert.All(ticks, t => Assert.Equal(Math.Round(t), t));
        Assert.True(plot.Axes.Left.Max <= 100, $"accuracy axis ends at {plot.Axes.Left.Max}");
        var looks = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(s => (s.MarkerShape, s.LinePattern.ToString())).ToList();
        Assert.Equal(4, looks.Distinct().Count());
    }

    [Fact]
    public void RunCurvesAndBarsStayWithinOneHundredPercentWithTheLegendOutside()
    {
        var history = new[] { new EpochRecord(1, 0.1, 2.0, 0.5, 0.99, 1.0, 100), new EpochRecord(2, 0.1, 1.0, 0.9, 1.0, 1.0, 100) };
        var curves = Plots.BuildCurves("t", history, 5);
        AssertLegendOutside(curves);
        Assert.All(BottomTicks(curves), t => Assert.Equal(Math.Round(t), t));
        Assert.True(curves.Axes.Left.Max <= 100);

        var bars = Plots.BuildBars("t", ["ce", "noised"], ["top-1", "top-5"], new[,] { { 0.95, 1.0 }, { 0.9, 0.99 } }, new[,] { { 0.05, 0.0 }, { 0.02, 0.01 } });
        AssertLegendOutside(bars);
        bars.GetImage(1000, 540);
        Assert.True(bars.Axes.Left.Max <= 100, $"bars' axis ends at {bars.Axes.Left.Max}");
    }
}
