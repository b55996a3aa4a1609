using System.Globalization;
using System.Text;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// `compare`'s optional reports (--sets, --calibration, --shot-table): each run's best model is
/// reloaded from its folder and measured on its seed's test split. The table gives mean ± std over
/// seeds in the units of the other tables: coverages (micro, macro, worst class) and the
/// many/medium/few-shot macro top-k accuracies and the ECE in % with two decimals, as
/// <see cref="ResultsTable"/> and eval print them; the mean set size in classes (three decimals, as
/// eval), a plain number; a footnote says which. reports.json holds the
/// per-run values as raw fractions (coverage 0.9, not 90), for machines; each run folder gets its reliability.png.
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
        stdout.Write(Table(losses, runs.Select(r => (r.Loss, r.Values)).ToList(), seeds.Length, request.Sets?.Describe()));
        Json.Write(Path.Combine(folder, FileName), new
        {
            sets = request.Sets?.Describe(),
            many_shot = request.Shots ? request.Many : (long?)null,
            few_shot = request.Shots ? request.Few : (long?)null,
            runs = runs.Select(r => new { loss = r.Loss, seed = r.Seed, test = r.Values }).ToArray(),
        });
        stdout.WriteLine($"wrote {Path.Combine(folder, FileName)} (per-run values as fractions){(request.Calibration ? " and <loss>/seed<s>/reliability.png" : "")}");
    }

    /// <summary>
    /// The table: one row per loss, one column per reported value (the names of reports.json), each
    /// cell the mean ± std of that loss's runs (<see cref="Cell"/>), then the footnote with the units.
    /// </summary>
    public static string Table(IReadOnlyList<string> losses, IReadOnlyList<(string Loss, Dictionary<string, double> Values)> runs, int seeds,
        string? setsDescription)
    {
        var names = runs[0].Values.Keys.ToArray();
        var header = new[] { "loss" }.Concat(names).ToArray();
        var rows = losses.Select(loss => new[] { loss }.Concat(names.Select(name =>
        {
            var (mean, std) = ResultsTable.MeanStd(runs.Where(r => r.Loss == loss).Select(r => r.Values[name]).ToList());
            return Cell(name, mean, std);
        })).ToArray()).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        for (int r = 0; r < rows.Count; r++)
        {
            text.AppendLine(string.Join(" | ", rows[r].Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))));
            if (r == 0) text.AppendLine(string.Join("-|-", widths.Select(w => new string('-', w))));
        }
        text.AppendLine(Footnote(names, seeds, setsDescription));
        return text.ToString();
    }

    /// <summary>The one reported value that is not a fraction: printed as a plain number, not in %.</summary>
    private const string MeanSize = "set_mean_size", Ece = "ece";

    /// <summary>One "mean ± std" cell: accuracies, coverages and the ECE in % (F2, as eval prints them), the mean set size in classes (F3).</summary>
    public static string Cell(string name, double mean, double std) => name switch
    {
        MeanSize => string.Format(CultureInfo.InvariantCulture, "{0:F3} ± {1:F3}", mean, std),
        _ => string.Format(CultureInfo.InvariantCulture, "{0:F2} ± {1:F2}", 100 * mean, 100 * std),
    };

    /// <summary>The table's last line: the units of its columns, the seeds and split, how the sets were made.</summary>
    private static string Footnote(IReadOnlyList<string> names, int seeds, string? setsDescription)
    {
        var units = new List<string>();
        bool coverage = names.Any(n => n.StartsWith("set_", StringComparison.Ordinal) && n != MeanSize);
        bool accuracy = names.Any(n => n.EndsWith("_macro", StringComparison.Ordinal));
        if (coverage || accuracy)
            units.Add((coverage && accuracy ? "coverage and accuracy" : coverage ? "coverage" : "accuracy") + " in %");
        if (names.Contains(MeanSize)) units.Add($"{MeanSize} in classes");
        if (names.Contains(Ece)) units.Add($"{Ece} in %");
        return $"({string.Join(", ", units)}; mean ± std over {seeds} seed{(seeds == 1 ? "" : "s")}, test split"
            + (setsDescription is null ? "" : $"; {setsDescription} fitted on each run's validation split") + ")";
    }
}
