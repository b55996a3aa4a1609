using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.SmoothSvm;

/// <summary>Every bad input is an ArgumentException naming the argument and the allowed range.</summary>
public class SmoothSvmValidationTests
{
    private static readonly Tensor Scores = randn(4, 6);
    private static readonly Tensor Labels = tensor(new long[] { 0, 1, 2, 5 });

    public static IEnumerable<object[]> BadCalls()
    {
        object[] Row(string param, string fragment, Action call) => new object[] { param, fragment, call };
        yield return Row("k", "1 ≤ k < n = 6", () => F.smooth_topk_svm_loss(Scores, Labels, k: 0));
        yield return Row("k", "1 ≤ k < n = 6", () => F.smooth_topk_svm_loss(Scores, Labels, k: 6));
        yield return Row("k", "1 ≤ k < n = 6", () => F.hard_topk_svm_loss(Scores, Labels, k: 7));
        yield return Row("tau", "finite and > 0", () => F.smooth_topk_svm_loss(Scores, Labels, tau: 0));
        yield return Row("tau", "finite and > 0", () => F.smooth_topk_svm_loss(Scores, Labels, tau: double.NaN));
        yield return Row("tau", "finite and > 0", () => F.smooth_topk_svm_loss(Scores, Labels, tau: double.PositiveInfinity));
        yield return Row("alpha", "finite and ≥ 0", () => F.smooth_topk_svm_loss(Scores, Labels, alpha: -1));
        yield return Row("alpha", "finite and ≥ 0", () => F.hard_topk_svm_loss(Scores, Labels, alpha: double.NaN));
        yield return Row("labels", "[0, 6)", () => F.smooth_topk_svm_loss(Scores, tensor(new long[] { 0, 1, 2, 6 }), k: 2));
        yield return Row("labels", "[0, 6)", () => F.smooth_topk_svm_loss(Scores, tensor(new long[] { 0, -1, 2, 3 }), k: 2));
        yield return Row("labels", "integer", () => F.smooth_topk_svm_loss(Scores, tensor(new float[] { 0, 1, 2, 3 }), k: 2));
        yield return Row("labels", "batch size 3", () => F.smooth_topk_svm_loss(Scores, tensor(new long[] { 0, 1, 2 }), k: 2));
        yield return Row("labels", "1-D", () => F.smooth_topk_svm_loss(Scores, Labels.reshape(2, 2), k: 2));
        yield return Row("scores", "2-D", () => F.smooth_topk_svm_loss(randn(4), Labels, k: 2));
        yield return Row("scores", "floating point", () => F.smooth_topk_svm_loss(ones(4, 6, dtype: ScalarType.Int64), Labels, k: 2));
        yield return Row("scores", "empty batch", () => F.smooth_topk_svm_loss(randn(0, 6), tensor(Array.Empty<long>()), k: 2));
        yield return Row("x", "2-D", () => F.log_esp(randn(3), 2));
        yield return Row("k", "≥ 1", () => F.log_esp(randn(3, 4), 0));
        yield return Row("k", "≥ 1", () => TopK.SmoothTopKSvmLoss(k: 0));
        yield return Row("tau", "> 0", () => TopK.SmoothTopKSvmLoss(tau: -2));
        yield return Row("alpha", "≥ 0", () => TopK.HardTopKSvmLoss(alpha: -2));
        yield return Row("reduction", "None, Mean or Sum", () => F.smooth_topk_svm_loss(Scores, Labels, k: 2, reduction: (nn.Reduction)42));
    }

    [Theory, MemberData(nameof(BadCalls))]
    public void Bad_input_throws_naming_the_argument_and_range(string param, string fragment, Action call)
    {
        var e = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Equal(param, e.ParamName);
        Assert.Contains(fragment, e.Message);
    }
}
