using TopKLoss.Kernels;
using TopKLoss.Tests.Support;

namespace TopKLoss.Tests.Kernels;

/// <summary>
/// The fused kernel against the tensor-ops formula on the very same normals (materialized by
/// KernelNoise.Of): x.unsqueeze(−1) + ε·z → stable descending sort → k-th → mean over B,
/// gradient through torch's own autograd.
/// </summary>
public class FusedNoisedTopKTests
{
    private static (double[] Value, double[] Grad) Oracle(Tensor x, int k, double epsilon, Tensor noise, Tensor weights)
    {
        using var scope = NewDisposeScope();
        var leaf = x.detach().requires_grad_();
        var perturbed = leaf.unsqueeze(-1) + epsilon * noise;
        var sorted = perturbed.sort(dim: 1, descending: true, stable: true).Values;
        var value = sorted.select(1, k - 1).mean(new long[] { -1 });
        var grad = torch.autograd.grad(new[] { (value * weights).sum() }, new[] { leaf })[0];
        return (Close.ToArray(value), Close.ToArray(grad));
    }

    private static (double[] Value, double[] Grad) Fused(Tensor x, int k, double epsilon, int samples, ulong seed, ulong stream, Tensor weights)
    {
        using var scope = NewDisposeScope();
        var leaf = x.detach().requires_grad_();
        var value = FusedNoisedTopK.Apply(leaf, k, epsilon, samples, seed, stream);
        Assert.Equal(new[] { x.shape[0] }, value.shape);
        Assert.Equal(x.dtype, value.dtype);
        var grad = torch.autograd.grad(new[] { (value * weights).sum() }, new[] { leaf })[0];
        return (Close.ToArray(value), Close.ToArray(grad));
    }

