using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.LongTail;

/// <summary>Balanced softmax and logit adjustment against their formulas through cross_entropy, values and gradients.</summary>
public class LogitAdjustedLossTests
{
    private static readonly long[] Counts = { 500, 120, 40, 9, 1, 75 };

    private static (Tensor X, Tensor Y) Batch(int seed)
    {
        var g = new Generator((ulong)seed);
        var x = randn(11, Counts.Length, dtype: ScalarType.Float64, generator: g).mul(2).requires_grad_();
        var y = randint(0, Counts.Length, new long[] { 11 }, generator: g);
        return (x, y);
    }

    private static void SameValueAndGradient(Func<Tensor, Tensor, Tensor> actual, Func<Tensor, Tensor, Tensor> expected, double tolerance)
    {
        using var scope = NewDisposeScope();
        var (x, y) = Batch(4);
        var a = actual(x, y);
        var ga = autograd.grad(new[] { a.sum() }, new[] { x })[0];
        var e = expected(x, y);
        var ge = autograd.grad(new[] { e.sum() }, new[] { x })[0];
        Close.ScaledByMax(Close.ToArray(e), Close.ToArray(a), tolerance, "per-sample loss");
        Close.ScaledByMax(Close.ToArray(ge), Close.ToArray(ga), tolerance, "gradient");
    }

    [Fact]
    public void Balanced_softmax_is_cross_entropy_of_scores_plus_log_counts()
    {
        var logN = tensor(Counts.Select(n => Math.Log(n)).ToArray(), dtype: ScalarType.Float64);
        SameValueAndGradient(
            (x, y) => F.balanced_softmax_loss(x, y, Counts, nn.Reduction.None),
            (x, y) => nn.functional.cross_entropy(x + logN, y, reduction: nn.Reduction.None), 1e-15);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void Logit_adjustment_is_cross_entropy_of_scores_plus_tau_log_prior(double tau)
    {
        double total = Counts.Sum();
        var prior = tensor(Counts.Select(n => tau * Math.Log(n / total)).ToArray(), dtype: ScalarType.Float64);
        SameValueAndGradient(
            (x, y) => F.logit_adjusted_loss(x, y, Counts, tau, nn.Reduction.None),
            (x, y) => nn.functional.cross_entropy(x + prior, y, reduction: nn.Reduction.None), 1e-15);
    }

    [Fact]
    public void Logit_adjustment_at_tau_one_is_balanced_softmax_and_at_zero_cross_entropy()
    {
        SameValueAndGradient((x, y) => F.logit_adjusted_loss(x, y, Counts, 1.0, nn.Reduction.None),
            (x, y) => F.balanced_softmax_loss(x, y, Counts, nn.Reduction.None), 1e-12);
        SameValueAndGradient((x, y) => F.logit_adjusted_loss(x, y, Counts, 0.0, nn.Reduction.None),
            (x, y) => nn.functional.cross_entropy(x, y, reduction: nn.Reduction.None), 1e-15);
    }

    [Fact]
    public void The_closed_form_of_balanced_softmax_holds()
    {
        using var scope = NewDisposeScope();
        // −log(n_y e^{s_y} / Σ n_j e^{s_j}) for one row by hand.
        var s = new[] { 0.3, -1.2, 2.0 };
        long[] n = { 10, 1, 4 };
        double z = Enumerable.Range(0, 3).Sum(j => n[j] * Math.Exp(s[j]));
        double expected = -Math.Log(n[1] * Math.Exp(s[1]) / z);
        var loss = F.balanced_softmax_loss(tensor(s).reshape(1, 3), tensor(new long[] { 1 }), n);
        Assert.Equal(expected, loss.ToDouble(), 14);
    }

    [Fact]
    public void Modules_match_the_functionals_reduce_and_move_their_buffer()
    {
        using var scope = NewDisposeScope();
        var (x, y) = Batch(9);
        using var bs = TopK.BalancedSoftmaxLoss(Counts);
        using var la = TopK.LogitAdjustedLoss(Counts, tau: 0.7, reduction: nn.Reduction.Sum);
        Assert.Equal(F.balanced_softmax_loss(x, y, Counts).ToDouble(), bs.call(x, y).ToDouble(), 15);
        Assert.Equal(F.logit_adjusted_loss(x, y, Counts, 0.7, nn.Reduction.Sum).ToDouble(), la.call(x, y).ToDouble(), 15);
        Assert.Equal(0.7, la.Tau);
        Assert.Single(bs.buffers());
        Assert.Equal(ScalarType.Float32, F.balanced_softmax_loss(x.detach().to_type(ScalarType.Float32), y, Counts).dtype);
    }

    [Fact]
    public void Bad_counts_and_tau_are_named()
    {
        using var scope = NewDisposeScope();
        var (x, y) = Batch(1);
        Assert.Contains("class_counts must all be ≥ 1", Assert.Throws<ArgumentOutOfRangeException>(
            () => F.balanced_softmax_loss(x, y, new long[] { 1, 2, 0, 4, 5, 6 })).Message);
        Assert.Contains("number of class counts is 3", Assert.Throws<ArgumentException>(
            () => F.logit_adjusted_loss(x, y, new long[] { 1, 2, 3 })).Message);
        Assert.Contains("tau must be finite and ≥ 0", Assert.Throws<ArgumentOutOfRangeException>(
            () => TopK.LogitAdjustedLoss(Counts, tau: -1)).Message);
    }
}
