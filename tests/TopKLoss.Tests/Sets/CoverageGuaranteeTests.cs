using TopKLoss.Metrics;
using TopKLoss.Sets;

namespace TopKLoss.Tests.Sets;

/// <summary>
/// The finite-sample guarantees by Monte Carlo over random calibration/test splits of exchangeable
/// synthetic data: P(y ∈ C) = ⌈(m + 1)(1 − α)⌉/(m + 1) for randomized (continuous) conformal scores, a
/// value in [1 − α, 1 − α + 1/(m + 1)]. Bounds are the exact mean ± 4 standard errors of the trials.
/// </summary>
public class CoverageGuaranteeTests
{
    private const int Classes = 8;

    /// <summary>A noisy classifier's logits for labels drawn from its own softmax: exchangeable rows.</summary>
    private static (Tensor Scores, Tensor Labels) Draw(int rows, Generator g)
    {
        var scores = randn(rows, Classes, dtype: ScalarType.Float64, generator: g).mul(1.5);
        var labels = multinomial(scores.softmax(1), 1, generator: g).squeeze(1);
        return (scores, labels);
    }

    private static (double Mean, double StandardError) Trials(int trials, Func<int, double> trial)
    {
        var values = Enumerable.Range(0, trials).Select(trial).ToArray();
        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (trials - 1);
        return (mean, Math.Sqrt(variance / trials));
    }

    [Theory]
    [InlineData(0.1, 95, false)]
    [InlineData(0.2, 37, false)]
    [InlineData(0.1, 95, true)]
    public void Mean_conformal_coverage_is_the_finite_sample_value(double alpha, int calibration, bool raps)
    {
        var g = new Generator(2026);
        var (mean, se) = Trials(400, t =>
        {
            using var scope = NewDisposeScope();
            var (cal, calY) = Draw(calibration, g);
            var (test, testY) = Draw(100, g);
            var predictor = raps
                ? SetPredictor.FitRaps(cal, calY, alpha, lambda: 0.1, k_reg: 2, seed: t)
                : SetPredictor.FitAps(cal, calY, alpha, seed: t);
            return TopK.functional.set_coverage(predictor.Predict(test), testY);
        });
        double exact = Math.Ceiling((calibration + 1) * (1 - alpha) - 1e-9) / (calibration + 1);
        Assert.InRange(exact, 1 - alpha, 1 - alpha + 1.0 / (calibration + 1));
        Assert.True(Math.Abs(mean - exact) <= 4 * se, $"mean coverage {mean:F4} ± {se:F4}, expected {exact:F4}");
        Assert.True(mean >= 1 - alpha - 4 * se && mean <= 1 - alpha + 1.0 / (calibration + 1) + 4 * se);
    }

    [Fact]
    public void Not_randomized_coverage_still_reaches_one_minus_alpha()
    {
        var g = new Generator(7);
        var (mean, se) = Trials(300, _ =>
        {
            using var scope = NewDisposeScope();
            var (cal, calY) = Draw(50, g);
            var (test, testY) = Draw(100, g);
            return TopK.functional.set_coverage(SetPredictor.FitAps(cal, calY, 0.1).Predict(test), testY);
        });
        Assert.True(mean >= 0.9 - 4 * se, $"mean coverage {mean:F4} ± {se:F4} below 0.9");
    }

    [Fact]
    public void Class_conditional_coverage_holds_within_every_class()
    {
        var g = new Generator(99);
        var perClass = new double[Classes];
        var counts = new int[Classes];
        for (int t = 0; t < 200; t++)
        {
            using var scope = NewDisposeScope();
            var (cal, calY) = Draw(240, g);
            var (test, testY) = Draw(100, g);
            var meter = new SetMeter(Classes);
            meter.Update(SetPredictor.FitAps(cal, calY, 0.2, class_conditional: true, seed: t).Predict(test), testY);
            var report = meter.Report();
            for (int c = 0; c < Classes; c++)
                if (!double.IsNaN(report.PerClassCoverage[c])) { perClass[c] += report.PerClassCoverage[c]; counts[c]++; }
        }
        for (int c = 0; c < Classes; c++)
        {
            double mean = perClass[c] / counts[c];
            // Each class sees ~30 calibration samples: the guarantee is 1 − α per class, with slack ≤ 1/(m_c + 1) ≈ 0.03;
            // 200 trials of ~12 test samples put the Monte-Carlo error near 0.01.
            Assert.InRange(mean, 0.8 - 0.03, 0.8 + 0.07);
        }
    }

    [Theory]
    [InlineData(1.0, 50)]
    [InlineData(2.5, 40)]
    [InlineData(3.0, 17)]
    public void Average_k_mean_set_size_is_k_on_the_calibration_set(double setSize, int rows)
    {
        // Continuous scores: no two probabilities tie at the threshold, so the size is exactly ⌈K·N⌉/N = K.
        using var scope = NewDisposeScope();
        var (cal, calY) = Draw(rows, new Generator(3));
        var predictor = SetPredictor.FitAverageK(cal, setSize);
        var meter = new SetMeter(Classes);
        meter.Update(predictor.Predict(cal), calY);
        Assert.Equal(setSize, meter.Report().MeanSize, 12);
    }
}
