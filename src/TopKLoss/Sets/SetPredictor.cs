using TopKLoss.Validation;
using static TorchSharp.torch;

namespace TopKLoss.Sets;

/// <summary>
/// A fitted set-valued predictor: it turns scores (logits) [batch, n] into prediction sets, a bool mask
/// [batch, n] on the scores' device. Small and immutable; <see cref="ToJson"/> / <see cref="FromJson"/>
/// save it with a run and load it to apply to new scores.
/// <code>
/// var sets = SetPredictor.FitAps(valScores, valLabels, alpha: 0.1).Predict(testScores);
/// </code>
/// Rules (probabilities π = softmax(scores) in float64; ties in a row ordered by lower class index):
/// <list type="bullet">
/// <item>top-k: the k highest scores;</item>
/// <item>average-k: {j : π_j ≥ t}, t the ⌈K·N⌉-th largest of the N·n calibration probabilities, so the
/// calibration mean set size is exactly K when K·N is an integer and no probabilities tie at t;</item>
/// <item>APS / RAPS split-conformal: {j : E(x, j) ≤ q̂}, E the score of <see cref="SetRows.ConformalScores"/>,
/// q̂ the ⌈(m + 1)(1 − α)⌉-th smallest of the m calibration scores E(x_i, y_i) (+∞ if that rank exceeds m).
/// Then P(y ∈ set) ≥ 1 − α for exchangeable data, and ≤ 1 − α + 1/(m + 1) when randomized (continuous
/// scores). Class-conditional: one q̂_c per class from that class's calibration samples, class j tested
/// against q̂_j, so the guarantee holds within every class. Sets can be empty (that is part of the guarantee).</item>
/// </list>
/// </summary>
public sealed partial class SetPredictor
{
    /// <summary>The rule.</summary>
    public SetRule Rule { get; }
    /// <summary>Number of classes n the predictor applies to.</summary>
    public int NumClasses { get; }
    /// <summary>k of a top-k predictor (0 for the other rules).</summary>
    public int K { get; }
    /// <summary>Target mean set size K of an average-k predictor (0 for the other rules).</summary>
    public double SetSize { get; }
    /// <summary>Miscoverage α of a conformal predictor, target coverage 1 − α (0 for the other rules).</summary>
    public double Alpha { get; }
    /// <summary>RAPS penalty λ ≥ 0 per rank beyond <see cref="KReg"/> (0 for APS).</summary>
    public double Lambda { get; }
    /// <summary>RAPS: ranks up to k_reg carry no penalty (0 for APS).</summary>
    public int KReg { get; }
    /// <summary>One threshold per class (class-conditional coverage) instead of one for all.</summary>
    public bool ClassConditional { get; }
    /// <summary>Seed of the randomized conformal score (uniform draws), or null when not randomized.</summary>
    public int? Seed { get; }
    /// <summary>Calibration samples the thresholds were fitted on (0 for top-k).</summary>
    public long CalibrationSamples { get; }
    /// <summary>Average-k: [t]; marginal conformal: [q̂]; class-conditional: [q̂_0 … q̂_{n−1}]; top-k: empty.</summary>
    public IReadOnlyList<double> Thresholds => _thresholds;

    private readonly double[] _thresholds;

    private SetPredictor(SetRule rule, int num_classes, int k, double setSize, double alpha, double lambda, int kReg,
        bool classConditional, int? seed, long calibrationSamples, double[] thresholds)
    {
        (Rule, NumClasses, K, SetSize, Alpha, Lambda, KReg) = (rule, num_classes, k, setSize, alpha, lambda, kReg);
        (ClassConditional, Seed, CalibrationSamples, _thresholds) = (classConditional, seed, calibrationSamples, thresholds);
    }

    /// <summary>Top-k sets: the k highest scores of each row (nothing to fit).</summary>
    /// <param name="k">1 ≤ k ≤ num_classes.</param>
    /// <param name="num_classes">Number of classes ≥ 1.</param>
    public static SetPredictor ForTopK(int k, int num_classes)
    {
        Check.AtLeast(num_classes, 1, nameof(num_classes));
        Check.KthLargest(k, num_classes);
        return new(SetRule.TopK, num_classes, k, 0, 0, 0, 0, false, null, 0, []);
    }

    /// <summary>Average-k: one global probability threshold fitted on calibration scores so that the mean set size is <paramref name="set_size"/>.</summary>
    /// <param name="scores">Calibration scores (logits) [N, n], finite.</param>
    /// <param name="set_size">Target mean set size K, 0 &lt; K ≤ n.</param>
    public static SetPredictor FitAverageK(Tensor scores, double set_size)
    {
        using var scope = NewDisposeScope();   // validation temporaries die here
        Check.Scores(scores, minClasses: 1);
        int n = (int)scores.shape[1];
        SetCheck.SetSize(set_size, n);
        var p = SetRows.Probabilities(SetRows.Scores(scores), n);
        long members = SetRows.CeilingOfProduct(scores.shape[0], (decimal)set_size);
        Array.Sort(p);   // ascending: the members-th largest sits members from the end
        double threshold = p[p.Length - members];
        return new(SetRule.AverageK, n, 0, set_size, 0, 0, 0, false, null, scores.shape[0], [threshold]);
    }

