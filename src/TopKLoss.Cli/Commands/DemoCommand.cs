using System.CommandLine;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// `topk demo`: the main job in one command. Cross-entropy vs smooth top-5 SVM vs noised top-5 on
/// the embedded synthetic dataset, 3 seeds, label noise p = 0.4 inside the true superclasses, an
/// MLP; a preset sized to finish in about two minutes on a 2-core CPU.
/// </summary>
public static class DemoCommand
{
    public static TrainSettings Preset => new()
    {
        DataSpec = "synthetic",
        Data = new DataOptions { Noise = 0.4, NoiseGroups = "coarse", Seed = 1 },
        Model = "mlp",
        LossOptions = new LossOptions { K = 5 },
        Epochs = 20,
        BatchSize = 128,
        LearningRate = 0.1,
        Momentum = 0.9,
        WeightDecay = 1e-4,
        Milestones = [15],
        Seed = 1,
    };

    public static readonly string[] Losses = ["ce", "smooth-svm", "noised"];

    public static Command Create(CliEnvironment env, TextWriter stdout)
    {
        var output = new Option<string?>("--out") { Description = "Folder (default runs/<timestamp>-demo)" };
        var force = new Option<bool>("--force") { Description = "Replace the topk run in --out (never a folder holding files topk did not write)" };
        var command = new Command("demo",
            "Compare cross-entropy, smooth top-5 SVM and noised top-5 on the embedded synthetic dataset " +
            "(100 classes in 20 superclasses, label noise p=0.4 within superclasses, MLP, 3 seeds).");
        command.Options.Add(output);
        command.Options.Add(force);
        command.SetAction(r => CompareCommand.Run(env, stdout,
            new CompareCommand.Plan(Preset, Losses, 3, [1, 5], r.GetValue(output), r.GetValue(force), "demo")));
        return command;
    }
}
