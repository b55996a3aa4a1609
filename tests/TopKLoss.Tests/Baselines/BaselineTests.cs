using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.Baselines;

/// <summary>Margins formula, focal and LDAM against closed forms, NormedLinear, modules and dispose hygiene.</summary>
public class BaselineTests
{
    [Fact]
    public void Margins_follow_the_inverse_fourth_root_with_the_rarest_class_at_max()
    {
        // n_c = 1, 16, 81, 10000 → n_c^(−1/4) = 1, 1/2, 1/3, 1/10, already maximal at the rarest class.
        var m = Close.ToArray(F.class_margins(new long[] { 16, 1, 10000, 81 }, 0.2));
        double[] expected = { 0.1, 0.2, 0.02, 0.2 / 3 };
        for (int c = 0; c < 4; c++) Close.Relative(expected[c], m[c], 1e-15, $"class {c}");
        Assert.Equal(ScalarType.Float64, F.class_margins(new long[] { 3 }, 0.5).dtype);
        Assert.Equal(0.5, F.class_margins(new long[] { 3 }, 0.5).ToDouble(), 15);
    }

    [Fact]
    public void Focal_with_gamma_zero_is_cross_entropy()
    {
        using var scope = NewDisposeScope();
        var x = randn(9, 13, dtype: ScalarType.Float64, generator: new Generator(1)).mul(3);
        var y = randint(0, 13, new long[] { 9 }, generator: new Generator(2));
        Close.ScaledByMax(Close.ToArray(nn.functional.cross_entropy(x, y, reduction: nn.Reduction.None)),
            Close.ToArray(F.focal_loss(x, y, 0.0, nn.Reduction.None)), 1e-15, "per sample");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    [InlineData(3.7)]
    public void Focal_matches_its_formula_and_finite_differences(double gamma)
    {
        using var scope = NewDisposeScope();
        var x = randn(5, 7, dtype: ScalarType.Float64, generator: new Generator(3)).mul(2).requires_grad_();
        var y = tensor(new long[] { 0, 3, 6, 2, 2 });
        var loss = F.focal_loss(x, y, gamma, nn.Reduction.Sum);
        var xs = Close.ToArray(x);
        var labels = y.data<long>().ToArray();
        double Brute(double[] v)
        {
            double total = 0;
            for (int r = 0; r < 5; r++)
            {
                var row = v.Skip(r * 7).Take(7).ToArray();
                double max = row.Max(), logZ = max + Math.Log(row.Sum(s => Math.Exp(s - max)));
                double p = Math.Exp(row[labels[r]] - logZ);
                total += Math.Pow(1 - p, gamma) * -(row[labels[r]] - logZ);
            }
            return total;
        }
        Close.Relative(Brute(xs), loss.ToDouble(), 1e-12, "loss");
        loss.backward();
        var grad = Close.ToArray(x.grad!);
        var numeric = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            var plus = (double[])xs.Clone(); plus[i] += 1e-6;
            var minus = (double[])xs.Clone(); minus[i] -= 1e-6;
            numeric[i] = (Brute(plus) - Brute(minus)) / 2e-6;
        }
        Close.ScaledByMax(numeric, grad, 1e-6);
    }

