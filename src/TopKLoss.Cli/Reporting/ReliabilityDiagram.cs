using ScottPlot;
using TopKLoss.Cli.Training;
using TopKLoss.Metrics;

namespace TopKLoss.Cli.Reporting;

/// <summary>Reliability diagram PNG: accuracy per confidence bin against the diagonal of perfect calibration.</summary>
public static class ReliabilityDiagram
{
    public static void Write(string path, string title, CalibrationReport report)
    {
        var plot = new Plot();
        var bars = report.Bins.Where(b => b.Count > 0).Select(b => new Bar
        {
            Position = 100 * (b.Lower + b.Upper) / 2,
            Value = 100 * b.Accuracy,
            Size = 100 * (b.Upper - b.Lower) * 0.9,
        }).ToList();
        plot.Add.Bars(bars);
        var diagonal = plot.Add.Line(0, 0, 100, 100);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LegendText = "perfect calibration";
        var confidence = plot.Add.Scatter(
            report.Bins.Where(b => b.Count > 0).Select(b => 100 * (b.Lower + b.Upper) / 2).ToArray(),
            report.Bins.Where(b => b.Count > 0).Select(b => 100 * b.MeanConfidence).ToArray());
        confidence.LineWidth = 0;
        confidence.LegendText = "mean confidence of the bin";
        plot.Axes.SetLimits(0, 100, 0, 100);
        plot.Title($"{title} · ECE {100 * report.Ece:F2} %");
        plot.XLabel($"confidence (%): {report.Bins.Count} equal-width bins, {report.Samples} samples");
        plot.YLabel("accuracy (%)");
        plot.ShowLegend(Alignment.UpperLeft);
        var bytes = plot.GetImageBytes(700, 600, ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}
