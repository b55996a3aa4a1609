using System.Globalization;
using System.Text;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// `compare`'s optional reports (--sets, --calibration, --shot-table): each run's best model is
/// reloaded from its folder and measured on its seed's test split; the table gives mean ± std over
/// seeds (plain values, not %), reports.json the per-run values, and each run folder its reliability.png.
/// </summary>
public static class CompareReports
{
    public const string FileName = "reports.json";

    public static void Write(TextWriter stdout, EvalReports.Request request, string folder, IReadOnlyList<string> losses, int[] seeds,
        IReadOnlyList<DataBundle> bundles, int[] ks, string device)
    {
        var dev = DeviceChoice.Resolve(device);
        var runs = new List<(string Loss, int Seed, Dictionary<string, double> Values)>();
        foreach (var loss in losses)
            for (int i = 0; i < seeds.Length; i++)
            {
                string runDir = Path.Combine(folder, loss, $"seed{seeds[i]}");
                var run = TrainedRun.Open(runDir);
                using var model = run.LoadModel(dev);
                var result = EvalReports.Compute(request, model, bundles[i].Test, bundles[i].Validation, run.Config.TrainClassCounts, ks, dev);
                if (result.Calibration is { } calibration)
                    ReliabilityDiagram.Write(Path.Combine(runDir, "reliability.png"), $"{loss} · seed {seeds[i]}", calibration);
                runs.Add((loss, seeds[i], EvalReports.Named(result)));
            }
        var names = runs[0].Values.Keys.ToArray();
        var text = new StringBuilder();
        var header = new[] { "loss" }.Concat(names).ToArray();
        var rows = losses.Select(loss => new[] { loss }.Concat(names.Select(name =>
        {
            var (mean, std) = ResultsTable.MeanStd(runs.Where(r => r.Loss == loss).Select(r => r.Values[name]).ToList());
            return string.Format(CultureInfo.InvariantCulture, "{0:F4} ± {1:F4}", mean, std);
        })).ToArray()).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            text.AppendLine(string.Join(" | ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))));
        text.AppendLine($"(mean ± std over {seeds.Length} seed{(seeds.Length == 1 ? "" : "s")}, test split{(request.Sets is { } s ? $"; {s.Describe()} fitted on each run's validation split" : "")})");
        stdout.Write(text);
        Json.Write(Path.Combine(folder, FileName), new
        {
            sets = request.Sets?.Describe(),
            many_shot = request.Shots ? request.Many : (long?)null,
            few_shot = request.Shots ? request.Few : (long?)null,
            runs = runs.Select(r => new { loss = r.Loss, seed = r.Seed, test = r.Values }).ToArray(),
        });
        stdout.WriteLine($"wrote {Path.Combine(folder, FileName)}{(request.Calibration ? " and <loss>/seed<s>/reliability.png" : "")}");
    }
}
