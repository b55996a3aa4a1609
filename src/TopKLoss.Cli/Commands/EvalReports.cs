using System.CommandLine;
using System.Globalization;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Training;
using TopKLoss.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// The reports `eval` and `compare` add on request: prediction-set coverage and size (sets fitted on
/// the run's validation split), expected calibration error with a reliability diagram, and the
/// many/medium/few-shot table by training count.
/// </summary>
public sealed class EvalReports
{
    public readonly SetOptions Sets;
    public readonly Option<bool> Calibration = new("--calibration") { Description = "Report ECE (15 equal-width bins) and write a reliability diagram PNG" };
    public readonly Option<bool> ShotTable = new("--shot-table") { Description = "Report macro top-k over many/medium/few-shot classes by training count" };
    public readonly Option<int> ManyShot = new("--many-shot") { Description = "--shot-table: many-shot classes have more than this many training samples", DefaultValueFactory = _ => 100 };
    public readonly Option<int> FewShot = new("--few-shot") { Description = "--shot-table: few-shot classes have fewer than this many training samples", DefaultValueFactory = _ => 20 };

    /// <param name="alphaName">Name of the conformal α option (compare: --set-alpha, since --alpha is the SVM margin there).</param>
    public EvalReports(string alphaName = "--alpha") => Sets = new SetOptions(alphaName);

    public IEnumerable<Option> All() => Sets.All().Concat([Calibration, ShotTable, ManyShot, FewShot]);

    /// <summary>What was asked for; null when nothing.</summary>
    public sealed record Request(SetOptions.Request? Sets, bool Calibration, bool Shots, long Many, long Few)
    {
        /// <summary>The checks that need the class count, for commands that learn it only once the data are open.</summary>
        public void Check(int classCount)
        {
            if (Sets is { } s && s.SetSize > classCount)
                throw new UsageException($"--set-size must be in (0, {classCount}] (the class count); got {s.SetSize.ToString(CultureInfo.InvariantCulture)}.");
            if (Sets is { } r && r.KReg > classCount)
                throw new UsageException($"--raps-k-reg must be an integer in [0, {classCount}]; got {r.KReg}.");
        }
    }

    /// <summary>What one model scored on its test split.</summary>
    public sealed record Result(string? SetsDescription, SetReport? Sets, CalibrationReport? Calibration, LongTailReport? Shots, int[] Ks);

    public Request? Bind(ParseResult r, int classCount)
    {
        var sets = Sets.Bind(r, classCount);
        if (sets?.SavePath is not null) throw new UsageException("--save-sets belongs to predict; eval and compare report the sets' coverage and size.");
        int many = OptionRanges.IntIn(r.GetValue(ManyShot), 0, int.MaxValue - 1, "--many-shot");
        int few = OptionRanges.IntIn(r.GetValue(FewShot), 0, many + 1, "--few-shot");
        bool calibration = r.GetValue(Calibration), shots = r.GetValue(ShotTable);
        return sets is null && !calibration && !shots ? null : new Request(sets, calibration, shots, many, few);
    }

    public static Result Compute(Request request, nn.Module<Tensor, Tensor> model, IDataset test, IDataset validation, long[] trainCounts,
        int[] ks, Device device)
    {
        using var scope = NewDisposeScope();
        var (scores, labels) = ModelScores.Of(model, test, device);
        SetReport? sets = null;
        if (request.Sets is { } setRequest)
        {
            var (calScores, calLabels) = ModelScores.Of(model, validation, device);
            var meter = new SetMeter(test.ClassCount);
            meter.Update(SetOptions.Fit(setRequest, calScores, calLabels).Predict(scores), labels);
            sets = meter.Report();
        }
        CalibrationReport? calibration = null;
        if (request.Calibration)
        {
            var meter = new CalibrationMeter();
            meter.Update(scores, labels);
            calibration = meter.Report();
        }
        LongTailReport? shots = null;
        if (request.Shots)
        {
            var meter = new TopKAccuracyMeter(ks, test.ClassCount);
            meter.Update(scores, labels);
            shots = meter.Report().LongTail(trainCounts, request.Many, request.Few);
        }
        return new Result(request.Sets?.Describe(), sets, calibration, shots, ks);
    }

