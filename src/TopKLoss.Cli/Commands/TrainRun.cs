using TopKLoss.Cli.Data;
using TopKLoss.Cli.Models;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// One training run in its folder, shared by `train`, `compare` and `demo`: writes run.json first,
/// checkpoints and TensorBoard events during training, then metrics.json, curves.png and the
/// per-class CSV of the test split.
/// </summary>
public static class TrainRun
{
    public const string MetricsFileName = "metrics.json";

    /// <summary>Checks data against the settings before any folder is created.</summary>
    public static void Validate(TrainSettings settings, DataBundle data)
    {
        int classes = data.Train.ClassCount;
        if (classes < 2)
            throw new UsageException($"--data {settings.DataSpec}: needs at least 2 classes; got {classes}.");
        if (data.Test.ClassCount != classes || data.Validation.ClassCount != classes)
            throw new UsageException($"--data {settings.DataSpec}: train, validation and test splits disagree on the class count.");
        if (data.Train.Count == 0 || data.Validation.Count == 0 || data.Test.Count == 0)
            throw new UsageException($"--data {settings.DataSpec}: a split is empty (train {data.Train.Count}, validation {data.Validation.Count}, test {data.Test.Count}).");
        LossRegistry.Validate(settings.Loss, settings.LossOptions.K, classes);
        LossRegistry.ValidateOptions(settings.Loss, settings.LossOptions, classes);
        ModelFactory.Validate(settings.Model, data.Train.SampleShape);
    }

    public static RunConfig ConfigOf(TrainSettings settings, DataBundle data) => new(
        settings, data.Train.ClassCount, data.Train.SampleShape, data.Train.ClassNames.ToArray(), data.Train.Name,
        data.TrainClassCounts, data.NominalNoise, data.RealizedFlipRate, data.Notes.ToArray());

    public static TrainResult Execute(TrainSettings settings, DataBundle data, string folder, bool resume, ITrainingProgress progress)
    {
        if (!resume) Json.Write(Path.Combine(folder, RunConfig.FileName), ConfigOf(settings, data));
        var tensorBoard = new TensorBoardLog(Path.Combine(folder, "tensorboard"));
        var result = new Trainer(settings, data, folder, progress, tensorBoard).Run(resume);
        Json.Write(Path.Combine(folder, MetricsFileName), new
        {
            loss = settings.Loss,
            model = settings.Model,
            seed = settings.Seed,
            k = settings.LossOptions.K,
            best_epoch = result.BestEpoch,
            best_validation = result.BestValidationMetric,
            test = Json.Named(result.Test),
            absent_test_classes = result.Test.AbsentClasses,
            nominal_noise = data.NominalNoise,
            realized_flip_rate = data.RealizedFlipRate,
            seconds = result.Seconds,
            history = result.History,
        });
        PerClassCsv.Write(Path.Combine(folder, "test-per-class.csv"), result.Test, data.Train.ClassNames);
        if (result.History.Count > 0)
            Plots.Curves(Path.Combine(folder, "curves.png"), $"{settings.Loss} · {settings.Model} · seed {settings.Seed}", result.History, settings.LossOptions.K);
        return result;
    }
}
