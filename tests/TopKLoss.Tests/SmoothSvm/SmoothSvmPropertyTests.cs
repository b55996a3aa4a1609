using CsCheck;
using TopKLoss.SmoothSvm;
using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.SmoothSvm;

/// <summary>Own oracles: brute force over subsets, finite differences, and the invariants of docs/derivations.md §1.</summary>
public class SmoothSvmPropertyTests
{
    private sealed record Case(int Batch, int N, int K, double Tau, double Alpha, double[] Scores, long[] Labels)
    {
        public Tensor X(ScalarType dtype = ScalarType.Float64) => tensor(Scores).reshape(Batch, N).to_type(dtype);
        public Tensor Y => tensor(Labels);
        public double[] Row(int b) => Scores.Skip(b * N).Take(N).ToArray();
        public override string ToString() => $"batch {Batch}, n {N}, k {K}, τ {Tau}, α {Alpha}";
    }

    private static Gen<Case> Cases(int maxN, double maxScale) =>
        from batch in Gen.Int[1, 4]
        from n in Gen.Int[2, maxN]
        from k in Gen.Int[1, n - 1]
        from tau in Gen.Double[0.05, 5.0]
        from alpha in Gen.Double[0.0, 2.0]
        from scale in Gen.Double[0.1, maxScale]
        from scores in Gen.Double[-1.0, 1.0].Array[batch * n]
        from labels in Gen.Long[0, n - 1].Array[batch]
        select new Case(batch, n, k, tau, alpha, scores.Select(v => v * scale).ToArray(), labels);

