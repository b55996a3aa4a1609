using TopKLoss.Cli.Data;
using TopKLoss.Cli.Models;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Commands;

/// <summary>A run folder written by `train`: its run.json and best model, checked on opening.</summary>
public sealed record TrainedRun(string Directory, RunConfig Config, string Weights)
{
    public static TrainedRun Open(string directory)
    {
        string configPath = Path.Combine(directory, RunConfig.FileName);
        string weights = Path.Combine(directory, Checkpoint.BestModelFileName);
        if (!System.IO.Directory.Exists(directory)) throw new UsageException($"--checkpoint: folder not found: {directory}.");
        if (!File.Exists(configPath) || !File.Exists(weights))
            throw new UsageException($"--checkpoint {directory}: not a trained run ({RunConfig.FileName} and {Checkpoint.BestModelFileName} expected).");
        return new TrainedRun(directory, Json.Read<RunConfig>(configPath), weights);
    }

    /// <summary>The run's data options with image folders decoded at the size the model was trained on.</summary>
    public DataOptions Data => Config.Settings.Data with { ImageSize = Config.SampleShape is [3, var h, _] && h > 1 ? h : null };

    /// <summary>The best model, on <paramref name="device"/>, with the run's thread setting.</summary>
    public nn.Module<Tensor, Tensor> LoadModel(Device device)
    {
        CpuThreads.Apply(Config.Settings.Threads, Config.Settings.Model);
        torch.manual_seed(Config.Settings.Seed);
        var model = ModelFactory.Create(Config.Settings.Model, Config.SampleShape, Config.ClassCount, Config.Settings.UsesNormedHead);
        Checkpoint.LoadModel(Weights, model);
        model.to(device);
        return model;
    }

    /// <summary>Checks that <paramref name="split"/> fits the model (class count and sample shape).</summary>
    public void RequireCompatible(IDataset split, string spec)
    {
        if (split.ClassCount != Config.ClassCount || !split.SampleShape.SequenceEqual(Config.SampleShape))
            throw new UsageException($"--data {spec}: {split.ClassCount} classes of shape [{string.Join(", ", split.SampleShape)}] do not match the model's {Config.ClassCount} classes of shape [{string.Join(", ", Config.SampleShape)}].");
    }
}
