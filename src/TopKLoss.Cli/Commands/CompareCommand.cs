using System.CommandLine;
using System.Globalization;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// `topk compare`: several losses × several seeds on the same data, splits and seeds; a table of
/// mean ± std, a bar plot, validation curves and results.json, like the papers' tables.
/// </summary>
public static class CompareCommand
{
    /// <summary>What a comparison runs; the demo builds one of these from its preset.</summary>
    public sealed record Plan(TrainSettings Template, string[] Losses, int Seeds, int[] ReportKs, string? Out, bool Force, string Name,
        EvalReports.Request? Reports = null);

    public static Command Create(CliEnvironment env, TextWriter stdout)
    {
        var options = new TrainOptions();
        var losses = new Option<string>("--losses") { Description = "Comma-separated losses: " + string.Join(", ", LossRegistry.Names), DefaultValueFactory = _ => "ce,smooth-svm" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per loss, 1..100 (seed, seed+1, ...)", DefaultValueFactory = _ => 3 };
        var reportKs = new Option<string?>("--report-k") { Description = "ks of the table's micro top-k columns (default 1 and --k); macro top-k is at --k" };
        var output = new Option<string?>("--out") { Description = "Comparison folder (default runs/<timestamp>-compare); never overwritten without --force" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing --out folder" };
        var command = new Command("compare", "Compare losses on the same data, splits and seeds: table, bar plot, results.json.");
        foreach (var o in options.All()) command.Options.Add(o);
        foreach (var o in new Option[] { losses, seeds, reportKs, output, force }) command.Options.Add(o);
        var reports = new EvalReports(alphaName: "--set-alpha");
        foreach (var o in reports.All()) command.Options.Add(o);
        command.SetAction(r =>
        {
            var names = r.GetValue(losses)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0) throw new UsageException("--losses must name at least one loss.");
            foreach (var n in names) OptionRanges.OneOf(n, LossRegistry.Names, "--losses");
            if (names.Distinct().Count() != names.Length) throw new UsageException("--losses lists a loss twice.");
            var template = options.Bind(r, names[0]);
            int nSeeds = OptionRanges.IntIn(r.GetValue(seeds), 1, 100, "--seeds");
            int k = template.LossOptions.K;
            int[] ks = r.GetValue(reportKs) is { } text ? OptionRanges.IntList(text, 1, 1_000_000, "--report-k") : (k == 1 ? [1] : [1, k]);
            return Run(env, stdout, new Plan(template, names, nSeeds, ks, r.GetValue(output), r.GetValue(force), "compare",
                reports.Bind(r, int.MaxValue)));
        });
        return command;
    }

    public static int Run(CliEnvironment env, TextWriter stdout, Plan plan)
    {
        var t = plan.Template;
        int k = t.LossOptions.K;
        // Open every seed's data (splits and noise depend on the seed) and check all runs before creating anything.
        var seeds = Enumerable.Range(t.Seed, plan.Seeds).ToArray();
        var bundles = seeds.Select(s => env.OpenData(t.DataSpec, t.Data with { Seed = s })).ToArray();
        foreach (var loss in plan.Losses) TrainRun.Validate(t with { Loss = loss }, bundles[0]);
        int classes = bundles[0].Train.ClassCount;
        foreach (int rk in plan.ReportKs)
            if (rk >= classes && rk != 1) throw new UsageException($"--report-k {rk} must be below the class count {classes}.");
        int[] evalKs = plan.ReportKs.Append(k).Distinct().Order().ToArray();
        plan.Reports?.Check(classes);

        string folder = plan.Out ?? RunFolder.Default(plan.Name, env.Now());
        bool created = RunFolder.Create(folder, plan.Force);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var results = new List<(string Loss, int Seed, TrainResult Result)>();
        try
        {
            ProgressHost.Run(stdout, env.Interactive, progress =>
            {
                foreach (var loss in plan.Losses)
                    for (int i = 0; i < seeds.Length; i++)
                    {
                        var settings = t with { Loss = loss, Seed = seeds[i], Data = t.Data with { Seed = seeds[i] } };
                        string runDir = Path.Combine(folder, loss, $"seed{seeds[i]}");
                        Directory.CreateDirectory(runDir);
                        results.Add((loss, seeds[i], TrainRun.Execute(settings, bundles[i], runDir, resume: false, progress())));
                    }
                return 0;
            });
        }
        catch
        {
            if (results.Count == 0) RunFolder.RemoveIfCreated(folder, created);
            throw;
        }

        var metrics = plan.ReportKs.Select(rk => $"top-{rk}").Append($"macro top-{k}").ToArray();
        var mean = new double[plan.Losses.Length, metrics.Length];
        var std = new double[plan.Losses.Length, metrics.Length];
        for (int l = 0; l < plan.Losses.Length; l++)
        {
            var runs = results.Where(x => x.Loss == plan.Losses[l]).Select(x => x.Result.Test).ToList();
            for (int m = 0; m < metrics.Length; m++)
                (mean[l, m], std[l, m]) = ResultsTable.MeanStd(runs.Select(rep => m < plan.ReportKs.Length ? rep.MicroAt(plan.ReportKs[m]) : rep.MacroAt(k)).ToList());
        }
        string table = ResultsTable.Format(plan.Losses, metrics, mean, std, plan.Seeds);
        var data = bundles[0];
        string header = string.Format(CultureInfo.InvariantCulture, "{0} · {1} · k={2} · noise p={3} ({4}) realized {5:P1} · {6} epochs · {7} seeds",
            t.DataSpec, t.Model, k, data.NominalNoise, t.Data.NoiseGroups, data.RealizedFlipRate, t.Epochs, plan.Seeds);
        AtomicFile.WriteText(Path.Combine(folder, "table.txt"), header + Environment.NewLine + table);
        // Plot titles name the dataset without its folder, which would not fit.
        string title = string.Format(CultureInfo.InvariantCulture, "{0} · {1} · k={2} · noise p={3} ({4}) · {5} seeds",
            t.DataSpec.Split(':')[0], t.Model, k, data.NominalNoise, Path.GetFileName(t.Data.NoiseGroups), plan.Seeds);
        Plots.Bars(Path.Combine(folder, "bars.png"), title, plan.Losses, metrics, mean, std);
        var curves = plan.Losses.ToDictionary(l => l, l =>
        {
            var h = results.Where(x => x.Loss == l).Select(x => x.Result.History).ToList();
            int epochs = h.Min(x => x.Count);
            return Enumerable.Range(0, epochs).Select(e => h.Average(x => x[e].ValidationTopK)).ToArray();
        });
        Plots.CompareCurves(Path.Combine(folder, "curves.png"), title, curves, k);
        Json.Write(Path.Combine(folder, "results.json"), new
        {
            data = t.DataSpec,
            model = t.Model,
            k,
            epochs = t.Epochs,
            seeds,
            nominal_noise = data.NominalNoise,
            noise_groups = t.Data.NoiseGroups,
            realized_flip_rate = bundles.Select(b => b.RealizedFlipRate).ToArray(),
            data_notes = data.Notes,
            settings = t,
            wall_seconds = clock.Elapsed.TotalSeconds,
            summary = plan.Losses.Select((l, li) => new
            {
                loss = l,
                metrics = metrics.Select((m, mi) => new { metric = m, mean = mean[li, mi], std = std[li, mi] }).ToArray(),
            }).ToArray(),
            runs = results.Select(x => new { loss = x.Loss, seed = x.Seed, best_epoch = x.Result.BestEpoch, test = Json.Named(x.Result.Test), seconds = x.Result.Seconds }).ToArray(),
        });
        stdout.WriteLine(header);
        stdout.Write(table);
        stdout.WriteLine($"wrote {folder}: results.json, table.txt, bars.png, curves.png; per run <loss>/seed<s>/ (metrics.json, curves.png, tensorboard/)");
        if (plan.Reports is { } requested) CompareReports.Write(stdout, requested, folder, plan.Losses, seeds, bundles, evalKs, t.Device);
        return 0;
    }
}