    [Fact]
    public void Fused_and_tensor_ops_equal_the_brute_force_sum_over_subsets()
    {
        Cases(maxN: 8, maxScale: 10).Sample(c =>
        {
            using var scope = NewDisposeScope();
            var fused = Close.ToArray(F.smooth_topk_svm_loss(c.X(), c.Y, c.K, c.Tau, c.Alpha, nn.Reduction.None));
            var ops = Close.ToArray(SmoothSvmOps.SmoothOnly(c.X(), c.Y, c.K, c.Tau, c.Alpha));
            var hard = SmoothSvmOps.UseHard(c.X(), c.K, c.Tau).data<bool>().ToArray();
            for (int b = 0; b < c.Batch; b++)
            {
                double smooth = BruteForce.SmoothLoss(c.Row(b), (int)c.Labels[b], c.K, c.Tau, c.Alpha);
                double expected = hard[b] ? BruteForce.HardLoss(c.Row(b), (int)c.Labels[b], c.K, c.Alpha) : smooth;
                // absolute floor: the brute force itself cancels to ~1e-16 when L is tiny
                Assert.True(Math.Abs(smooth - ops[b]) <= 1e-9 * Math.Max(1, smooth), $"{c}: tensor ops row {b}: {ops[b]} vs {smooth}");
                Assert.True(Math.Abs(expected - fused[b]) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{c}: fused row {b}: {fused[b]} vs {expected}");
            }
        }, iter: 200);
    }

    [Fact]
    public void Gradient_matches_central_finite_differences()
    {
        Cases(maxN: 12, maxScale: 3).Sample(c =>
        {
            using var scope = NewDisposeScope();
            var x = c.X().requires_grad_();
            F.smooth_topk_svm_loss(x, c.Y, c.K, c.Tau, c.Alpha).backward();
            var grad = Close.ToArray(x.grad!);
            const double h = 1e-6;
            int checkedCount = 0;
            for (int i = 0; i < c.Scores.Length; i++)
            {
                double Loss(double delta)
                {
                    var s = (double[])c.Scores.Clone();
                    s[i] += delta;
                    return F.smooth_topk_svm_loss(tensor(s).reshape(c.Batch, c.N), c.Y, c.K, c.Tau, c.Alpha).ToDouble();
                }
                double center = Loss(0), right = (Loss(h) - center) / h, left = (center - Loss(-h)) / h;
                // A kink within ±h (hinge of the hard loss, a hard/smooth switch, a change of the top
                // k) makes the one-sided slopes disagree: no derivative to compare with there.
                if (Math.Abs(right - left) > 1e-4) continue;
                checkedCount++;
                double numeric = (right + left) / 2;
                Assert.True(Math.Abs(numeric - grad[i]) <= 1e-6, $"{c}: ∂L/∂s[{i}] = {grad[i]}, finite difference {numeric}");
            }
            Assert.True(checkedCount >= c.Scores.Length / 2, $"{c}: only {checkedCount} of {c.Scores.Length} coordinates were differentiable");
        }, iter: 40);
    }

    [Fact]
    public void Invariants_shift_gradient_sum_and_bounds_hold()
    {
        Cases(maxN: 30, maxScale: 5).Sample(c =>
        {
            using var scope = NewDisposeScope();
            var x = c.X().requires_grad_();
            var loss = F.smooth_topk_svm_loss(x, c.Y, c.K, c.Tau, c.Alpha, nn.Reduction.None);
            loss.sum().backward();
            var perSample = Close.ToArray(loss);
            using var shift = 3.7.ToScalar(); // held: CsCheck runs the samples on several threads (src/TopKLoss/Scalars.cs)
            var shifted = Close.ToArray(F.smooth_topk_svm_loss(c.X().add(shift, Scalars.One), c.Y, c.K, c.Tau, c.Alpha, nn.Reduction.None));
            var rowSums = Close.ToArray(x.grad!.sum(1));
            var smooth = Close.ToArray(SmoothSvmOps.SmoothOnly(c.X(), c.Y, c.K, c.Tau, c.Alpha));
            for (int b = 0; b < c.Batch; b++)
            {
                Assert.True(perSample[b] >= 0, $"{c}: L ≥ 0");
                Assert.True(Math.Abs(shifted[b] - perSample[b]) <= 1e-9 * Math.Max(1, perSample[b]), $"{c}: shift invariance row {b}");
                Assert.True(Math.Abs(rowSums[b]) <= 1e-12, $"{c}: gradient row {b} sums to {rowSums[b]}");
                double hard = BruteForce.HardLoss(c.Row(b), (int)c.Labels[b], c.K, c.Alpha);
                double lower = hard - c.Tau * BruteForce.LogBinomial(c.N - 1, c.K - 1), upper = hard + c.Tau * BruteForce.LogBinomial(c.N, c.K);
                Assert.InRange(smooth[b], lower - 1e-9, upper + 1e-9);
            }
        }, iter: 150);
    }

    [Fact]
    public void Top1_with_alpha_0_and_tau_1_is_cross_entropy()
    {
        using var scope = NewDisposeScope();
        var x = randn(16, 50, dtype: ScalarType.Float64, generator: new Generator(7)).mul(3).requires_grad_();
        var y = randint(0, 50, new long[] { 16 }, generator: new Generator(8));
        var ours = F.smooth_topk_svm_loss(x, y, k: 1, tau: 1, alpha: 0);
        var grad = torch.autograd.grad(new[] { ours }, new[] { x })[0];
        var ce = nn.functional.cross_entropy(x, y);
        var ceGrad = torch.autograd.grad(new[] { ce }, new[] { x })[0];
        Close.Relative(ce.ToDouble(), ours.ToDouble(), 1e-12, "loss");
        Close.ScaledByMax(Close.ToArray(ceGrad), Close.ToArray(grad), 1e-12);
    }

    [Theory]
    [InlineData(2), InlineData(5)]
    public void Small_tau_approaches_the_hard_loss(int k)
    {
        using var scope = NewDisposeScope();
        var x = randn(8, 40, dtype: ScalarType.Float64, generator: new Generator(3));
        var y = randint(0, 40, new long[] { 8 }, generator: new Generator(4));
        double hard = F.hard_topk_svm_loss(x, y, k).ToDouble();
        double previous = double.PositiveInfinity;
        foreach (double tau in new[] { 1.0, 0.1, 0.01, 1e-3, 1e-4 })
        {
            double gap = Math.Abs(F.smooth_topk_svm_loss(x, y, k, tau).ToDouble() - hard);
            Assert.True(gap <= previous + 1e-12, $"gap grows at τ = {tau}");
            previous = gap;
        }
        Assert.True(previous < 1e-3, $"|L − l_k| = {previous} at τ = 1e-4");
    }

    [Fact]
    public void Log_esp_equals_the_tensor_ops_tree_on_random_shapes()
    {
        var gen = from batch in Gen.Int[1, 19] from m in Gen.Int[1, 40] from k in Gen.Int[1, 12] from scale in Gen.Double[0.1, 50]
                  from seed in Gen.UInt[0, 100000] select (batch, m, k, scale, seed);
        gen.Sample(p =>
        {
            using var scope = NewDisposeScope();
            // Scalars and generators held: CsCheck runs the samples on several threads (src/TopKLoss/Scalars.cs)
            using Generator xDraws = new(p.seed), wDraws = new(p.seed + 1UL);
            using var scale = p.scale.ToScalar();
            var x = randn(p.batch, p.m, dtype: ScalarType.Float64, generator: xDraws).mul(scale).requires_grad_();
            var w = randn(p.batch, p.k + 1, dtype: ScalarType.Float64, generator: wDraws);
            var fused = F.log_esp(x, p.k);
            var ops = SmoothSvmOps.LogEsp(x, p.k);
            var finite = ops.isfinite();
            Assert.True(fused.isfinite().eq(finite).all().item<bool>(), "same −inf pattern");
            Assert.True(fused.masked_select(finite).allclose(ops.masked_select(finite), rtol: 1e-11, atol: 1e-11), "values");
            var gf = torch.autograd.grad(new[] { (fused.nan_to_num(0, 0, 0) * w).sum() }, new[] { x })[0];
            var go = torch.autograd.grad(new[] { (ops.masked_fill(finite.logical_not(), Scalars.Zero) * w).sum() }, new[] { x })[0];
            Close.ScaledByMax(Close.ToArray(go), Close.ToArray(gf), 1e-10);
        }, iter: 60);
    }
}
