using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.SmoothSvm;

/// <summary>The multi-k mixture against the weighted sum of single-k calls (values and gradients, float64).</summary>
public class MultiKSmoothSvmTests
{
    [Theory]
    [InlineData(new[] { 1, 5 }, new[] { 0.5, 0.5 }, 1.0, 1.0, "cpu")]
    [InlineData(new[] { 3, 1, 2 }, new[] { 0.2, 1.5, 0.3 }, 0.5, 0.0, "cpu")]
    [InlineData(new[] { 1, 5 }, new[] { 0.5, 0.5 }, 1.0, 1.0, "strided")]
    public void Mixture_equals_the_weighted_sum_of_single_k_losses(int[] ks, double[] weights, double tau, double alpha, string path)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(17);
        // Wide score spread: some rows take the hard branch of the published switch.
        var x = randn(23, 12, dtype: ScalarType.Float64, generator: g).mul(4).requires_grad_();
        var y = randint(0, 12, new long[] { 23 }, generator: g);
        // "strided" runs the plain tensor path (what non-CPU devices use) through a non-contiguous view.
        var input = path == "cpu" ? x : x.t().contiguous().t();
        var mixed = F.multik_smooth_topk_svm_loss(input, y, ks, weights, tau, alpha, nn.Reduction.None);
        var gradMixed = autograd.grad(new[] { mixed.sum() }, new[] { x })[0];
        Tensor sum = zeros(23, dtype: ScalarType.Float64);
        for (int i = 0; i < ks.Length; i++) sum = sum + weights[i] * F.smooth_topk_svm_loss(x, y, ks[i], tau, alpha, nn.Reduction.None);
        var gradSum = autograd.grad(new[] { sum.sum() }, new[] { x })[0];
        Close.ScaledByMax(Close.ToArray(sum), Close.ToArray(mixed), 1e-12, "per-sample loss");
        Close.ScaledByMax(Close.ToArray(gradSum), Close.ToArray(gradMixed), 1e-12, "gradient");
    }

    [Fact]
    public void The_k1_tau1_alpha0_member_alone_is_cross_entropy()
    {
        using var scope = NewDisposeScope();
        var x = randn(9, 7, dtype: ScalarType.Float64, generator: new Generator(2)).mul(2);
        var y = randint(0, 7, new long[] { 9 }, generator: new Generator(3));
        var loss = F.multik_smooth_topk_svm_loss(x, y, new[] { 1 }, new[] { 1.0 }, 1.0, 0.0, nn.Reduction.None);
        Close.ScaledByMax(Close.ToArray(nn.functional.cross_entropy(x, y, reduction: nn.Reduction.None)), Close.ToArray(loss), 1e-12, "loss");
    }

    [Fact]
    public void Module_reduces_like_the_functional_and_checks_k_against_n_at_the_call()
    {
        using var scope = NewDisposeScope();
        var x = randn(6, 8, generator: new Generator(5));
        var y = randint(0, 8, new long[] { 6 }, generator: new Generator(6));
        using var loss = TopK.MultiKSmoothTopKSvmLoss(new[] { 1, 5 }, new[] { 0.5, 0.5 });
        Assert.Equal(F.multik_smooth_topk_svm_loss(x, y, new[] { 1, 5 }, new[] { 0.5, 0.5 }).ToSingle(), loss.call(x, y).ToSingle());
        Assert.Equal(ScalarType.Float32, loss.call(x, y).dtype);
        Assert.Contains("ks must satisfy 1 ≤ ks < n = 4", Assert.Throws<ArgumentOutOfRangeException>(
            () => loss.call(randn(2, 4), tensor(new long[] { 0, 1 }))).Message);
    }

    [Fact]
    public void Bad_mixtures_are_named()
    {
        Assert.Contains("ks must be distinct", Assert.Throws<ArgumentException>(() => TopK.MultiKSmoothTopKSvmLoss(new[] { 2, 2 }, new[] { 1.0, 1.0 })).Message);
        Assert.Contains("weights must hold one weight per k (2)", Assert.Throws<ArgumentException>(() => TopK.MultiKSmoothTopKSvmLoss(new[] { 1, 2 }, new[] { 1.0 })).Message);
        Assert.Contains("weights must be finite and > 0", Assert.Throws<ArgumentOutOfRangeException>(() => TopK.MultiKSmoothTopKSvmLoss(new[] { 1 }, new[] { 0.0 })).Message);
        Assert.Contains("ks must list at least one k", Assert.Throws<ArgumentException>(() => TopK.MultiKSmoothTopKSvmLoss(new int[0], new double[0])).Message);
    }
}
