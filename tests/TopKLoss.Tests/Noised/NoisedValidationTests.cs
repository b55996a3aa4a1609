using TopKLoss.Metrics;
using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.Noised;

/// <summary>Every bad input to the noised losses, baselines and metrics: an ArgumentException naming the argument and the range.</summary>
public class NoisedValidationTests
{
    private static readonly Tensor Scores = randn(4, 6);
    private static readonly Tensor Labels = tensor(new long[] { 0, 1, 2, 5 });
    private static readonly Tensor Noise = randn(4, 6, 3);
    private static readonly Tensor Margins = zeros(6);
    private static readonly long[] Counts = { 5, 4, 3, 2, 1, 1 };

    public static IEnumerable<object[]> BadCalls()
    {
        object[] Row(string param, string fragment, Action call) => new object[] { param, fragment, call };
        // perturbed_topk: 1 ≤ k ≤ n, ε ≥ 0 finite, B ≥ 1, noise [batch, n, B]
        yield return Row("k", "1 ≤ k ≤ n = 6", () => F.perturbed_topk(Scores, 0, 1.0, Noise));
        yield return Row("k", "1 ≤ k ≤ n = 6", () => F.perturbed_topk(Scores, 7));
        yield return Row("epsilon", "finite and ≥ 0", () => F.perturbed_topk(Scores, 2, -0.1, Noise));
        yield return Row("epsilon", "finite and ≥ 0", () => F.perturbed_topk(Scores, 2, double.NaN));
        yield return Row("epsilon", "finite and ≥ 0", () => F.perturbed_topk(Scores, 2, double.PositiveInfinity));
        yield return Row("n_samples", "≥ 1", () => F.perturbed_topk(Scores, 2, 1.0, 0));
        yield return Row("noise", "[4, 6, B]", () => F.perturbed_topk(Scores, 2, 1.0, randn(4, 5, 3)));
        yield return Row("noise", "[4, 6, B]", () => F.perturbed_topk(Scores, 2, 1.0, randn(4, 6)));
        yield return Row("noise", "B ≥ 1", () => F.perturbed_topk(Scores, 2, 1.0, randn(4, 6, 0)));
        yield return Row("noise", "floating point", () => F.perturbed_topk(Scores, 2, 1.0, ones(4, 6, 3, dtype: ScalarType.Int32)));
        yield return Row("x", "2-D", () => F.perturbed_topk(randn(6), 2));
        yield return Row("x", "floating point", () => F.perturbed_topk(ones(4, 6, dtype: ScalarType.Int64), 2));
        // noised losses: 1 ≤ k, k + 1 ≤ n
        yield return Row("k", "1 ≤ k < n = 6", () => F.noised_topk_loss(Scores, Labels, 0, 1.0, Noise));
        yield return Row("k", "1 ≤ k < n = 6", () => F.noised_topk_loss(Scores, Labels, 6, 1.0, Noise));
        yield return Row("k", "1 ≤ k < n = 6", () => F.noised_topk_loss(Scores, Labels, 6));
        yield return Row("k", "1 ≤ k < n = 6", () => F.imbalanced_noised_topk_loss(Scores, Labels, 6, 1.0, Margins, 10, Noise));
        yield return Row("epsilon", "≥ 0", () => F.noised_topk_loss(Scores, Labels, 2, -1.0, Noise));
        yield return Row("epsilon", "≥ 0", () => F.imbalanced_noised_topk_loss(Scores, Labels, 2, -1.0, Margins));
        yield return Row("n_samples", "≥ 1", () => F.noised_topk_loss(Scores, Labels, 2, 1.0, -3));
        yield return Row("n_samples", "≥ 1", () => F.imbalanced_noised_topk_loss(Scores, Labels, 2, 1.0, Margins, n_samples: 0));
        yield return Row("noise", "[4, 6, B]", () => F.noised_topk_loss(Scores, Labels, 2, 1.0, randn(3, 6, 2)));
        yield return Row("noise", "[4, 6, B]", () => F.imbalanced_noised_topk_loss(Scores, Labels, 2, 1.0, Margins, 10, randn(4, 6, 2, 1)));
        yield return Row("scale", "finite and > 0", () => F.imbalanced_noised_topk_loss(Scores, Labels, 2, 1.0, Margins, 0.0, Noise));
        yield return Row("scale", "finite and > 0", () => F.imbalanced_noised_topk_loss(Scores, Labels, 2, 1.0, Margins, double.NaN));
        yield return Row("margins", "shape [6]", () => F.imbalanced_noised_topk_loss(Scores, Labels, 2, 1.0, zeros(5), 10, Noise));
        yield return Row("margins", "floating point", () => F.imbalanced_noised_topk_loss(Scores, Labels, 2, 1.0, zeros(6, dtype: ScalarType.Int64), 10, Noise));
        yield return Row("labels", "[0, 6)", () => F.noised_topk_loss(Scores, tensor(new long[] { 0, 1, 2, 6 }), 2, 1.0, Noise));
        yield return Row("labels", "[0, 6)", () => F.noised_topk_loss(Scores, tensor(new byte[] { 0, 1, 2, 9 }), 2));
        yield return Row("labels", "integer", () => F.noised_topk_loss(Scores, tensor(new float[] { 0, 1, 2, 3 }), 2));
        yield return Row("labels", "batch size 3", () => F.imbalanced_noised_topk_loss(Scores, tensor(new long[] { 0, 1, 2 }), 2, 1.0, Margins));
        yield return Row("scores", "at least 2 classes", () => F.noised_topk_loss(randn(4, 1), tensor(new long[] { 0, 0, 0, 0 }), 1));
        yield return Row("reduction", "None, Mean or Sum", () => F.noised_topk_loss(Scores, Labels, 2, 1.0, Noise, (nn.Reduction)9));
        // class margins, focal, LDAM
        yield return Row("class_counts", "≥ 1", () => F.class_margins(new long[] { 3, 0, 2 }, 0.2));
        yield return Row("class_counts", "length ≥ 1", () => F.class_margins(Array.Empty<long>(), 0.2));
        yield return Row("max_margin", "finite and > 0", () => F.class_margins(Counts, 0));
        yield return Row("max_margin", "finite and > 0", () => F.class_margins(Counts, double.PositiveInfinity));
        yield return Row("gamma", "finite and ≥ 0", () => F.focal_loss(Scores, Labels, -1));
        yield return Row("labels", "[0, 6)", () => F.focal_loss(Scores, tensor(new long[] { -1, 1, 2, 3 })));
        yield return Row("scale", "> 0", () => F.ldam_loss(Scores, Labels, Margins, -30));
        yield return Row("margins", "shape [6]", () => F.ldam_loss(Scores, Labels, zeros(2, 3)));
        yield return Row("reduction", "None, Mean or Sum", () => F.ldam_loss(Scores, Labels, Margins, 30, (nn.Reduction)9));
        // module factories
        yield return Row("k", "≥ 1", () => TopK.NoisedTopKLoss(k: 0));
        yield return Row("epsilon", "≥ 0", () => TopK.NoisedTopKLoss(epsilon: -1));
        yield return Row("n_samples", "≥ 1", () => TopK.NoisedTopKLoss(n_samples: 0));
        yield return Row("class_counts", "≥ 1", () => TopK.ImbalancedNoisedTopKLoss(2, 0.1, new long[] { 1, -2 }));
        yield return Row("max_margin", "> 0", () => TopK.ImbalancedNoisedTopKLoss(2, 0.1, Counts, max_margin: -0.2));
        yield return Row("scale", "> 0", () => TopK.ImbalancedNoisedTopKLoss(2, 0.1, Counts, scale: 0));
        yield return Row("scores", "scores has 5 classes but the module's number of classes (class_counts.Length) is 6", () => TopK.ImbalancedNoisedTopKLoss(2, 0.1, Counts).call(randn(4, 5), Labels.clamp_max(4)));
        yield return Row("gamma", "≥ 0", () => TopK.FocalLoss(-2));
        yield return Row("class_counts", "≥ 1", () => TopK.LdamLoss(new long[] { 0 }));
        yield return Row("scale", "> 0", () => TopK.LdamLoss(Counts, scale: double.NaN));
        yield return Row("scores", "scores has 7 classes but the module's number of classes (class_counts.Length) is 6", () => TopK.LdamLoss(Counts).call(randn(4, 7), Labels));
        yield return Row("inFeatures", "≥ 1", () => TopK.NormedLinear(0, 3));
        yield return Row("outFeatures", "≥ 1", () => TopK.NormedLinear(3, 0));
        // metrics
        yield return Row("ks", "at least one k", () => new TopKAccuracyMeter(Array.Empty<int>(), 6));
        yield return Row("ks", "1 ≤ ks ≤ n = 6", () => new TopKAccuracyMeter(new[] { 1, 7 }, 6));
        yield return Row("ks", "1 ≤ ks ≤ n = 6", () => new TopKAccuracyMeter(new[] { 0 }, 6));
        yield return Row("num_classes", "≥ 1", () => new TopKAccuracyMeter(new[] { 1 }, 0));
        yield return Row("scores", "scores has 5 classes but the meter's num_classes is 6", () => new TopKAccuracyMeter(new[] { 1 }, 6).Update(randn(4, 5), Labels.clamp_max(4)));
        yield return Row("labels", "[0, 6)", () => new TopKAccuracyMeter(new[] { 1 }, 6).Update(Scores, tensor(new long[] { 0, 1, 2, 6 })));
        yield return Row("k", "must be one of the tracked values {1, 3}", () => new TopKAccuracyMeter(new[] { 3, 1 }, 6).Report().Micro(2));
        yield return Row("k", "1 ≤ k ≤ n = 6", () => F.topk_accuracy(Scores, Labels, 0));
        yield return Row("k", "1 ≤ k ≤ n = 6", () => F.macro_topk_accuracy(Scores, Labels, 7, 6));
        yield return Row("num_classes", "scores has 6 classes but num_classes is 5", () => F.macro_topk_accuracy(Scores, Labels, 2, 5));
        yield return Row("scores", "2-D", () => F.topk_accuracy(randn(6), Labels, 1));
    }

    [Theory, MemberData(nameof(BadCalls))]
    public void Bad_input_throws_naming_the_argument_and_range(string param, string fragment, Action call)
    {
        var e = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Equal(param, e.ParamName);
        Assert.Contains(fragment, e.Message);
    }

    [CudaFact]
    public void A_generator_on_another_device_type_is_refused_before_any_draw()
    {
        // Only CPU generators can be made here, so the mismatch needs CUDA scores.
        var x = randn(4, 6, device: CUDA);
        var e = Assert.ThrowsAny<ArgumentException>(() => F.perturbed_topk(x, 2, 1.0, 3, new Generator(1)));
        Assert.Equal("generator", e.ParamName);
    }
}