    /// <summary>Split-conformal APS sets (Romano et al. 2020) for coverage 1 − <paramref name="alpha"/>.</summary>
    /// <param name="scores">Calibration scores (logits) [m, n], finite, exchangeable with the test data.</param>
    /// <param name="labels">Calibration labels [m] in [0, n).</param>
    /// <param name="alpha">Miscoverage, 0 &lt; α &lt; 1.</param>
    /// <param name="class_conditional">One threshold per class (coverage within each class).</param>
    /// <param name="seed">Randomize the score with uniform draws from this seed (exact coverage up to 1/(m + 1)); null: not randomized.</param>
    public static SetPredictor FitAps(Tensor scores, Tensor labels, double alpha, bool class_conditional = false, int? seed = null) =>
        FitConformal(SetRule.Aps, scores, labels, alpha, 0, 0, class_conditional, seed);

    /// <summary>Split-conformal RAPS sets (Angelopoulos et al. 2021): APS plus λ·max(0, rank − k_reg).</summary>
    /// <param name="scores">Calibration scores (logits) [m, n], finite.</param>
    /// <param name="labels">Calibration labels [m] in [0, n).</param>
    /// <param name="alpha">Miscoverage, 0 &lt; α &lt; 1.</param>
    /// <param name="lambda">Penalty per rank beyond k_reg, λ ≥ 0 (paper's ImageNet runs: 0.01 to 0.1).</param>
    /// <param name="k_reg">Ranks without penalty, 0 ≤ k_reg ≤ n.</param>
    /// <param name="class_conditional">One threshold per class.</param>
    /// <param name="seed">Randomize with uniform draws from this seed; null: not randomized.</param>
    public static SetPredictor FitRaps(Tensor scores, Tensor labels, double alpha, double lambda = 0.01, int k_reg = 5,
        bool class_conditional = false, int? seed = null) =>
        FitConformal(SetRule.Raps, scores, labels, alpha, lambda, k_reg, class_conditional, seed);

    private static SetPredictor FitConformal(SetRule rule, Tensor scores, Tensor labels, double alpha, double lambda, int kReg,
        bool classConditional, int? seed)
    {
        using var scope = NewDisposeScope();   // validation and label-copy temporaries die here
        Check.Scores(scores, minClasses: 1);
        Check.Labels(labels, scores);
        SetCheck.Alpha(alpha);
        Check.NonNegative(lambda, nameof(lambda));
        if (kReg < 0 || kReg > scores.shape[1])
            throw new ArgumentOutOfRangeException("k_reg", kReg, $"k_reg must lie in [0, {scores.shape[1]}] (the number of classes); got {kReg}.");
        int n = (int)scores.shape[1];
        long m = scores.shape[0];
        var p = SetRows.Probabilities(SetRows.Scores(scores), n);
        var y = labels.to_type(ScalarType.Int64).cpu().data<long>().ToArray();
        var u = SetRows.Uniforms(m, seed);
        var perClass = Enumerable.Range(0, classConditional ? n : 1).Select(_ => new List<double>()).ToArray();
        var rowScores = new double[n];
        for (long i = 0; i < m; i++)
        {
            SetRows.ConformalScores(p.AsSpan((int)(i * n), n), u[i], lambda, kReg, rowScores);
            perClass[classConditional ? (int)y[i] : 0].Add(rowScores[y[i]]);
        }
        var thresholds = perClass.Select(list => SetRows.Quantile(list, alpha)).ToArray();
        return new(rule, n, 0, 0, alpha, lambda, kReg, classConditional, seed, m, thresholds);
    }

    /// <summary>The prediction sets of <paramref name="scores"/> [batch, n] (logits, finite): a bool mask [batch, n] on the scores' device.</summary>
    /// <param name="scores">Scores [batch, n] with n = <see cref="NumClasses"/>.</param>
    /// <param name="seed">Randomized conformal rules: seed of this call's uniform draws (default <see cref="Seed"/> + 1,
    /// a stream apart from the calibration's). Ignored by the other rules.</param>
    public Tensor Predict(Tensor scores, int? seed = null)
    {
        using var scope = NewDisposeScope();
        Check.Scores(scores, minClasses: 1);
        Check.ClassesMatch(NumClasses, scores, "the predictor's num_classes");
        int n = NumClasses;
        long batch = scores.shape[0];
        var values = SetRows.Scores(scores);
        var member = new bool[values.Length];
        switch (Rule)
        {
            case SetRule.TopK:
                for (long i = 0; i < batch; i++)
                {
                    var order = SetRows.Order(values.AsSpan((int)(i * n), n));
                    for (int r = 0; r < K; r++) member[i * n + order[r]] = true;
                }
                break;
            case SetRule.AverageK:
                var p = SetRows.Probabilities(values, n);
                for (long j = 0; j < p.Length; j++) member[j] = p[j] >= _thresholds[0];
                break;
            default:
                var probabilities = SetRows.Probabilities(values, n);
                var u = SetRows.Uniforms(batch, Seed is null ? null : seed ?? unchecked(Seed.Value + 1));
                var rowScores = new double[n];
                for (long i = 0; i < batch; i++)
                {
                    SetRows.ConformalScores(probabilities.AsSpan((int)(i * n), n), u[i], Lambda, KReg, rowScores);
                    for (int c = 0; c < n; c++) member[i * n + c] = rowScores[c] <= _thresholds[ClassConditional ? c : 0];
                }
                break;
        }
        return scope.MoveToOuter(tensor(member, new[] { batch, (long)n }).to(scores.device));
    }
}