    private static void AssertMatchesOracle(Tensor x, int k, double epsilon, int samples, ulong seed, ulong stream, string what)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], n = x.shape[1];
        var weights = rand(batch, dtype: x.dtype, generator: new Generator(seed + 1)) + 0.5;
        var noise = KernelNoise.Of(batch, n, samples, seed, stream, x.dtype);
        var expected = Oracle(x, k, epsilon, noise, weights);
        var actual = Fused(x, k, epsilon, samples, seed, stream, weights);
        double tolerance = x.dtype == ScalarType.Float32 ? 1e-6 : 1e-13;
        for (int b = 0; b < batch; b++)
            Assert.True(expected.Value[b] == actual.Value[b] || Math.Abs(expected.Value[b] - actual.Value[b]) <= tolerance * Math.Max(1, Math.Abs(expected.Value[b])),
                $"{what}: row {b} value {actual.Value[b]:R} vs oracle {expected.Value[b]:R}");
        Close.ScaledByMax(expected.Grad, actual.Grad, tolerance, $"{what}: gradient");
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Value_and_gradient_equal_the_tensor_ops_formula_on_the_same_noise(ScalarType dtype)
    {
        var random = new Random(123);
        for (int trial = 0; trial < 160; trial++)
        {
            using var scope = NewDisposeScope();
            // short rows (all blocks are seeds), and rows up to 1500 columns (beyond 8 groups of 128: the
            // float seed choice by groups) with small k, where candidates and exact draws act
            int batch = random.Next(1, 5), n = trial % 2 == 0 ? random.Next(1, 40) : trial % 4 == 1 ? random.Next(40, 400) : random.Next(900, 1500);
            int k = trial % 2 == 0 ? random.Next(1, n + 1) : random.Next(1, 8);
            int samples = new[] { 1, 2, 3, 5, 10 }[random.Next(5)];
            double epsilon = new[] { 0.0, 0.01, 0.2, 1.0, 5.0 }[random.Next(5)];
            double scale = new[] { 0.1, 1.0, 3.0, 30.0 }[random.Next(4)];
            var generator = new Generator((ulong)trial);
            // every third case has integer scores: many exact ties, which the order "lower index first" settles
            var x = trial % 3 == 0
                ? randint(-2, 3, new long[] { batch, n }, generator: generator).to_type(dtype)
                : (randn(batch, n, dtype: ScalarType.Float64, generator: generator) * scale).to_type(dtype);
            AssertMatchesOracle(x, k, epsilon, samples, (ulong)trial * 7919, (ulong)trial, $"trial {trial}: b {batch} n {n} k {k} B {samples} ε {epsilon} scale {scale}");
        }
    }

    [Theory]
    [InlineData(100, 65, 1.0)]   // above the buffer limit: the sort path
    [InlineData(100, 99, 0.5)]
    [InlineData(100, 100, 2.0)]  // k = n: the minimum
    [InlineData(70, 64, 0.0)]    // the largest buffered k, hard
    [InlineData(2000, 6, 0.01)]  // wide scores, small ε: nearly every column pruned
    [InlineData(3000, 21, 0.2)]  // k > 16: the floors and intervals without the one-vector sort
    [InlineData(70000, 6, 1.0)]  // n > 2¹⁶: the candidates in 32-bit lists, without compress stores
    public void Large_k_and_pruned_rows_equal_the_tensor_ops_formula(int n, int k, double epsilon)
    {
        using var scope = NewDisposeScope();
        foreach (var dtype in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            var x = (randn(6, n, dtype: ScalarType.Float64, generator: new Generator((ulong)(n + k))) * 10).to_type(dtype);
            AssertMatchesOracle(x, k, epsilon, 5, 99, 1, $"n {n} k {k} ε {epsilon} {dtype}");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Dense_rows_where_noise_is_as_wide_as_the_scores_equal_the_tensor_ops_formula(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // ε = 1 on unit-variance scores: pruning cannot help, the kernel draws whole rows.
        var x = randn(7, 1000, dtype: ScalarType.Float64, generator: new Generator(17)).to_type(dtype);
        AssertMatchesOracle(x, 6, 1.0, 10, 5, 3, $"dense {dtype}");
    }

    [Theory]
    [InlineData(1e6, 0.01)]  // ε·z below half an ulp of x in float32: most perturbed values tie with x
    [InlineData(1e6, 0.1)]
    [InlineData(1e3, 0.001)]
    public void Skip_tests_stay_exact_where_rounding_of_the_sum_creates_ties(double offset, double epsilon)
    {
        using var scope = NewDisposeScope();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            var x = (randn(4, 500, dtype: ScalarType.Float64, generator: new Generator(3)) * epsilon * 3 + offset).to_type(dtype);
            AssertMatchesOracle(x, 5, epsilon, 10, 17, 2, $"offset {offset} ε {epsilon} {dtype}");
        }
    }

    [Theory]
    [InlineData(1e-30)]  // ε·z far below every ulp of x: all draws round to x, every interval is a point
    [InlineData(1e-7)]
    [InlineData(1e4)]    // noise far wider than the scores: the floor is set by the draws alone
    [InlineData(1e30)]   // x + ε·z near float's range: such rows take the full draw and sort
    public void Extreme_noise_scales_equal_the_tensor_ops_formula(double epsilon)
    {
        using var scope = NewDisposeScope();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            var x = randn(3, 700, dtype: ScalarType.Float64, generator: new Generator(8)).to_type(dtype);
            AssertMatchesOracle(x, 5, epsilon, 6, 4, 2, $"ε {epsilon} {dtype}");
        }
    }

    [Fact]
    public void Intervals_and_draws_that_round_to_the_same_float_keep_the_lower_index_first()
    {
        // Scores near 1000 and ε·z within a few ulps (6.1e-5) of them: bounds, draws and neighbours
        // round to the same few floats, so an interval's end equals another's exactly, and the
        // order among equal values (lower index first) decides the k-th.
        var random = new Random(31);
        for (int trial = 0; trial < 80; trial++)
        {
            using var scope = NewDisposeScope();
            double epsilon = new[] { 3e-5, 1e-4, 3e-4 }[trial % 3];
            int n = trial % 2 == 0 ? random.Next(12, 40) : random.Next(150, 1200), k = random.Next(1, 9); // short rows: at most 16 intervals, one vector
            var x = (randn(4, n, dtype: ScalarType.Float64, generator: new Generator((ulong)trial)) * epsilon + 1000).to_type(ScalarType.Float32);
            AssertMatchesOracle(x, k, epsilon, 10, (ulong)trial, 5, $"trial {trial}: n {n} k {k} ε {epsilon}");
        }
    }

    [Fact]
    public void Pruning_is_exact_for_a_row_whose_kth_score_sits_exactly_at_the_reach_of_the_noise()
    {
        using var scope = NewDisposeScope();
        // Entries at top_k(x) − 2εR and just above: the boundary of the pruning test, kept both sides.
        double epsilon = 0.5, reach = epsilon * CoarseBounds.UpperD[^1]; // the largest normal any draw can be
        var row = new double[] { 10, 9, 8, 8 - 2 * reach, 8 - 2 * reach + 1e-9, 8 - 2 * reach - 1e-9, -50, 7.9 };
        var x = tensor(row).reshape(1, row.Length);
        AssertMatchesOracle(x, 3, epsilon, 10, 5, 5, "boundary");
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Epsilon_zero_gives_the_hard_kth_largest_and_its_one_hot_at_the_lowest_tied_index(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 3, 3, 2, 3, 0, 2, 2, 5, -1, 4, 4 }).reshape(2, 6).to_type(dtype).requires_grad_();
        var value = FusedNoisedTopK.Apply(x, 3, 0.0, 4, 1, 2);
        value.sum().backward();
        Assert.Equal(new double[] { 3, 4 }, Close.ToArray(value));
        // row 0: 3, 3, 3 at 1, 2, 4 → third is index 4; row 1: 5, 4, 4 at 2, 4, 5 → third is index 5
        Assert.Equal(new double[] { 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1 }, Close.ToArray(x.grad!));
    }

    [Fact]
    public void Gradient_rows_sum_to_the_upstream_gradient()
    {
        using var scope = NewDisposeScope();
        var x = randn(16, 300, generator: new Generator(4)).requires_grad_();
        var value = FusedNoisedTopK.Apply(x, 6, 1.0, 10, 8, 0);
        (value * arange(16, dtype: ScalarType.Float32)).sum().backward();
        var sums = Close.ToArray(x.grad!.sum(1));
        for (int b = 0; b < 16; b++) Close.Relative(b == 0 ? 1e-300 : b, b == 0 ? 1e-300 + sums[b] : sums[b], 1e-6, $"row {b}");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void A_mean_upstream_gradient_expanded_with_stride_0_gives_the_same_gradient_as_a_dense_one(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var x = randn(8, 200, dtype: dtype, generator: new Generator(6));
        var leaf = x.detach().requires_grad_();
        var viaMean = torch.autograd.grad(new[] { FusedNoisedTopK.Apply(leaf, 4, 1.0, 5, 2, 3).mean() }, new[] { leaf })[0];
        var viaDense = torch.autograd.grad(new[] { (FusedNoisedTopK.Apply(leaf, 4, 1.0, 5, 2, 3) * full(8, 1.0 / 8, dtype: dtype)).sum() }, new[] { leaf })[0];
        Assert.Equal(Close.ToArray(viaDense), Close.ToArray(viaMean));
    }

    [Fact]
    public void Monte_Carlo_mean_of_the_max_of_two_converges_to_the_closed_form()
    {
        using var scope = NewDisposeScope();
        // E max(a + εZ1, b + εZ2) = b + d·Φ(d/σ) + σ·φ(d/σ), d = a − b, σ = ε√2; the min is a + b − that.
        double a = 0.3, b = -0.2, epsilon = 1.5, d = a - b, sigma = epsilon * Math.Sqrt(2);
        double phi = Math.Exp(-0.5 * (d / sigma) * (d / sigma)) / Math.Sqrt(2 * Math.PI);
        double cdf = special.ndtr(tensor(d / sigma)).ToDouble();
        double expectedMax = b + d * cdf + sigma * phi;
        const int samples = 200_000;
        var x = tensor(new double[] { a, b }).reshape(1, 2);
        double max = FusedNoisedTopK.Apply(x, 1, epsilon, samples, 12, 0).ToDouble();
        double min = FusedNoisedTopK.Apply(x, 2, epsilon, samples, 12, 1).ToDouble();
        double standardError = 1.5 * epsilon / Math.Sqrt(samples);
        Assert.True(Math.Abs(max - expectedMax) < 5 * standardError, $"E max: {max} vs {expectedMax}");
        Assert.True(Math.Abs(min - (a + b - expectedMax)) < 5 * standardError, $"E min: {min} vs {a + b - expectedMax}");
    }

    [Fact]
    public void Results_do_not_depend_on_the_number_of_threads_and_streams_give_fresh_noise()
    {
        var previous = CpuRows.MaxDegreeOfParallelism;
        try
        {
            using var scope = NewDisposeScope();
            var x = randn(64, 1000, generator: new Generator(1));
            var weights = ones(64);
            CpuRows.MaxDegreeOfParallelism = 1;
            var one = Fused(x, 5, 1.0, 10, 3, 4, weights);
            CpuRows.MaxDegreeOfParallelism = 3;
            var three = Fused(x, 5, 1.0, 10, 3, 4, weights);
            Assert.Equal(one.Value, three.Value);
            Assert.Equal(one.Grad, three.Grad);
            Assert.NotEqual(one.Value, Fused(x, 5, 1.0, 10, 3, 5, weights).Value);
        }
        finally { CpuRows.MaxDegreeOfParallelism = previous; }
    }

    [Fact]
    public void Non_contiguous_input_equals_its_contiguous_copy()
    {
        using var scope = NewDisposeScope();
        var transposed = randn(50, 8, dtype: ScalarType.Float64, generator: new Generator(6)).t();
        Assert.False(transposed.is_contiguous());
        Assert.Equal(Close.ToArray(FusedNoisedTopK.Apply(transposed.contiguous(), 4, 0.7, 5, 1, 1)),
            Close.ToArray(FusedNoisedTopK.Apply(transposed, 4, 0.7, 5, 1, 1)));
    }

    [Fact]
    public void A_NaN_row_gives_NaN_for_that_row_only() =>
        NaNRow.AffectsOnlyItsRow(x => FusedNoisedTopK.Apply(x, 3, 1.0, 5, 1, 1));

    [Fact]
    public void Infinite_scores_are_ranked_like_any_other_value()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { double.PositiveInfinity, 1, double.NegativeInfinity, 2, double.PositiveInfinity, 0 }).reshape(1, 6);
        AssertMatchesOracle(x, 2, 1.0, 5, 1, 1, "k = 2 among two +inf");
        AssertMatchesOracle(x, 3, 1.0, 5, 1, 1, "k = 3 below two +inf");
        AssertMatchesOracle(x, 6, 1.0, 5, 1, 1, "k = n at −inf");
    }

    [Fact]
    public void Apply_leaves_only_its_result_in_the_callers_dispose_scope()
    {
        using var scope = NewDisposeScope();
        var x = randn(8, 50).requires_grad_();
        var count = scope.DisposablesCount;
        var value = FusedNoisedTopK.Apply(x, 5, 1.0, 10, 1, 1);
        Assert.Equal(count + 1, scope.DisposablesCount);
        value.sum().backward();
        Assert.NotNull(x.grad);
    }

    [Fact]
    public void Bad_arguments_are_rejected_by_name_before_any_work()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, 10);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => FusedNoisedTopK.Apply(x, 0, 1, 5, 1, 1)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => FusedNoisedTopK.Apply(x, 11, 1, 5, 1, 1)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => FusedNoisedTopK.Apply(x, 3, -0.1, 5, 1, 1)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => FusedNoisedTopK.Apply(x, 3, double.NaN, 5, 1, 1)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => FusedNoisedTopK.Apply(x, 3, double.PositiveInfinity, 5, 1, 1)).ParamName);
        Assert.Equal("nSamples", Assert.Throws<ArgumentOutOfRangeException>(() => FusedNoisedTopK.Apply(x, 3, 1, 0, 1, 1)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => FusedNoisedTopK.Apply(x.to_type(ScalarType.Int64), 3, 1, 5, 1, 1)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => FusedNoisedTopK.Apply(x.flatten(), 3, 1, 5, 1, 1)).ParamName);
    }
}
