using System.CommandLine;
using System.Globalization;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Models;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;
using TorchSharp;

namespace TopKLoss.Cli.Commands;

/// <summary>`topk eval`: top-k and macro top-k of a trained run's best model on a dataset's test split, per-class CSV.</summary>
public static class EvalCommand
{
    public static Command Create(CliEnvironment env, TextWriter stdout)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Run folder written by train (run.json + best-model.bin)", Required = true };
        var data = new Option<string?>("--data") { Description = "Dataset spec (default: the one the run was trained on)" };
        var ks = new Option<string>("--k") { Description = "Comma-separated ks, e.g. 1,3,5", DefaultValueFactory = _ => "1,3,5" };
        var csv = new Option<string?>("--csv") { Description = "Per-class CSV path (default <checkpoint>/eval-per-class.csv)" };
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var command = new Command("eval", "Evaluate a trained run on the test split: top-k, macro top-k, per-class CSV.");
        foreach (var o in new Option[] { checkpoint, data, ks, csv, device }) command.Options.Add(o);
        var reports = new EvalReports();
        foreach (var o in reports.All()) command.Options.Add(o);
        command.SetAction(r =>
        {
            string dir = r.GetValue(checkpoint)!;
            string configPath = Path.Combine(dir, RunConfig.FileName);
            string weights = Path.Combine(dir, Checkpoint.BestModelFileName);
            if (!Directory.Exists(dir)) throw new UsageException($"--checkpoint: folder not found: {dir}.");
            if (!File.Exists(configPath) || !File.Exists(weights))
                throw new UsageException($"--checkpoint {dir}: not a trained run ({RunConfig.FileName} and {Checkpoint.BestModelFileName} expected).");
            var config = Json.Read<RunConfig>(configPath);
            string spec = r.GetValue(data) ?? config.Settings.DataSpec;
            var dev = DeviceChoice.Resolve(OptionRanges.OneOf(r.GetValue(device)!, DeviceChoice.Names, "--device"));
            var bundle = env.OpenData(spec, new DataOptions
            {
                Seed = config.Settings.Data.Seed,
                GroupsFile = config.Settings.Data.GroupsFile,
                // Image folders are decoded at the size the model was trained on.
                ImageSize = config.SampleShape is [3, var h, _] && h > 1 ? h : null,
            });
            var test = bundle.Test;
            if (test.ClassCount != config.ClassCount || !test.SampleShape.SequenceEqual(config.SampleShape))
                throw new UsageException($"--data {spec}: {test.ClassCount} classes of shape [{string.Join(", ", test.SampleShape)}] do not match the model's {config.ClassCount} classes of shape [{string.Join(", ", config.SampleShape)}].");
            int[] kList = OptionRanges.IntList(r.GetValue(ks)!, 1, config.ClassCount, "--k");
            if (kList.Length == 0) throw new UsageException("--k must list at least one k.");
            var extra = reports.Bind(r, config.ClassCount);

            string csvPath = r.GetValue(csv) ?? Path.Combine(dir, "eval-per-class.csv");
            CheckOutputFile(csvPath, "--csv");

            CpuThreads.Apply(config.Settings.Threads, config.Settings.Model);
            torch.manual_seed(config.Settings.Seed);
            using var model = ModelFactory.Create(config.Settings.Model, config.SampleShape, config.ClassCount, config.Settings.UsesNormedHead);
            Checkpoint.LoadModel(weights, model);
            model.to(dev);
            var report = Trainer.Evaluate(model, test, kList, dev);
            PerClassCsv.Write(csvPath, report, config.NamesFor(test));   // the run's names, as predict prints them

            stdout.WriteLine($"{test.Name}: {test.Count} samples, {test.ClassCount} classes{(report.AbsentClasses.Length > 0 ? $", {report.AbsentClasses.Length} absent (left out of macro): {string.Join(" ", report.AbsentClasses)}" : "")}");
            foreach (int k in kList)
                stdout.WriteLine(string.Format(CultureInfo.InvariantCulture, "top-{0} {1:P2} (macro {2:P2})", k, report.MicroAt(k), report.MacroAt(k)));
            stdout.WriteLine($"per-class CSV: {csvPath}");
            if (extra is not null) EvalReports.Print(stdout, extra, env, config, model, test, kList, dev, dir);
            return 0;
        });
        return command;
    }

    /// <summary>A file the command will write: not a folder, and in a folder that exists (checked before the model runs).</summary>
    private static void CheckOutputFile(string path, string option)
    {
        if (Directory.Exists(path))
            throw new UsageException($"{option} {path} is a folder; give a file name, e.g. {option} {Path.Combine(path, "per-class.csv")}.");
        string? parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null && !Directory.Exists(parent))
            throw new UsageException($"{option} {path}: folder {parent} does not exist.");
    }
}
