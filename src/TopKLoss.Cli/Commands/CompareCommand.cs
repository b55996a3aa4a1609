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
    public const string PlanFileName = "plan.json";

    /// <summary>What a comparison runs; the demo builds one of these from its preset.</summary>
    public sealed record Plan(TrainSettings Template, string[] Losses, int Seeds, int[] ReportKs, string? Out, bool Force, string Name,
        EvalReports.Request? Reports = null, bool Resume = false);

    /// <summary>plan.json: what `compare --resume` needs to finish a comparison exactly as it was started.</summary>
    private sealed record StoredPlan(TrainSettings Template, string[] Losses, int Seeds, int[] ReportKs, string Name, EvalReports.Request? Reports = null);

    public static Command Create(CliEnvironment env, TextWriter stdout)
    {
        var options = new TrainOptions();
        var losses = new Option<string>("--losses") { Description = "Comma-separated losses: " + string.Join(", ", LossRegistry.Names), DefaultValueFactory = _ => "ce,smooth-svm" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per loss, 1..100 (seed, seed+1, ...)", DefaultValueFactory = _ => 3 };
        var reportKs = new Option<string?>("--report-k") { Description = "ks of the table's micro top-k columns (default 1 and --k); macro top-k is at --k" };
        var output = new Option<string?>("--out") { Description = "Comparison folder (default runs/<timestamp>-compare); never overwritten without --force" };
        var force = new Option<bool>("--force") { Description = "Replace an existing comparison in --out (never a folder holding other files)" };
        var resume = new Option<bool>("--resume") { Description = "Finish the comparison in --out: finished runs are kept, the interrupted one resumed (settings from its plan.json)" };
        var command = new Command("compare", "Compare losses on the same data, splits and seeds: table, bar plot, results.json.");
        foreach (var o in options.All()) command.Options.Add(o);
        foreach (var o in new Option[] { losses, seeds, reportKs, output, force, resume }) command.Options.Add(o);
        var reports = new EvalReports(alphaName: "--set-alpha");
        foreach (var o in reports.All()) command.Options.Add(o);
        command.SetAction(r =>
        {
            if (r.GetValue(resume))
                return Run(env, stdout, StoredPlanOf(r.GetValue(output) ?? throw new UsageException("--resume needs --out DIR naming the comparison to finish.")));
            var names = r.GetValue(losses)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0) throw new UsageException("--losses must name at least one loss.");
            foreach (var n in names) OptionRanges.OneOf(n, LossRegistry.Names, "--losses");
            if (names.Distinct().Count() != names.Length) throw new UsageException("--losses lists a loss twice.");
            var template = InputPaths.Absolute(options.Bind(r, names[0]));
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
        if (!plan.Resume) RunFolder.Check(folder, plan.Force, RunKind.Compare, InputPaths.Of(t));

        // Every input is checked: only now is an old comparison moved aside and the new folder made.
        using var protect = env.Signals.Protect();
        var claimed = plan.Resume ? null : RunFolder.Claim(folder, RunKind.Compare);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var results = new List<(string Loss, int Seed, TrainResult Result)>();
        string current = "";
        try
        {
            if (!plan.Resume) Json.Write(Path.Combine(folder, PlanFileName), new StoredPlan(t, plan.Losses, plan.Seeds, plan.ReportKs, plan.Name, plan.Reports));
            ProgressHost.Run(stdout, env.Interactive, progress =>
            {
                foreach (var loss in plan.Losses)
                    for (int i = 0; i < seeds.Length; i++)
                    {
                        var settings = t with { Loss = loss, Seed = seeds[i], Data = t.Data with { Seed = seeds[i] } };
                        string runDir = Path.Combine(folder, loss, $"seed{seeds[i]}");
                        current = $"{loss} seed {seeds[i]}";
                        results.Add((loss, seeds[i], RunOne(env, settings, bundles[i], runDir, progress())));
                    }
                return 0;
            });
        }
        catch (RunInterruptedException stop)
        {
            claimed?.Close();
            throw new CommandInterruptedException(OutputFolder.HoldsProgress(folder)
                ? $"interrupted in {current}, epoch {stop.Epoch}; {folder} keeps the finished runs and the last checkpoint: continue with `topk compare --out {folder} --resume`."
                : $"interrupted in {current}, epoch {stop.Epoch}, before the first checkpoint; nothing was kept: run the same command again.");
        }
        catch
        {
            claimed?.Close();
            throw;
        }
        claimed?.Close();

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
        string header = string.Format(CultureInfo.InvariantCulture, "{0} · {1} · k={2} · noise p={3} ({4}) realized {5:P1} · {6} · {7}",
            t.DataSpec, t.Model, k, data.NominalNoise, t.Data.NoiseGroups, data.RealizedFlipRate, Words.Count(t.Epochs, "epoch"), Words.Count(plan.Seeds, "seed"));
        AtomicFile.WriteText(Path.Combine(folder, "table.txt"), header + Environment.NewLine + table);
        // Plot titles name the dataset without its folder, which would not fit.
        string title = string.Format(CultureInfo.InvariantCulture, "{0} · {1} · k={2} · noise p={3} ({4}) · {5}",
            t.DataSpec.Split(':')[0], t.Model, k, data.NominalNoise, Path.GetFileName(t.Data.NoiseGroups), Words.Count(plan.Seeds, "seed"));
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
        stdout.WriteLine($"wrote {folder}: results.json, table.txt, bars.png, curves.png; per run <loss>/seed<s>/ (metrics.json, best-model.bin, curves.png, tensorboard/)");
        if (plan.Reports is { } requested) CompareReports.Write(stdout, requested, folder, plan.Losses, seeds, bundles, evalKs, t.Device);
        return 0;
    }

    /// <summary>
    /// One run of the comparison: read back when finished (metrics.json), resumed from its checkpoint
    /// when interrupted, else started afresh. A finished run's checkpoint is deleted: best-model.bin
    /// (for eval) and metrics.json are what a comparison keeps, at a third of the disk space.
    /// </summary>
    private static TrainResult RunOne(CliEnvironment env, TrainSettings settings, Data.DataBundle data, string runDir, Reporting.ITrainingProgress progress)
    {
        if (File.Exists(Path.Combine(runDir, TrainRun.MetricsFileName))) return TrainRun.ReadResult(runDir);
        bool resume = File.Exists(Path.Combine(runDir, Checkpoint.FileName));
        if (!resume) RunFolder.Restart(runDir);
        var result = TrainRun.Execute(settings, data, runDir, resume, progress, env.Signals.Token);
        File.Delete(Path.Combine(runDir, Checkpoint.FileName));
        return result;
    }

    private static Plan StoredPlanOf(string folder)
    {
        string path = Path.Combine(folder, PlanFileName);
        if (!RunFolder.IsMarked(folder) || !File.Exists(path))
            throw new UsageException($"--resume: {folder} holds no comparison to finish ({PlanFileName} expected).");
        var stored = Json.Read<StoredPlan>(path);
        return new Plan(stored.Template, stored.Losses, stored.Seeds, stored.ReportKs, folder, Force: false, stored.Name, stored.Reports, Resume: true);
    }
}
