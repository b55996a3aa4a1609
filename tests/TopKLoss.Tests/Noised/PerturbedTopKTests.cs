using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.Noised;

/// <summary>perturbed_topk against a sorting oracle, its limits, its Monte Carlo convergence and its gradient.</summary>
public class PerturbedTopKTests
{
    [Theory]
    [InlineData(ScalarType.Float64, 1, 0.5, 3)]
    [InlineData(ScalarType.Float64, 4, 1.0, 7)]
    [InlineData(ScalarType.Float32, 2, 0.2, 10)]
    [InlineData(ScalarType.Float32, 12, 2.0, 1)]
    public void Value_and_gradient_match_a_sorting_oracle(ScalarType dtype, int k, double epsilon, int samples)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(31);
        var x = randn(6, 12, dtype: dtype, generator: gen).mul(2).requires_grad_();
        var z = randn(new long[] { 6, 12, samples }, dtype: dtype, generator: gen);
        var value = F.perturbed_topk(x, k, epsilon, z);
        var upstream = randn(6, dtype: dtype, generator: gen);
        (value * upstream).sum().backward();
        Assert.Equal(dtype, value.dtype);
        Assert.Equal(dtype, x.grad!.dtype);

        // The oracle works on the values as stored (float32 rounding of x + ε·Z stays well inside 1e-5).
        var (expected, expectedGrad) = NoisedOracle.PerturbedTopK(NoisedOracle.Matrix(x), NoisedOracle.Cube(z), k, epsilon);
        double tol = dtype == ScalarType.Float64 ? 1e-12 : 1e-5;
        var actual = Close.ToArray(value);
        for (int r = 0; r < 6; r++) Close.Relative(expected[r], actual[r], tol, $"row {r}");
        var up = Close.ToArray(upstream);
        for (int r = 0; r < 6; r++) for (int j = 0; j < 12; j++) expectedGrad[r, j] *= up[r];
        Close.ScaledByMax(NoisedOracle.Flatten(expectedGrad), Close.ToArray(x.grad!), tol);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Epsilon_zero_gives_the_hard_kth_largest_and_its_one_hot(int k)
    {
        using var scope = NewDisposeScope();
        var x = randperm(8, generator: new Generator(4)).to_type(ScalarType.Float64).reshape(1, 8).add(-3.5).requires_grad_();
        var noise = randn(new long[] { 1, 8, 5 }, dtype: ScalarType.Float64, generator: new Generator(5));
        var hard = x.detach().topk(k, dim: 1);
        long index = hard.indexes[0, k - 1].item<long>();
        foreach (var value in new[] { F.perturbed_topk(x, k, 0.0, noise), F.perturbed_topk(x, k, 0.0, n_samples: 3) })
        {
            Assert.Equal(hard.values[0, k - 1].ToDouble(), value.ToDouble());
            var grad = torch.autograd.grad(new[] { value.sum() }, new[] { x })[0];
            var expected = new double[8];
            expected[index] = 1;
            Assert.Equal(expected, Close.ToArray(grad));
        }
    }

    [Fact]
    public void Small_epsilon_stays_within_its_bound_of_the_hard_value()
    {
        using var scope = NewDisposeScope();
        var x = randn(16, 50, dtype: ScalarType.Float64, generator: new Generator(8)).mul(3);
        const int k = 5;
        const double epsilon = 1e-4;
        var value = Close.ToArray(F.perturbed_topk(x, k, epsilon, n_samples: 4, generator: new Generator(9)));
        var hard = Close.ToArray(x.topk(k, dim: 1).values[.., k - 1]);
        // A single draw moves every score by at most ε·max|Z| (max|Z| < 6 here): the k-th largest too.
        for (int r = 0; r < 16; r++) Assert.InRange(Math.Abs(value[r] - hard[r]), 0, epsilon * 6);
    }

    [Fact]
    public void Monte_carlo_mean_converges_to_the_closed_form_expectation()
    {
        // n = 2, k = 1: E[max(a + εZ1, b + εZ2)] = b + d·Φ(d/σ) + σ·φ(d/σ), ∂/∂a = Φ(d/σ), d = a − b, σ = ε√2.
        using var scope = NewDisposeScope();
        double a = 0.3, b = -0.1, epsilon = 0.5, sigma = epsilon * Math.Sqrt(2), d = a - b;
        double cdf = 0.5 * (1 + tensor(d / sigma / Math.Sqrt(2), dtype: ScalarType.Float64).erf().ToDouble());
        double pdf = Math.Exp(-0.5 * (d / sigma) * (d / sigma)) / Math.Sqrt(2 * Math.PI);
        double expectation = b + d * cdf + sigma * pdf;
        var x = tensor(new[] { a, b }, dtype: ScalarType.Float64).reshape(1, 2).requires_grad_();
        const int samples = 100_000;
        var value = F.perturbed_topk(x, 1, epsilon, samples, new Generator(21));
        value.backward();
        // Standard deviation of max(...) is below sqrt(E[max²]) ≤ |a| + |b| + 2ε; of the gradient ≤ 1/2.
        double se = (Math.Abs(a) + Math.Abs(b) + 2 * epsilon) / Math.Sqrt(samples);
        Assert.InRange(value.ToDouble() - expectation, -4 * se, 4 * se);
        Assert.InRange(x.grad![0, 0].ToDouble() - cdf, -4 * 0.5 / Math.Sqrt(samples), 4 * 0.5 / Math.Sqrt(samples));
    }

