using System.CommandLine;
using TopKLoss.Sets;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// The set-valued prediction options shared by `predict` and `eval`: which sets, their parameter,
/// and the fitting of the set predictor on the run's validation split.
/// </summary>
public sealed class SetOptions
{
    public readonly Option<string> Sets = new("--sets") { Description = "Prediction sets: none, average-k (needs --set-size) or conformal (--alpha)", DefaultValueFactory = _ => "none" };
    public readonly Option<double?> SetSize = new("--set-size") { Description = "average-k: mean set size K in (0, C], fitted on the run's validation split" };
    public readonly Option<double?> Alpha;
    public readonly Option<string> Score = new("--set-score") { Description = "conformal score: aps (Romano et al. 2020) or raps (Angelopoulos et al. 2021)", DefaultValueFactory = _ => "aps" };
    public readonly Option<double> Lambda = new("--raps-lambda") { Description = "raps: penalty λ ≥ 0 per rank beyond --raps-k-reg", DefaultValueFactory = _ => 0.01 };
    public readonly Option<int?> KReg = new("--raps-k-reg") { Description = "raps: ranks without penalty, 0..C (default 5, or C when smaller)" };
    public readonly Option<bool> ClassConditional = new("--class-conditional") { Description = "conformal: one threshold per class (coverage within every class)" };
    public readonly Option<string?> Save = new("--save-sets") { Description = "Write the fitted set predictor (JSON) to this file" };

    /// <param name="alphaName">--alpha, or another name where --alpha already means something (compare: the SVM margin).</param>
    public SetOptions(string alphaName = "--alpha")
    {
        Alpha = new(alphaName) { Description = "conformal: miscoverage α in (0, 1), target coverage 1 − α (default 0.1)" };
    }

    public IEnumerable<Option> All() => [Sets, SetSize, Alpha, Score, Lambda, KReg, ClassConditional, Save];

    /// <summary>The checked request: null when no sets are asked for.</summary>
    public sealed record Request(string Rule, double SetSize, double Alpha, string Score, double Lambda, int KReg, bool ClassConditional, string? SavePath)
    {
        public string Describe() => Rule == "average-k"
            ? $"average-k sets, K = {SetSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
            : $"conformal {Score} sets{(ClassConditional ? " (class-conditional)" : "")}, α = {Alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    public Request? Bind(ParseResult r, int classCount)
    {
        string rule = OptionRanges.OneOf(r.GetValue(Sets)!, ["none", "average-k", "conformal"], "--sets");
        double? setSize = r.GetValue(SetSize), alpha = r.GetValue(Alpha);
        if (rule == "none")
        {
            if (setSize is not null || alpha is not null) throw new UsageException($"--set-size and {Alpha.Name} need --sets average-k or --sets conformal.");
            return null;
        }
        if (rule == "average-k" && setSize is null) throw new UsageException("--sets average-k needs --set-size K, e.g. --set-size 2.");
        if (rule == "average-k" && alpha is not null) throw new UsageException($"{Alpha.Name} belongs to --sets conformal, not average-k.");
        if (rule == "conformal" && setSize is not null) throw new UsageException("--set-size belongs to --sets average-k, not conformal.");
        double size = setSize is { } s ? (s > 0 && s <= classCount ? s : throw new UsageException($"--set-size must be in (0, {classCount}] (the class count); got {s.ToString(System.Globalization.CultureInfo.InvariantCulture)}.")) : 0;
        double a = alpha ?? 0.1;
        if (rule == "conformal" && !(a > 0 && a < 1)) throw new UsageException($"{Alpha.Name} must be in (0, 1); got {a.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        string score = OptionRanges.OneOf(r.GetValue(Score)!, ["aps", "raps"], "--set-score");
        double lambda = OptionRanges.NonNegative(r.GetValue(Lambda), "--raps-lambda");
        int kReg = r.GetValue(KReg) is { } given ? OptionRanges.IntIn(given, 0, classCount, "--raps-k-reg") : -1;   // -1: the default, min(5, C)
        string? save = r.GetValue(Save);
        if (save is not null && Path.GetDirectoryName(Path.GetFullPath(save)) is { } folder && !Directory.Exists(folder))
            throw new UsageException($"--save-sets: folder not found: {folder}.");
        return new Request(rule, size, a, score, lambda, kReg, r.GetValue(ClassConditional), save);
    }

    /// <summary>Fits the requested predictor on calibration scores [N, C] and labels [N].</summary>
    public static SetPredictor Fit(Request request, Tensor scores, Tensor labels) => request switch
    {
        { Rule: "average-k" } => SetPredictor.FitAverageK(scores, request.SetSize),
        { Score: "raps" } => SetPredictor.FitRaps(scores, labels, request.Alpha, request.Lambda,
            request.KReg >= 0 ? request.KReg : Math.Min(5, (int)scores.shape[1]), request.ClassConditional),
        _ => SetPredictor.FitAps(scores, labels, request.Alpha, request.ClassConditional),
    };
}