    [Fact]
    public void Focal_gradient_stays_finite_for_a_certain_sample_with_gamma_below_one()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 200, 0, 0, 1, 2, 3 }).reshape(2, 3).requires_grad_();
        var y = tensor(new long[] { 0, 2 });
        var loss = F.focal_loss(x, y, 0.5);
        loss.backward();
        Assert.True(double.IsFinite(loss.ToDouble()));
        Assert.True(x.grad!.isfinite().all().item<bool>());
        // p_y = 1 − 2e−200·… rounds 1 − p_y below the floor: the slope there is (1 − p)^γ·∂CE ≈ 0.
        Assert.All(Close.ToArray(x.grad![0]), g => Assert.InRange(Math.Abs(g), 0, 1e-60));
    }

    [Fact]
    public void Ldam_is_cross_entropy_of_the_scaled_scores_with_the_label_margin_removed()
    {
        using var scope = NewDisposeScope();
        var x = randn(6, 5, dtype: ScalarType.Float64, generator: new Generator(4)).tanh();
        var y = tensor(new long[] { 0, 1, 4, 4, 2, 3 });
        var margins = tensor(new[] { 0.1, 0.2, 0.3, 0.4, 0.5 }, dtype: ScalarType.Float64);
        var shifted = x.clone();
        var labels = y.data<long>().ToArray();
        for (int r = 0; r < 6; r++) shifted[r, labels[r]] = shifted[r, labels[r]] - margins[labels[r]];
        var expected = nn.functional.cross_entropy(shifted * 25.0, y, reduction: nn.Reduction.None);
        Close.ScaledByMax(Close.ToArray(expected), Close.ToArray(F.ldam_loss(x, y, margins, 25.0, nn.Reduction.None)), 1e-14);
        // Zero margins and scale 1: plain cross-entropy.
        Close.Relative(nn.functional.cross_entropy(x, y).ToDouble(), F.ldam_loss(x, y, zeros(5, dtype: ScalarType.Float64), 1.0).ToDouble(), 1e-15);
    }

    [Fact]
    public void Normed_linear_outputs_cosines_and_starts_with_unit_class_vectors()
    {
        using var scope = NewDisposeScope();
        var layer = TopK.NormedLinear(8, 5);
        Assert.Equal(new long[] { 5, 8 }, layer.weight.shape);
        foreach (var norm in Close.ToArray(layer.weight.norm(1))) Assert.Equal(1.0, norm, tolerance: 1e-6);
        var x = randn(4, 8, generator: new Generator(6)).mul(10);
        var output = layer.call(x);
        var xs = HostRows.Rows(x);
        var ws = HostRows.Rows(layer.weight);
        for (int b = 0; b < 4; b++)
            for (int c = 0; c < 5; c++)
            {
                double dot = 0, nx = 0, nw = 0;
                for (int i = 0; i < 8; i++) { dot += xs[b][i] * ws[c][i]; nx += xs[b][i] * xs[b][i]; nw += ws[c][i] * ws[c][i]; }
                Assert.Equal(dot / Math.Sqrt(nx * nw), output[b, c].ToDouble(), tolerance: 1e-5); // float32 cosine (not rounding to decimals: flaky at a boundary)
            }
        Assert.Single(layer.parameters());
        output.sum().backward();
        Assert.NotNull(layer.weight.grad);
        Assert.Equal(ScalarType.Float64, TopK.NormedLinear(3, 2, dtype: ScalarType.Float64).weight.dtype);
    }

    [Fact]
    public void Modules_equal_the_functional_forms()
    {
        using var scope = NewDisposeScope();
        var x = randn(6, 4, generator: new Generator(7));
        var y = tensor(new long[] { 0, 1, 2, 3, 3, 3 });
        var counts = new long[] { 100, 20, 5, 1 };
        Close.Relative(F.focal_loss(x, y, 1.5).ToDouble(), TopK.FocalLoss(1.5).call(x, y).ToDouble(), 1e-12, "focal");
        Close.Relative(F.focal_loss(x, y, 1.5, nn.Reduction.Sum).ToDouble(), TopK.FocalLoss(1.5, nn.Reduction.Sum).call(x, y).ToDouble(), 1e-12, "focal sum");
        var ldam = TopK.LdamLoss(counts, 0.3, 20);
        Close.Relative(F.ldam_loss(x, y, F.class_margins(counts, 0.3), 20).ToDouble(), ldam.call(x, y).ToDouble(), 1e-6, "ldam");
        Assert.Contains(ldam.named_buffers(), b => b.name == "margins");
        // Converting the module converts the margins it uses.
        ldam.to(ScalarType.Float32);
        Assert.Equal(ScalarType.Float32, ldam.Margins.dtype);
        Assert.Equal(ScalarType.Float32, ldam.named_buffers().Single().buffer.dtype);
        Close.Relative(F.ldam_loss(x, y, F.class_margins(counts, 0.3), 20).ToDouble(), ldam.call(x, y).ToDouble(), 1e-6, "ldam after to()");
    }

    [Fact]
    public void Baselines_leave_only_their_result_in_the_callers_dispose_scope()
    {
        using var scope = NewDisposeScope();
        var x = randn(6, 4).requires_grad_();
        var y = tensor(new long[] { 0, 1, 2, 3, 3, 3 });
        var margins = F.class_margins(new long[] { 1, 2, 3, 4 }, 0.5);
        var ldam = TopK.LdamLoss(new long[] { 1, 2, 3, 4 });
        foreach (var call in new Func<Tensor>[] { () => F.focal_loss(x, y), () => F.ldam_loss(x, y, margins), () => ldam.call(x, y) })
        {
            long count = scope.DisposablesCount;
            call().backward();
            Assert.Equal(count + 1, scope.DisposablesCount);
        }
    }
}

/// <summary>A 2-D tensor as host rows.</summary>
internal static class HostRows
{
    public static double[][] Rows(Tensor t)
    {
        var flat = Close.ToArray(t);
        int cols = (int)t.shape[1];
        return Enumerable.Range(0, (int)t.shape[0]).Select(r => flat.Skip(r * cols).Take(cols).ToArray()).ToArray();
    }
}
