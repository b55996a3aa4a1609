using System.Globalization;
using System.Text;

namespace TopKLoss.Cli.Reporting;

/// <summary>A plain-text table of mean ± std (in %) per loss and metric, like the papers' tables.</summary>
public static class ResultsTable
{
    public static string Format(IReadOnlyList<string> losses, IReadOnlyList<string> metrics, double[,] mean, double[,] std, int seeds)
    {
        var cells = new string[losses.Count + 1, metrics.Count + 1];
        cells[0, 0] = "loss";
        for (int m = 0; m < metrics.Count; m++) cells[0, m + 1] = metrics[m];
        for (int l = 0; l < losses.Count; l++)
        {
            cells[l + 1, 0] = losses[l];
            for (int m = 0; m < metrics.Count; m++)
                cells[l + 1, m + 1] = string.Format(CultureInfo.InvariantCulture, "{0:F2} ± {1:F2}", 100 * mean[l, m], 100 * std[l, m]);
        }
        var widths = Enumerable.Range(0, metrics.Count + 1).Select(c => Enumerable.Range(0, losses.Count + 1).Max(r => cells[r, c].Length)).ToArray();
        var sb = new StringBuilder();
        for (int r = 0; r <= losses.Count; r++)
        {
            sb.Append(string.Join(" | ", Enumerable.Range(0, metrics.Count + 1).Select(c => c == 0 ? cells[r, c].PadRight(widths[c]) : cells[r, c].PadLeft(widths[c]))));
            sb.AppendLine();
            if (r == 0) sb.AppendLine(string.Join("-|-", widths.Select(w => new string('-', w))));
        }
        sb.AppendLine($"(accuracy in %, mean ± std over {seeds} seed{(seeds == 1 ? "" : "s")}, test split)");
        return sb.ToString();
    }

    /// <summary>Sample mean and standard deviation (n − 1; 0 for a single value).</summary>
    public static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double std = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return (mean, std);
    }
}
