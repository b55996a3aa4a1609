using System.CommandLine;
using System.Globalization;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;
using TopKLoss.Sets;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// `topk predict`: the answers of a trained run for new inputs — per input the top-k class names with
/// their softmax probabilities, and on request an average-k or conformal prediction set calibrated on
/// the run's validation split. Inputs: image files / folders, IDX or CIFAR record files (read as in
/// training), or a split of a dataset. Classes are named as the run's run.json stores them (synthetic:
/// "class 3"; a run of an earlier version keeps "g03-c003"), whatever data the inputs come from.
/// </summary>
public static class PredictCommand
{
    public static Command Create(CliEnvironment env, TextWriter stdout)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Run folder written by train (run.json + best-model.bin)", Required = true };
        var input = new Option<string[]>("--input") { Description = "Image files or folders (folder: runs), IDX image files (mnist runs) or CIFAR .bin files (cifar runs); repeatable", AllowMultipleArgumentsPerToken = true };
        var data = new Option<string?>("--data") { Description = "Instead of --input: a dataset spec (default: the run's own)" };
        var split = new Option<string?>("--split") { Description = "With --data: test (default), validation or train" };
        var k = new Option<int?>("--k") { Description = "How many classes to list per input, 1..C (default 5, or C when smaller)" };
        var format = new Option<string>("--format") { Description = "Output: table, csv or json", DefaultValueFactory = _ => "table" };
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var sets = new SetOptions();
        var load = new Option<string?>("--load-sets") { Description = "Apply a set predictor saved by --save-sets instead of fitting one" };
        var command = new Command("predict", "Top-k class names with probabilities, and average-k or conformal sets, for new inputs.");
        foreach (var o in new Option[] { checkpoint, input, data, split, k, format, device, load }.Concat(sets.All())) command.Options.Add(o);
        command.SetAction(r =>
        {
            var run = TrainedRun.Open(r.GetValue(checkpoint)!);
            int classes = run.Config.ClassCount;
            int top = r.GetValue(k) is { } given ? OptionRanges.IntIn(given, 1, classes, "--k") : Math.Min(5, classes);
            string outputFormat = OptionRanges.OneOf(r.GetValue(format)!, PredictionWriter.Formats, "--format");
            var request = sets.Bind(r, classes);
            SetPredictor? loaded = r.GetValue(load) is { } loadPath ? LoadSets(loadPath, classes, request) : null;
            var inputs = r.GetValue(input) ?? [];
            string? spec = r.GetValue(data), splitName = r.GetValue(split);
            if (inputs.Length > 0 && (spec is not null || splitName is not null))
                throw new UsageException("--input and --data/--split are alternatives; give one of them.");
            var dev = DeviceChoice.Resolve(OptionRanges.OneOf(r.GetValue(device)!, DeviceChoice.Names, "--device"));

            IDataset dataset;
            string[] ids;
            bool labelled;
            if (inputs.Length > 0)
                (dataset, ids, labelled) = PredictInputs.Open(inputs, run.Config);
            else
            {
                string which = OptionRanges.OneOf(splitName ?? "test", ["test", "validation", "train"], "--split");
                spec ??= run.Config.Settings.DataSpec;
                var bundle = env.OpenData(spec, run.Data);
                dataset = which switch { "train" => bundle.Train, "validation" => bundle.Validation, _ => bundle.Test };
                run.RequireCompatible(dataset, spec);
                ids = Enumerable.Range(0, dataset.Count).Select(i => $"{which}#{i}").ToArray();
                labelled = true;
            }

            using var model = run.LoadModel(dev);
            using var scope = NewDisposeScope();
            var (scores, _) = ModelScores.Of(model, dataset, dev);
            SetPredictor? predictor = loaded;
            if (request is not null)
            {
                // Calibrated on the run's own validation split (held out of training, exchangeable with its test data).
                var calibration = env.OpenData(run.Config.Settings.DataSpec, run.Data).Validation;
                run.RequireCompatible(calibration, run.Config.Settings.DataSpec);
                var (calScores, calLabels) = ModelScores.Of(model, calibration, dev);
                predictor = SetOptions.Fit(request, calScores, calLabels);
                if (request.SavePath is { } path) AtomicFile.WriteText(path, predictor.ToJson());
            }
            var predictions = Predictions(scores, predictor, ids, labelled ? dataset.Labels : null, run.Config.ClassNames, top);
            var header = new
            {
                checkpoint = run.Directory,
                inputs = predictions.Count,
                k = top,
                sets = request?.Describe() ?? (loaded is null ? null : $"{loaded.Rule} sets loaded from {r.GetValue(load)}"),
                calibration_samples = predictor?.CalibrationSamples,
                thresholds = predictor?.Thresholds,
            };
            if (outputFormat == "table")
                stdout.WriteLine($"{predictions.Count} inputs · top-{top}" +
                    (predictor is null ? "" : $" · {request?.Describe() ?? $"{predictor.Rule} sets loaded from {r.GetValue(load)}"} (calibrated on {predictor.CalibrationSamples} samples)"));
            PredictionWriter.Write(stdout, outputFormat, predictions, header);
            return 0;
        });
        return command;
    }

    private static SetPredictor LoadSets(string path, int classes, SetOptions.Request? request)
    {
        if (request is not null) throw new UsageException("--load-sets and --sets are alternatives: apply a saved predictor or fit a new one.");
        if (!File.Exists(path)) throw new UsageException($"--load-sets: file not found: {path}.");
        var predictor = SetPredictor.FromJson(File.ReadAllText(path));
        if (predictor.NumClasses != classes)
            throw new UsageException($"--load-sets {path}: the predictor is for {predictor.NumClasses} classes but the model has {classes}.");
        return predictor;
    }

    /// <summary>
    /// Ranks classes by score (equal scores in ascending class order, as the library's top-k sets),
    /// with softmax probabilities in float64; the set's members are listed in that same order.
    /// </summary>
    public static List<Prediction> Predictions(Tensor scores, SetPredictor? predictor, string[] ids, IReadOnlyList<int>? labels,
        IReadOnlyList<string> classNames, int k)
    {
        int n = (int)scores.shape[1];
        var s = scores.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        var p = scores.to_type(ScalarType.Float64).softmax(1).contiguous().data<double>().ToArray();
        bool[]? members = predictor?.Predict(scores).contiguous().data<bool>().ToArray();
        var result = new List<Prediction>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            int start = i * n;
            var order = Enumerable.Range(0, n).OrderByDescending(c => s[start + c]).ThenBy(c => c).ToArray();
            var rankedTop = order.Take(k).Select(c => new RankedClass(c, classNames[c], p[start + c])).ToArray();
            string[]? set = members is null ? null : order.Where(c => members[start + c]).Select(c => classNames[c]).ToArray();
            result.Add(new Prediction(ids[i], labels is null ? null : classNames[labels[i]], rankedTop, set));
        }
        return result;
    }
}
