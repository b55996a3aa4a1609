using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.Noised;

/// <summary>The balanced and imbalanced noised losses: oracle, k+1, reductions, dtypes, modules, dispose hygiene.</summary>
public class NoisedLossTests
{
    private static (Tensor X, Tensor Y, Tensor Z) Batch(ScalarType dtype, int batch = 8, int n = 15, int samples = 6, ulong seed = 1)
    {
        var gen = new Generator(seed);
        return (randn(batch, n, dtype: dtype, generator: gen).mul(1.5), randint(0, n, new long[] { batch }, generator: gen),
            randn(new long[] { batch, n, samples }, dtype: dtype, generator: gen));
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1, 0.5)]
    [InlineData(ScalarType.Float64, 5, 1.0)]
    [InlineData(ScalarType.Float32, 3, 0.2)]
    [InlineData(ScalarType.Float64, 14, 0.5)] // k = n − 1, the largest allowed: top_{k+1} is the perturbed minimum
    public void Balanced_loss_matches_a_hinge_on_the_oracle_kplus1_value(ScalarType dtype, int k, double epsilon)
    {
        using var scope = NewDisposeScope();
        var (x, y, z) = Batch(dtype);
        x.requires_grad_();
        var loss = F.noised_topk_loss(x, y, k, epsilon, z, nn.Reduction.None);
        loss.sum().backward();
        var (top, topGrad) = NoisedOracle.PerturbedTopK(NoisedOracle.Matrix(x), NoisedOracle.Cube(z), k + 1, epsilon);
        var xs = NoisedOracle.Matrix(x);
        var labels = y.data<long>().ToArray();
        var actual = Close.ToArray(loss);
        var expectedGrad = new double[8, 15];
        double tol = dtype == ScalarType.Float64 ? 1e-12 : 1e-5;
        for (int r = 0; r < 8; r++)
        {
            double margin = 1 + top[r] - xs[r, labels[r]];
            Close.Relative(Math.Max(0, margin), actual[r], tol, $"row {r}");
            if (margin > 0)
            {
                for (int j = 0; j < 15; j++) expectedGrad[r, j] = topGrad[r, j];
                expectedGrad[r, labels[r]] -= 1;
            }
        }
        Close.ScaledByMax(NoisedOracle.Flatten(expectedGrad), Close.ToArray(x.grad!), tol);
    }

    [Fact]
    public void Imbalanced_loss_is_the_scaled_hinge_with_the_label_margin()
    {
        using var scope = NewDisposeScope();
        var (x, y, z) = Batch(ScalarType.Float64, seed: 4);
        var margins = F.class_margins(Enumerable.Range(1, 15).Select(c => (long)(c * c)).ToArray(), 0.3);
        const int k = 2; const double epsilon = 0.4, scale = 7.0;
        var loss = Close.ToArray(F.imbalanced_noised_topk_loss(x, y, k, epsilon, margins, scale, z, nn.Reduction.None));
        var (top, _) = NoisedOracle.PerturbedTopK(NoisedOracle.Matrix(x), NoisedOracle.Cube(z), k + 1, epsilon);
        var xs = NoisedOracle.Matrix(x);
        var m = Close.ToArray(margins);
        var labels = y.data<long>().ToArray();
        for (int r = 0; r < 8; r++)
            Close.Relative(Math.Max(0, scale * (m[labels[r]] + top[r] - xs[r, labels[r]])), loss[r], 1e-12, $"row {r}");
    }

    [Fact]
    public void The_loss_uses_the_kplus1_th_largest_score()
    {
        using var scope = NewDisposeScope();
        // Label 0 scores 5, 2nd of 6: inside the top 2, so with k = 2 the hinge compares it with top_3 = 3.5.
        // (top_2 = 5, the k-th instead of the (k+1)-th, would give 1 + 5 − 5 = 1.)
        var x = tensor(new double[] { 5, 10, 3.5, 1, 0, -1, 4, 10, 3.5, 1, 0, -1 }).reshape(2, 6);
        var y = tensor(new long[] { 0, 0 });
        var zero = zeros(2, 6, 3, dtype: ScalarType.Float64);
        Assert.Equal(new[] { 0.0, 0.5 }, Close.ToArray(F.noised_topk_loss(x, y, 2, 0.0, zero, nn.Reduction.None)));
        Assert.Equal(new[] { 0.0, 0.5 }, Close.ToArray(F.noised_topk_loss(x, y, 2, 0.0, 4, null, nn.Reduction.None)));
        // Imbalanced, margin 0.25 for both classes in play, scale 2: 2·(0.25 + 3.5 − 5) → 0 and 2·(0.25 + 3.5 − 4) → 0 too.
        var margins = full(6, 0.25, dtype: ScalarType.Float64);
        Assert.Equal(new[] { 0.0, 0.0 }, Close.ToArray(F.imbalanced_noised_topk_loss(x, y, 2, 0.0, margins, 2.0, zero, nn.Reduction.None)));
        margins = full(6, 0.75, dtype: ScalarType.Float64);
        Assert.Equal(new[] { 0.0, 0.5 }, Close.ToArray(F.imbalanced_noised_topk_loss(x, y, 2, 0.0, margins, 2.0, zero, nn.Reduction.None)));
    }

    [Fact]
    public void Reductions_are_none_sum_and_mean_of_the_same_vector()
    {
        using var scope = NewDisposeScope();
        var (x, y, z) = Batch(ScalarType.Float64, seed: 6);
        var none = F.noised_topk_loss(x, y, 3, 0.5, z, nn.Reduction.None);
        Assert.Equal(new long[] { 8 }, none.shape);
        Close.Relative(none.sum().ToDouble(), F.noised_topk_loss(x, y, 3, 0.5, z, nn.Reduction.Sum).ToDouble(), 1e-14);
        Close.Relative(none.mean().ToDouble(), F.noised_topk_loss(x, y, 3, 0.5, z).ToDouble(), 1e-14);
        var margins = F.class_margins(Enumerable.Repeat(10L, 15).ToArray(), 0.2);
        var imbalanced = F.imbalanced_noised_topk_loss(x, y, 3, 0.5, margins, 10, z, nn.Reduction.None);
        Close.Relative(imbalanced.sum().ToDouble(), F.imbalanced_noised_topk_loss(x, y, 3, 0.5, margins, 10, z, nn.Reduction.Sum).ToDouble(), 1e-14);
    }

    [Fact]
    public void Sampling_overloads_are_reproducible_with_a_generator()
    {
        using var scope = NewDisposeScope();
        var (x, y, _) = Batch(ScalarType.Float32, seed: 8);
        var margins = F.class_margins(Enumerable.Range(1, 15).Select(c => (long)c).ToArray(), 0.2);
        Assert.Equal(F.noised_topk_loss(x, y, 3, 0.5, 5, new Generator(9)).ToDouble(), F.noised_topk_loss(x, y, 3, 0.5, 5, new Generator(9)).ToDouble());
        Assert.NotEqual(F.noised_topk_loss(x, y, 3, 0.5, 5, new Generator(9)).ToDouble(), F.noised_topk_loss(x, y, 3, 0.5, 5, new Generator(10)).ToDouble());
        Assert.Equal(F.imbalanced_noised_topk_loss(x, y, 3, 0.5, margins, 20, 5, new Generator(9)).ToDouble(),
            F.imbalanced_noised_topk_loss(x, y, 3, 0.5, margins, 20, 5, new Generator(9)).ToDouble());
        // Same draws as the explicit-noise form with the fused kernel's normals (CPU float32).
        var (seed, stream) = TopKLoss.Noised.PerturbedTopK.FusedKey(new Generator(9));
        var noise = TopKLoss.Tests.Kernels.KernelNoise.Of(8, 15, 5, seed, stream, ScalarType.Float32);
        Close.Relative(F.noised_topk_loss(x, y, 3, 0.5, noise).ToDouble(), F.noised_topk_loss(x, y, 3, 0.5, 5, new Generator(9)).ToDouble(), 1e-6);
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Half_precision_losses_come_back_in_the_input_dtype(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var (x, y, z) = Batch(ScalarType.Float32, seed: 3);
        var xh = x.to_type(dtype).requires_grad_();
        var loss = F.noised_topk_loss(xh, y, 3, 0.5, z);
        loss.backward();
        Assert.Equal(dtype, loss.dtype);
        Assert.Equal(dtype, xh.grad!.dtype);
        var reference = F.noised_topk_loss(xh.detach().to_type(ScalarType.Float32), y, 3, 0.5, z).ToDouble();
        Close.Relative(reference, loss.to_type(ScalarType.Float64).ToDouble(), 2e-2, "loss");
    }

    [Fact]
    public void Modules_equal_the_functional_forms_and_train()
    {
        using var scope = NewDisposeScope();
        var counts = Enumerable.Range(0, 12).Select(c => (long)(100 >> (c / 2))).ToArray();
        var balanced = TopK.NoisedTopKLoss(k: 2, epsilon: 0.3, n_samples: 4, generator: new Generator(5));
        var imbalanced = TopK.ImbalancedNoisedTopKLoss(2, 0.01, counts, max_margin: 0.2, scale: 30, n_samples: 4, generator: new Generator(5));
        var scores = randn(10, 12, generator: new Generator(1));
        var labels = randint(0, 12, new long[] { 10 }, generator: new Generator(2));
        Close.Relative(F.noised_topk_loss(scores, labels, 2, 0.3, 4, new Generator(5)).ToDouble(), balanced.call(scores, labels).ToDouble(), 1e-12, "balanced");
        var margins = F.class_margins(counts, 0.2);
        Close.Relative(F.imbalanced_noised_topk_loss(scores, labels, 2, 0.01, margins, 30, 4, new Generator(5)).ToDouble(),
            imbalanced.call(scores, labels).ToDouble(), 1e-6, "imbalanced");
        Assert.Equal(Close.ToArray(margins), Close.ToArray(imbalanced.Margins));
        Assert.Contains(imbalanced.named_buffers(), b => b.name == "margins");

        foreach (var criterion in new Loss<Tensor, Tensor, Tensor>[] { balanced, imbalanced })
        {
            var model = nn.Sequential(nn.Linear(6, 16), TopK.NormedLinear(16, 12));
            var optimizer = optim.SGD(model.parameters(), 0.05);
            var inputs = randn(32, 6, generator: new Generator(3));
            var targets = randint(0, 12, new long[] { 32 }, generator: new Generator(4));
            double Eval() { using var s = NewDisposeScope(); return F.noised_topk_loss(model.call(inputs), targets, 2, 0.0, 1, null).ToDouble(); }
            double before = Eval();
            for (int step = 0; step < 60; step++)
            {
                using var s = NewDisposeScope();
                optimizer.zero_grad();
                criterion.call(model.call(inputs), targets).backward();
                optimizer.step();
            }
            Assert.True(Eval() < before, $"{criterion.GetType().Name}: training lowers the hard top-k hinge ({before} → {Eval()})");
        }
    }

    [Fact]
    public void Losses_leave_only_their_result_in_the_callers_dispose_scope()
    {
        using var scope = NewDisposeScope();
        var (x, y, z) = Batch(ScalarType.Float32, seed: 2);
        x.requires_grad_();
        var margins = F.class_margins(Enumerable.Repeat(3L, 15).ToArray(), 0.2);
        var module = TopK.ImbalancedNoisedTopKLoss(2, 0.1, Enumerable.Repeat(3L, 15).ToArray());
        var calls = new Func<Tensor>[]
        {
            () => F.perturbed_topk(x, 3, 0.5, z),
            () => F.perturbed_topk(x, 3, 0.5, 4),
            () => F.noised_topk_loss(x, y, 3, 0.5, z),
            () => F.noised_topk_loss(x, y, 3, 0.5, 4),
            () => F.imbalanced_noised_topk_loss(x, y, 3, 0.5, margins, 10, z),
            () => F.imbalanced_noised_topk_loss(x, y, 3, 0.5, margins, 10, 4),
            () => module.call(x, y),
            () => TopK.NoisedTopKLoss().call(x, y),
        };
        foreach (var call in calls)
        {
            long count = scope.DisposablesCount;
            var result = call();
            Assert.Equal(count + 1, scope.DisposablesCount);
            count = scope.DisposablesCount;
            result.sum().backward();
        }
    }
}
