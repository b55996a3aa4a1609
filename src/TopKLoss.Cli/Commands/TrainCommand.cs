using System.CommandLine;
using System.Globalization;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Commands;

/// <summary>`topk train`: one model, one loss; checkpoints every epoch; --resume continues a run.</summary>
public static class TrainCommand
{
    public static Command Create(CliEnvironment env, TextWriter stdout)
    {
        var options = new TrainOptions();
        var loss = new Option<string>("--loss") { Description = "Loss: " + LossRegistry.Describe(), DefaultValueFactory = _ => "ce" };
        var output = new Option<string?>("--out") { Description = "Run folder (default runs/<timestamp>-<loss>); never overwritten without --force" };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint (settings from its run.json; --epochs may extend it)" };
        var force = new Option<bool>("--force") { Description = "Replace the topk run in --out (never a folder holding files topk did not write)" };
        var command = new Command("train", "Train a model with one loss; report top-k and macro top-k on the test split.");
        foreach (var o in options.All()) command.Options.Add(o);
        command.Options.Add(loss);
        command.Options.Add(output);
        command.Options.Add(resume);
        command.Options.Add(force);
        command.SetAction(r =>
        {
            bool isResume = r.GetValue(resume);
            string? outDir = r.GetValue(output);
            TrainSettings settings;
            if (isResume)
            {
                if (outDir is null) throw new UsageException("--resume needs --out DIR naming the run to continue.");
                string config = Path.Combine(outDir, RunConfig.FileName);
                if (!File.Exists(config) || !File.Exists(Path.Combine(outDir, Checkpoint.FileName)))
                    throw new UsageException($"--resume: {outDir} holds no resumable run (run.json and {Checkpoint.FileName} expected).");
                settings = Json.Read<RunConfig>(config).Settings;
                if (r.GetResult(options.Epochs) is { Implicit: false })
                    settings = settings with { Epochs = OptionRanges.IntIn(r.GetValue(options.Epochs), 1, 100_000, "--epochs") };
            }
            else
            {
                string lossName = OptionRanges.OneOf(r.GetValue(loss)!, LossRegistry.Names, "--loss");
                settings = InputPaths.Absolute(options.Bind(r, lossName));
            }
            var data = env.OpenData(settings.DataSpec, isResume ? ResumeDataOptions(outDir!, settings) : settings.Data);
            TrainRun.Validate(settings, data);
            string folder = outDir ?? RunFolder.Default(settings.Loss, env.Now());
            if (!isResume) RunFolder.Check(folder, r.GetValue(force), RunKind.Train, InputPaths.Of(settings));

            // Every input is checked: only now is an old run moved aside and the new folder made.
            using var protect = env.Signals.Protect();
            var claimed = isResume ? null : RunFolder.Claim(folder, RunKind.Train);
            TrainResult result;
            try
            {
                result = ProgressHost.Run(stdout, env.Interactive, progress => TrainRun.Execute(settings, data, folder, isResume, progress(), env.Signals.Token));
            }
            catch (RunInterruptedException stop)
            {
                claimed?.Close();
                throw new CommandInterruptedException(InterruptedMessage(folder, stop));
            }
            catch
            {
                // A run that failed before its first checkpoint leaves the folder as it found it.
                claimed?.Close();
                throw;
            }
            claimed?.Close();
            stdout.WriteLine(Summary(settings, result, data.NominalNoise, data.RealizedFlipRate));
            stdout.WriteLine($"run folder: {folder} (run.json, checkpoint.bin, best-model.bin, metrics.json, curves.png, test-per-class.csv, tensorboard/)");
            return 0;
        });
        return command;
    }

    /// <summary>What an interrupted train run left, and the command that continues it.</summary>
    internal static string InterruptedMessage(string folder, RunInterruptedException stop) =>
        OutputFolder.HoldsProgress(folder)
            ? $"interrupted in epoch {stop.Epoch}; {folder} keeps its last checkpoint: continue with `topk train --out {folder} --resume`."
            : $"interrupted in epoch {stop.Epoch}, before the first checkpoint; nothing was kept: run the same command again.";

    /// <summary>A resumed image-folder run decodes at the size it was trained at, whatever the default says now.</summary>
    internal static Data.DataOptions ResumeDataOptions(string folder, TrainSettings settings)
    {
        var shape = Json.Read<RunConfig>(Path.Combine(folder, RunConfig.FileName)).SampleShape;
        return shape is [3, var h, _] && h > 1 ? settings.Data with { ImageSize = h } : settings.Data;
    }

    private static string Summary(TrainSettings s, TrainResult result, double nominal, double realized)
    {
        var ci = CultureInfo.InvariantCulture;
        var parts = result.Test.Ks.Select(k => string.Format(ci, "top-{0} {1:P2} (macro {2:P2})", k, result.Test.MicroAt(k), result.Test.MacroAt(k)));
        return string.Format(ci, "test [{0}, best epoch {1}/{2}, noise p={3} realized {4:P1}]: {5}",
            s.Loss, result.BestEpoch, s.Epochs, nominal, realized, string.Join(", ", parts));
    }
}
