using ScottPlot;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Reporting;

/// <summary>
/// PNG plots (ScottPlot): training curves of a run, and bars with ± std for a comparison. Legends
/// sit outside the data (right edge), epoch ticks are whole numbers, accuracy axes end at 100 %,
/// and each line has its own marker and dash pattern, so that lines which coincide (two losses with
/// the same validation accuracy) remain distinguishable.
/// </summary>
public static class Plots
{
    private const int Width = 1000, Height = 540;

    private static readonly MarkerShape[] Markers =
        [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond,
         MarkerShape.OpenCircle, MarkerShape.OpenSquare, MarkerShape.OpenTriangleUp, MarkerShape.OpenDiamond];

    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    /// <summary>Training loss and validation top-k (micro and macro) per epoch.</summary>
    public static void Curves(string path, string title, IReadOnlyList<EpochRecord> history, int k) =>
        BuildCurves(title, history, k).SavePng(path, Width, Height);

    /// <summary>Validation top-k per epoch, one line per loss (mean over seeds).</summary>
    public static void CompareCurves(string path, string title, IReadOnlyDictionary<string, double[]> meanTopKByLoss, int k) =>
        BuildCompareCurves(title, meanTopKByLoss, k).SavePng(path, Width, Height);

    /// <summary>Grouped bars: one group per metric, one colored bar per loss, error bars = std over seeds.</summary>
    public static void Bars(string path, string title, IReadOnlyList<string> losses, IReadOnlyList<string> metrics, double[,] mean, double[,] std) =>
        BuildBars(title, losses, metrics, mean, std).SavePng(path, Width, Height);

    public static Plot BuildCurves(string title, IReadOnlyList<EpochRecord> history, int k)
    {
        var plot = new Plot();
        double[] epochs = history.Select(r => (double)r.Epoch).ToArray();
        var loss = plot.Add.Scatter(epochs, history.Select(r => r.TrainLoss).ToArray());
        loss.LegendText = "train loss (right axis)";
        loss.Axes.YAxis = plot.Axes.Right;
        Style(loss, 0);
        var top = plot.Add.Scatter(epochs, history.Select(r => 100 * r.ValidationTopK).ToArray());
        top.LegendText = $"validation top-{k} %";
        Style(top, 1);
        var macro = plot.Add.Scatter(epochs, history.Select(r => 100 * r.ValidationMacroTopK).ToArray());
        macro.LegendText = $"validation macro top-{k} %";
        Style(macro, 2);
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("accuracy (%)");
        plot.Axes.Right.Label.Text = "train loss";
        Finish(plot, epochs.Length, history.SelectMany(r => new[] { r.ValidationTopK, r.ValidationMacroTopK }).Select(v => 100 * v));
        return plot;
    }

    public static Plot BuildCompareCurves(string title, IReadOnlyDictionary<string, double[]> meanTopKByLoss, int k)
    {
        var plot = new Plot();
        int i = 0;
        foreach (var (loss, values) in meanTopKByLoss)
        {
            var s = plot.Add.Scatter(Enumerable.Range(1, values.Length).Select(e => (double)e).ToArray(), values.Select(v => 100 * v).ToArray());
            s.LegendText = loss;
            Style(s, i++);
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel($"validation top-{k} (%), mean over seeds");
        Finish(plot, meanTopKByLoss.Values.Select(v => v.Length).DefaultIfEmpty(1).Max(), meanTopKByLoss.Values.SelectMany(v => v).Select(v => 100 * v));
        return plot;
    }

    public static Plot BuildBars(string title, IReadOnlyList<string> losses, IReadOnlyList<string> metrics, double[,] mean, double[,] std)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        int groupWidth = losses.Count + 1;
        double top = 0;
        for (int m = 0; m < metrics.Count; m++)
            for (int l = 0; l < losses.Count; l++)
            {
                bars.Add(new Bar { Position = m * groupWidth + l, Value = 100 * mean[l, m], Error = 100 * std[l, m], FillColor = palette.GetColor(l) });
                top = Math.Max(top, 100 * (mean[l, m] + std[l, m]));
            }
        plot.Add.Bars(bars);
        var ticks = metrics.Select((name, m) => new Tick(m * groupWidth + (losses.Count - 1) / 2.0, name)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        for (int l = 0; l < losses.Count; l++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = losses[l], FillColor = palette.GetColor(l) });
        plot.ShowLegend(Edge.Right);
        // A little head room over the tallest error bar, but an accuracy axis never passes 100 %.
        plot.Axes.SetLimitsY(0, Math.Min(100, Math.Max(1, top) * 1.08));
        plot.Title(title);
        plot.YLabel("accuracy (%), mean ± std over seeds");
        return plot;
    }

    private static void Style(ScottPlot.Plottables.Scatter s, int i)
    {
        s.MarkerShape = Markers[i % Markers.Length];
        s.MarkerSize = 7;
        s.LinePattern = Patterns[i % Patterns.Length];   // with 8 markers and 4 patterns, the first 8 lines differ in both
        s.LineWidth = 2;
    }

    /// <summary>Legend on the right edge, whole-number epoch ticks, accuracy axis within [0, 100].</summary>
    private static void Finish(Plot plot, int epochs, IEnumerable<double> accuracies)
    {
        plot.ShowLegend(Edge.Right);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.SetLimitsX(0.5, Math.Max(1, epochs) + 0.5);
        var values = accuracies.Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        double low = values.Min(), high = values.Max(), pad = Math.Max(2, 0.05 * (high - low));
        plot.Axes.SetLimitsY(Math.Max(0, low - pad), Math.Min(100, high + pad), plot.Axes.Left);
    }
}
