using TopKLoss.SmoothSvm;
using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.SmoothSvm;

/// <summary>Extreme scales, dtypes, NaN rows, the module form and dispose-scope hygiene.</summary>
public class SmoothSvmRobustnessTests
{
    [Theory]
    [InlineData(1000, 1e4, 5, 1.0)]
    [InlineData(100_000, 1e4, 5, 1.0)]
    [InlineData(100_000, 1.0, 20, 1.0)]
    [InlineData(1000, 1e3, 20, 0.01)]
    public void Float32_stays_finite_and_matches_float64_at_extreme_scales(int n, double scale, int k, double tau)
    {
        using var scope = NewDisposeScope();
        var x64 = (randn(3, n, dtype: ScalarType.Float64, generator: new Generator(11)) * scale);
        // One row with a single dominant score and ties below it: smooth path, log-space fallback.
        x64[0] = zeros(n, dtype: ScalarType.Float64);
        x64[0, 1] = tensor(scale, dtype: ScalarType.Float64);
        var y = tensor(new long[] { 0, 1, 2 });
        var x32 = x64.to_type(ScalarType.Float32).requires_grad_();
        var loss32 = F.smooth_topk_svm_loss(x32, y, k, tau, reduction: nn.Reduction.None);
        loss32.sum().backward();
        Assert.True(loss32.isfinite().all().item<bool>(), "loss finite");
        Assert.True(x32.grad!.isfinite().all().item<bool>(), "gradient finite");
        var x64g = x64.to_type(ScalarType.Float32).to_type(ScalarType.Float64).requires_grad_();
        var loss64 = F.smooth_topk_svm_loss(x64g, y, k, tau, reduction: nn.Reduction.None);
        loss64.sum().backward();
        var a = Close.ToArray(loss64);
        var b = Close.ToArray(loss32);
        for (int i = 0; i < a.Length; i++) Close.Relative(a[i], b[i], 1e-5, $"row {i} loss");
        Close.ScaledByMax(Close.ToArray(x64g.grad!), Close.ToArray(x32.grad!), 1e-5);
    }

    [Fact]
    public void Log_space_fallback_matches_the_tensor_ops_oracle()
    {
        using var scope = NewDisposeScope();
        // Spread between the top scores far beyond exp's range at k·τ = 5: linear space would underflow.
        var x = tensor(new double[] { 5000, 20, 19, 18, 17, 16, 0, -5, 3, 7 }).reshape(1, 10).requires_grad_();
        var y = tensor(new long[] { 6 });
        Assert.False(SmoothSvmOps.UseHard(x, 5, 1.0).item<bool>());
        var fused = F.smooth_topk_svm_loss(x, y, 5, 1.0);
        var ops = SmoothSvmOps.SmoothLoss(x, y, 5, 1.0, 1.0).mean();
        var gf = torch.autograd.grad(new[] { fused }, new[] { x })[0];
        var go = torch.autograd.grad(new[] { ops }, new[] { x })[0];
        Close.Relative(ops.ToDouble(), fused.ToDouble(), 1e-12, "loss");
        Close.ScaledByMax(Close.ToArray(go), Close.ToArray(gf), 1e-12);
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Half_precision_is_computed_in_float32_and_returned_in_the_input_dtype(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var x = randn(4, 30, generator: new Generator(5)).mul(4).to_type(dtype).requires_grad_();
        var y = tensor(new long[] { 0, 7, 12, 29 });
        var loss = F.smooth_topk_svm_loss(x, y, 5, 1.0);
        loss.backward();
        Assert.Equal(dtype, loss.dtype);
        Assert.Equal(dtype, x.grad!.dtype);
        var reference = F.smooth_topk_svm_loss(x.detach().to_type(ScalarType.Float32), y, 5, 1.0).ToDouble();
        Close.Relative(reference, loss.to_type(ScalarType.Float64).ToDouble(), 1e-2, "loss");
        Assert.Equal(dtype, F.log_esp(x.detach(), 3).dtype);
    }

    [Fact]
    public void A_NaN_row_gives_NaN_for_that_row_only()
    {
        var y = tensor(new long[] { 1, 2, 3 });
        NaNRow.AffectsOnlyItsRow(x => F.smooth_topk_svm_loss(x, y, 3, 1.0, reduction: nn.Reduction.None));
        var scores = randn(3, 10, dtype: ScalarType.Float64);
        scores[1, 4] = tensor(double.NaN, dtype: ScalarType.Float64);
        Assert.True(double.IsNaN(nn.functional.cross_entropy(scores, y, reduction: nn.Reduction.None)[1].ToDouble()), "as cross_entropy does");
    }

    [Fact]
    public void Module_form_drops_in_for_cross_entropy_and_equals_the_functional_form()
    {
        using var scope = NewDisposeScope();
        var model = nn.Linear(8, 20);
        var optimizer = optim.SGD(model.parameters(), 0.1);
        var criterion = TopK.SmoothTopKSvmLoss(k: 5, tau: 1.0, alpha: 1.0);
        var inputs = randn(16, 8, generator: new Generator(1));
        var labels = randint(0, 20, new long[] { 16 }, generator: new Generator(2));
        var first = criterion.call(model.call(inputs), labels);
        Close.Relative(F.smooth_topk_svm_loss(model.call(inputs), labels, 5, 1.0, 1.0).ToDouble(), first.ToDouble(), 1e-12, "module vs functional");
        for (int step = 0; step < 20; step++)
        {
            optimizer.zero_grad();
            criterion.call(model.call(inputs), labels).backward();
            optimizer.step();
        }
        Assert.True(criterion.call(model.call(inputs), labels).ToDouble() < first.ToDouble(), "training lowers the loss");
        var hard = TopK.HardTopKSvmLoss(k: 3, alpha: 1.0, reduction: nn.Reduction.Sum);
        Close.Relative(F.hard_topk_svm_loss(inputs.mm(ones(8, 20)), labels, 3, 1.0, nn.Reduction.Sum).ToDouble(),
            hard.call(inputs.mm(ones(8, 20)), labels).ToDouble(), 1e-12, "hard module");
    }

    [Fact]
    public void Losses_leave_only_their_result_in_the_callers_dispose_scope()
    {
        using var scope = NewDisposeScope();
        var x = randn(8, 50).requires_grad_();
        var y = randint(0, 50, new long[] { 8 });
        var count = scope.DisposablesCount;
        var loss = F.smooth_topk_svm_loss(x, y);
        Assert.Equal(count + 1, scope.DisposablesCount);
        loss.backward();
        count = scope.DisposablesCount;
        var hard = F.hard_topk_svm_loss(x, y);
        Assert.Equal(count + 1, scope.DisposablesCount);
        count = scope.DisposablesCount;
        var esp = F.log_esp(x, 4);
        Assert.Equal(count + 1, scope.DisposablesCount);
    }
}