    [Fact]
    public void Five_samples_agree_with_a_hundred_thousand_within_a_few_standard_errors()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(12);
        var x = randn(4, 10, dtype: ScalarType.Float64, generator: gen);
        const int k = 3;
        const double epsilon = 1.0;
        // Spread of a single draw's k-th largest, from an explicit sample of draws.
        var z = randn(new long[] { 4, 10, 2000 }, dtype: ScalarType.Float64, generator: gen);
        var draws = (x.unsqueeze(2) + epsilon * z).topk(k, dim: 1).values[.., k - 1, ..];
        var sd = Close.ToArray(draws.std(1));
        var large = Close.ToArray(F.perturbed_topk(x, k, epsilon, 100_000, gen));
        for (int repeat = 0; repeat < 3; repeat++)
        {
            var small = Close.ToArray(F.perturbed_topk(x, k, epsilon, 5, gen));
            for (int r = 0; r < 4; r++)
            {
                double se = sd[r] * Math.Sqrt(1.0 / 5 + 1.0 / 100_000);
                Assert.InRange(small[r] - large[r], -4.5 * se, 4.5 * se);
            }
        }
        // And the large-sample mean agrees with the explicit draws' mean.
        var explicitMean = Close.ToArray(draws.mean(new long[] { 1 }));
        for (int r = 0; r < 4; r++) Assert.InRange(large[r] - explicitMean[r], -4.5 * sd[r] / Math.Sqrt(2000), 4.5 * sd[r] / Math.Sqrt(2000));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Gradient_rows_sum_to_one_in_multiples_of_one_over_B(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        const int samples = 7;
        var x = randn(32, 40, dtype: dtype, generator: new Generator(3)).requires_grad_();
        F.perturbed_topk(x, 4, 0.7, samples, new Generator(4)).sum().backward();
        var grad = x.grad!.to_type(ScalarType.Float64);
        foreach (var s in Close.ToArray(grad.sum(1))) Assert.Equal(1.0, s, tolerance: 1e-6);
        foreach (var g in Close.ToArray(grad)) Assert.Equal(Math.Round(g * samples), g * samples, tolerance: 1e-4);
    }

    [Fact]
    public void A_generator_makes_the_draws_reproducible_and_matches_explicit_noise()
    {
        using var scope = NewDisposeScope();
        var x = randn(5, 30, dtype: ScalarType.Float64, generator: new Generator(1));
        var first = Close.ToArray(F.perturbed_topk(x, 3, 0.5, 6, new Generator(77)));
        var again = Close.ToArray(F.perturbed_topk(x, 3, 0.5, 6, new Generator(77)));
        var other = Close.ToArray(F.perturbed_topk(x, 3, 0.5, 6, new Generator(78)));
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        // CPU float64 takes the fused kernel: its Philox normals, keyed by one draw from the generator.
        var (seed, stream) = TopKLoss.Noised.PerturbedTopK.FusedKey(new Generator(77));
        var noise = TopKLoss.Tests.Kernels.KernelNoise.Of(5, 30, 6, seed, stream, ScalarType.Float64);
        var viaNoise = Close.ToArray(F.perturbed_topk(x, 3, 0.5, noise));
        for (int r = 0; r < 5; r++) Close.Relative(viaNoise[r], first[r], 1e-12, $"row {r}");
    }

    [Fact]
    public void Tensor_ops_draws_are_randn_laid_out_batch_samples_classes()
    {
        using var scope = NewDisposeScope();
        var x = randn(5, 30, dtype: ScalarType.Float64, generator: new Generator(1));
        var drawn = Close.ToArray(TopKLoss.Noised.PerturbedTopK.DrawWithTensorOps(x, 3, 0.5, 6, new Generator(77)));
        var noise = randn(new long[] { 5, 6, 30 }, dtype: ScalarType.Float64, generator: new Generator(77)).transpose(1, 2);
        var viaNoise = Close.ToArray(F.perturbed_topk(x, 3, 0.5, noise));
        for (int r = 0; r < 5; r++) Close.Relative(viaNoise[r], drawn[r], 1e-12, $"row {r}");
    }

    [Fact]
    public void Explicit_noise_is_left_unmodified()
    {
        using var scope = NewDisposeScope();
        var x = randn(3, 9);
        var noise = randn(3, 9, 4);
        var copy = noise.clone();
        F.perturbed_topk(x, 2, 0.3, noise);
        Assert.True(noise.eq(copy).all().item<bool>());
    }

    [Fact]
    public void A_NaN_row_gives_NaN_for_that_row_only() =>
        NaNRow.AffectsOnlyItsRow(x => F.perturbed_topk(x, 3, 0.5, 4, new Generator(3)));

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Half_precision_is_computed_in_float32_and_returned_in_the_input_dtype(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var x = randn(4, 20, generator: new Generator(5)).to_type(dtype).requires_grad_();
        var value = F.perturbed_topk(x, 2, 0.5, 3, new Generator(6));
        value.sum().backward();
        Assert.Equal(dtype, value.dtype);
        Assert.Equal(dtype, x.grad!.dtype);
        var reference = F.perturbed_topk(x.detach().to_type(ScalarType.Float32), 2, 0.5, 3, new Generator(6));
        Close.ScaledByMax(Close.ToArray(reference), Close.ToArray(value), 1e-2, "value");
    }
}
