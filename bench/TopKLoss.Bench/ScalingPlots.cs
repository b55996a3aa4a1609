using BenchmarkDotNet.Reports;
using ScottPlot;

namespace TopKLoss.Bench;

/// <summary>
/// After a run: medians per case to results/medians.csv, and log-log PNGs of time versus n (one
/// line per k or B, and cross_entropy) and versus k, next to BenchmarkDotNet's own reports.
/// </summary>
internal static class ScalingPlots
{
    private sealed record Point(string Method, int N, int? K, int? B, double MedianMs);

    public static void Write(IEnumerable<Summary> summaries, string directory)
    {
        var points = summaries.SelectMany(s => s.Reports).Where(r => r.ResultStatistics is not null).Select(r =>
        {
            var parameters = r.BenchmarkCase.Parameters;
            int? Param(string name) => parameters.Items.FirstOrDefault(p => p.Name == name)?.Value is int v ? v : null;
            return new Point(r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''), Param("N") ?? 1000, Param("K"), Param("B"),
                r.ResultStatistics!.Median / 1e6);
        }).ToList();
        if (points.Count == 0) return;
        Directory.CreateDirectory(directory);
        File.WriteAllLines(Path.Combine(directory, "medians.csv"),
            points.Select(p => $"\"{p.Method}\",{p.N},{p.K},{p.B},{p.MedianMs:G6}").Prepend("method,n,k,B,median_ms"));
        Draw(points, directory);
    }

    /// <summary>Redraws the plots from a medians.csv written by an earlier run (--plots-from FILE).</summary>
    public static void FromCsv(string csv)
    {
        var points = File.ReadLines(csv).Skip(1).Select(line =>
        {
            int close = line.LastIndexOf('"');
            var rest = line[(close + 2)..].Split(',');
            int? Optional(string v) => v.Length == 0 ? null : int.Parse(v);
            return new Point(line[1..close], int.Parse(rest[0]), Optional(rest[1]), Optional(rest[2]), double.Parse(rest[3]));
        }).ToList();
        Draw(points, Path.GetDirectoryName(Path.GetFullPath(csv))!);
    }

    private static void Draw(List<Point> points, string directory)
    {

        var crossEntropy = points.Where(p => p.Method == "cross_entropy").GroupBy(p => p.N)
            .Select(g => (N: g.Key, Ms: g.Min(p => p.MedianMs))).OrderBy(p => p.N).ToList();
        var smooth = points.Where(p => p.Method == "smooth_topk_svm_loss" && p.K is not null).ToList();
        var noised = points.Where(p => p.Method.StartsWith("noised_topk_loss") && p.B is not null).ToList();

        var versusN = new Plot();
        AddLine(versusN, "cross_entropy", crossEntropy.Select(p => (p.N, p.Ms)));
        foreach (var k in smooth.Select(p => p.K!.Value).Distinct().Order())
            AddLine(versusN, $"smooth top-{k} SVM", smooth.Where(p => p.K == k).Select(p => (p.N, p.MedianMs)));
        foreach (var b in noised.Select(p => p.B!.Value).Distinct().Order())
            AddLine(versusN, $"noised top-5, B={b}", noised.Where(p => p.B == b).Select(p => (p.N, p.MedianMs)));
        Finish(versusN, "forward + backward, batch 256, float32, 2 threads", "classes n", Path.Combine(directory, "time-vs-n.png"));

        var versusK = new Plot();
        foreach (var n in smooth.Select(p => p.N).Distinct().Order())
            AddLine(versusK, $"smooth SVM, n={n:N0}", smooth.Where(p => p.N == n).Select(p => (p.K!.Value, p.MedianMs)));
        Finish(versusK, "smooth top-k SVM, forward + backward, batch 256, float32", "k", Path.Combine(directory, "time-vs-k.png"));
    }

    private static void AddLine(Plot plot, string label, IEnumerable<(int X, double Ms)> values)
    {
        var ordered = values.OrderBy(v => v.X).ToArray();
        if (ordered.Length == 0) return;
        var line = plot.Add.Scatter(ordered.Select(v => Math.Log10(v.X)).ToArray(), ordered.Select(v => Math.Log10(v.Ms)).ToArray());
        line.LegendText = label;
    }

    private static void Finish(Plot plot, string title, string xLabel, string path)
    {
        var minor = new ScottPlot.TickGenerators.LogMinorTickGenerator();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { MinorTickGenerator = minor, LabelFormatter = v => $"{Math.Pow(10, v):#,0.###}" };
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { MinorTickGenerator = minor, LabelFormatter = v => $"{Math.Pow(10, v):G3}" };
        plot.Title(title);
        plot.XLabel($"{xLabel} (log scale)");
        plot.YLabel("median time, ms (log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 900, 560);
    }
}
