using ScottPlot;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Reporting;

/// <summary>PNG plots (ScottPlot): training curves of a run, and bars with ± std for a comparison.</summary>
public static class Plots
{
    /// <summary>Training loss and validation top-k (micro and macro) per epoch.</summary>
    public static void Curves(string path, string title, IReadOnlyList<EpochRecord> history, int k)
    {
        var plot = new Plot();
        double[] epochs = history.Select(r => (double)r.Epoch).ToArray();
        var loss = plot.Add.Scatter(epochs, history.Select(r => r.TrainLoss).ToArray());
        loss.LegendText = "train loss";
        loss.Axes.YAxis = plot.Axes.Right;
        var top = plot.Add.Scatter(epochs, history.Select(r => 100 * r.ValidationTopK).ToArray());
        top.LegendText = $"validation top-{k} %";
        var macro = plot.Add.Scatter(epochs, history.Select(r => 100 * r.ValidationMacroTopK).ToArray());
        macro.LegendText = $"validation macro top-{k} %";
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("accuracy (%)");
        plot.Axes.Right.Label.Text = "train loss";
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, 540);
    }

    /// <summary>Validation top-k per epoch, one line per loss (mean over seeds).</summary>
    public static void CompareCurves(string path, string title, IReadOnlyDictionary<string, double[]> meanTopKByLoss, int k)
    {
        var plot = new Plot();
        foreach (var (loss, values) in meanTopKByLoss)
        {
            var s = plot.Add.Scatter(Enumerable.Range(1, values.Length).Select(e => (double)e).ToArray(), values.Select(v => 100 * v).ToArray());
            s.LegendText = loss;
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel($"validation top-{k} (%), mean over seeds");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 900, 540);
    }

    /// <summary>Grouped bars: one group per metric, one colored bar per loss, error bars = std over seeds.</summary>
    public static void Bars(string path, string title, IReadOnlyList<string> losses, IReadOnlyList<string> metrics, double[,] mean, double[,] std)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        int groupWidth = losses.Count + 1;
        for (int m = 0; m < metrics.Count; m++)
            for (int l = 0; l < losses.Count; l++)
                bars.Add(new Bar
                {
                    Position = m * groupWidth + l,
                    Value = 100 * mean[l, m],
                    Error = 100 * std[l, m],
                    FillColor = palette.GetColor(l),
                });
        plot.Add.Bars(bars);
        var ticks = metrics.Select((name, m) => new Tick(m * groupWidth + (losses.Count - 1) / 2.0, name)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        for (int l = 0; l < losses.Count; l++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = losses[l], FillColor = palette.GetColor(l) });
        plot.ShowLegend(Alignment.UpperRight);
        // Head room above the tallest bar keeps the legend off the bars.
        double top = 0;
        for (int l = 0; l < losses.Count; l++)
            for (int m = 0; m < metrics.Count; m++) top = Math.Max(top, 100 * (mean[l, m] + std[l, m]));
        plot.Axes.SetLimitsY(0, Math.Max(1, top) * 1.3);
        plot.Title(title);
        plot.YLabel("accuracy (%), mean ± std over seeds");
        plot.SavePng(path, 900, 540);
    }
}