    /// <summary>
    /// `eval`'s part: computes, prints, and writes reliability.png into <paramref name="folder"/>. Sets
    /// are fitted on the run's own validation split, whatever split is evaluated.
    /// </summary>
    public static Result Print(TextWriter stdout, Request request, CliEnvironment env, RunConfig config, nn.Module<Tensor, Tensor> model,
        IDataset test, int[] ks, Device device, string folder)
    {
        var validation = request.Sets is null ? test : env.OpenData(config.Settings.DataSpec, config.Settings.Data).Validation;
        var result = Compute(request, model, test, validation, config.TrainClassCounts, ks, device);
        foreach (var line in Lines(result)) stdout.WriteLine(line);
        if (result.Calibration is { } calibration)
        {
            string png = Path.Combine(folder, "reliability.png");
            ReliabilityDiagram.Write(png, $"{config.Settings.Loss} · {config.Settings.DataSpec.Split(':')[0]}", calibration);
            stdout.WriteLine($"reliability diagram: {png}");
        }
        return result;
    }

    /// <summary>The result as lines of text.</summary>
    public static IEnumerable<string> Lines(Result result)
    {
        if (result.Sets is { } s)
        {
            yield return string.Format(CultureInfo.InvariantCulture, "{0}: coverage {1:F2} % (macro {2:F2} %, worst class {3:F2} %), mean size {4:F3}",
                result.SetsDescription, 100 * s.Coverage, 100 * s.MacroCoverage, 100 * s.WorstClassCoverage, s.MeanSize);
            yield return "set sizes: " + string.Join(" ", s.SizeCounts.Select((count, size) => (count, size)).Where(p => p.count > 0).Select(p => $"{p.size}:{p.count}"));
        }
        if (result.Calibration is { } c)
            yield return string.Format(CultureInfo.InvariantCulture, "ECE {0:F2} % ({1} equal-width bins, {2} samples)", 100 * c.Ece, c.Bins.Count, c.Samples);
        if (result.Shots is { } t)
        {
            yield return $"shots (training count: many > {t.ManyThreshold}, medium {t.FewThreshold}..{t.ManyThreshold}, few < {t.FewThreshold}):";
            foreach (var group in new[] { ShotGroup.Many, ShotGroup.Medium, ShotGroup.Few })
                yield return string.Format(CultureInfo.InvariantCulture, "  {0,-6} {1,4} classes ({2} in test)  ", group.ToString().ToLowerInvariant(),
                    t.Classes(group).Count, t.PresentClasses(group)) + string.Join("  ", result.Ks.Select(k =>
                    string.Format(CultureInfo.InvariantCulture, "macro top-{0} {1:F2} %", k, 100 * t.Macro(group, k))));
        }
    }

    /// <summary>Named values for JSON: set_coverage, set_macro_coverage, set_mean_size, ece, many_top1_macro, …</summary>
    public static Dictionary<string, double> Named(Result result)
    {
        var named = new Dictionary<string, double>();
        if (result.Sets is { } s)
        {
            named["set_coverage"] = s.Coverage;
            named["set_macro_coverage"] = s.MacroCoverage;
            named["set_worst_class_coverage"] = s.WorstClassCoverage;
            named["set_mean_size"] = s.MeanSize;
        }
        if (result.Calibration is { } c) named["ece"] = c.Ece;
        if (result.Shots is { } t)
            foreach (var group in new[] { ShotGroup.Many, ShotGroup.Medium, ShotGroup.Few })
                foreach (int k in result.Ks)
                    named[$"{group.ToString().ToLowerInvariant()}_top{k}_macro"] = t.Macro(group, k);
        return named;
    }
}
