using TopKLoss.Cli.Data;
using TopKLoss.Cli.Models;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// One training run in its folder, shared by `train`, `compare` and `demo`: writes run.json first,
/// checkpoints and TensorBoard events during training, then the per-class CSV of the test split,
/// curves.png and, last, metrics.json: a folder with metrics.json holds a finished run.
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
        if (settings.InitWeights is { } init) CheckInitWeights(settings, init, data.Train.SampleShape, classes);
    }

    /// <summary>Loads --init-weights into a model of the run's architecture once, so that a wrong file fails before anything is written.</summary>
    private static void CheckInitWeights(TrainSettings settings, string path, int[] shape, int classes)
    {
        using var model = ModelFactory.Create(settings.Model, shape, classes, settings.UsesNormedHead);
        try { Checkpoint.LoadModel(path, model); }
        catch (Exception e) when (e is not UsageException)
        {
            string head = settings.UsesNormedHead ? "cosine" : "linear";
            throw new UsageException($"--init-weights {path}: not TorchSharp weights of this model ({settings.Model}, {head} head, {classes} classes, input [{string.Join(", ", shape)}]): {e.Message}");
        }
    }

    public static RunConfig ConfigOf(TrainSettings settings, DataBundle data) => new(
        settings, data.Train.ClassCount, data.Train.SampleShape, data.Train.ClassNames.ToArray(), data.Train.Name,
        data.TrainClassCounts, data.NominalNoise, data.RealizedFlipRate, data.Notes.ToArray());

    public static TrainResult Execute(TrainSettings settings, DataBundle data, string folder, bool resume, ITrainingProgress progress,
        CancellationToken interrupt = default)
    {
        string configPath = Path.Combine(folder, RunConfig.FileName);
        if (!resume) Json.Write(configPath, ConfigOf(settings, data));
        // A resumed run keeps the class names its run.json holds (an older version's synthetic names stay).
        var classNames = resume ? Json.Read<RunConfig>(configPath).NamesFor(data.Train) : data.Train.ClassNames;
        var tensorBoard = new TensorBoardLog(Path.Combine(folder, "tensorboard"));
        var result = new Trainer(settings, data, folder, progress, tensorBoard, interrupt).Run(resume);
        PerClassCsv.Write(Path.Combine(folder, "test-per-class.csv"), result.Test, classNames);
        if (result.History.Count > 0)
            Plots.Curves(Path.Combine(folder, "curves.png"), $"{settings.Loss} · {settings.Model} · seed {settings.Seed}", result.History, settings.LossOptions.K);
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
        return result;
    }

    /// <summary>The result of a finished run, read back from its metrics.json (compare --resume).</summary>
    public static TrainResult ReadResult(string folder)
    {
        var file = Json.Read<MetricsFile>(Path.Combine(folder, MetricsFileName));
        int[] ks = file.Test.Keys.Where(n => n.EndsWith("_micro", StringComparison.Ordinal))
            .Select(n => int.Parse(n["top".Length..^"_micro".Length], System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray();
        var test = new MetricsReport(ks, ks.Select(k => file.Test[$"top{k}_micro"]).ToArray(), ks.Select(k => file.Test[$"top{k}_macro"]).ToArray(),
            [], [], file.AbsentTestClasses ?? []);
        return new TrainResult(test, file.History, file.BestEpoch, file.BestValidation, file.Seconds);
    }

    private sealed record MetricsFile(
        [property: System.Text.Json.Serialization.JsonPropertyName("test")] Dictionary<string, double> Test,
        [property: System.Text.Json.Serialization.JsonPropertyName("history")] List<EpochRecord> History,
        [property: System.Text.Json.Serialization.JsonPropertyName("best_epoch")] int BestEpoch,
        [property: System.Text.Json.Serialization.JsonPropertyName("best_validation")] double BestValidation,
        [property: System.Text.Json.Serialization.JsonPropertyName("seconds")] double Seconds,
        [property: System.Text.Json.Serialization.JsonPropertyName("absent_test_classes")] int[]? AbsentTestClasses);
}
