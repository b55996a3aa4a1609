using TopKLoss.Kernels;
using TopKLoss.SmoothSvm;
using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.SmoothSvm;

/// <summary>
/// The fused multi-k kernel (one pass for every member) against the weighted sum of single-k calls
/// and the tensor-ops oracle, at every vector width, among rows where the members take different
/// paths: shared packs, hard for one member and packed for another, log space for one member,
/// padded lanes, streamed parts, and each amount of kept state.
/// </summary>
public class MultiKKernelTests
{
    public static IEnumerable<object[]> Widths() => SmoothSvmWidthTests.Widths();

    /// <summary>
    /// Scores with rows whose members split: row 1 hard for k = 1 and in log space for larger k; row 2
    /// hard for k = 1 and packed for larger k; row 3's top k_max + 1 far apart (hard, or log space for a large kτ).
    /// </summary>
    private static Tensor MixedRows(int batch, int n, int kMax, Generator generator)
    {
        var x = randn(batch, n, dtype: ScalarType.Float64, generator: generator) * 2;
        x[1, 3] = tensor(1e4, dtype: ScalarType.Float64);
        x[2, 5] = tensor(30.0, dtype: ScalarType.Float64);
        x[3] = zeros(n, dtype: ScalarType.Float64);
        for (int j = 0; j <= Math.Min(kMax, n - 1); j++) x[3, j] = tensor(60.0 * (kMax + 1 - j), dtype: ScalarType.Float64);
        return x;
    }

    private static (double[] Loss, double[] Grad) Mixture(Tensor x, Tensor y, int[] ks, double[] weights, double tau, Tensor upstream)
    {
        var leaf = x.detach().requires_grad_();
        var loss = F.multik_smooth_topk_svm_loss(leaf, y, ks, weights, tau, 1.0, nn.Reduction.None);
        return (Close.ToArray(loss), Close.ToArray(autograd.grad(new[] { (loss * upstream).sum() }, new[] { leaf })[0]));
    }

    private static (double[] Loss, double[] Grad) WeightedSum(Tensor x, Tensor y, int[] ks, double[] weights, double tau, Tensor upstream,
        bool oracle)
    {
        var leaf = x.detach().requires_grad_();
        Tensor sum = zeros(x.shape[0], dtype: x.dtype);
        for (int i = 0; i < ks.Length; i++)
            sum = sum + weights[i] * (oracle ? SmoothSvmOps.SmoothLoss(leaf, y, ks[i], tau, 1.0)
                : F.smooth_topk_svm_loss(leaf, y, ks[i], tau, 1.0, nn.Reduction.None));
        return (Close.ToArray(sum), Close.ToArray(autograd.grad(new[] { (sum * upstream).sum() }, new[] { leaf })[0]));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Mixture_at_each_width_equals_the_weighted_sum_of_single_k_calls(int bits)
    {
        var width = (VectorWidth)bits;
        using var scope = NewDisposeScope();
        // Padded last packs; widths 2, 4, 8 and 24 of the register recursions; the in-memory one (k = 30); streamed parts
        // (n = 4500); exponentials by power (e_1 = e_5^5; e_2 = e_4^2 and e_1 = e_4^4) and by exp (20 / 2 > MaxPower).
        foreach (var (batch, n, ks, weights, tau) in new[]
        {
            (13, 300, new[] { 1, 5 }, new[] { 0.5, 0.5 }, 1.0),
            (11, 700, new[] { 1, 2, 4 }, new[] { 0.3, 0.3, 0.4 }, 1.5),
            (21, 120, new[] { 2, 20, 7 }, new[] { 0.2, 1.5, 0.3 }, 0.5),
            (7, 200, new[] { 30, 1 }, new[] { 1.0, 2.0 }, 2.0),
            (9, 4500, new[] { 1, 5 }, new[] { 0.5, 0.5 }, 1.0),
        })
        {
            var generator = new Generator((ulong)(batch * 1000 + n));
            var x = MixedRows(batch, n, ks.Max(), generator);
            var y = randint(0, n, new long[] { batch }, generator: generator);
            y[1] = tensor(0L); y[2] = tensor(0L); y[3] = tensor((long)n - 1); // labels away from the planted scores
            var upstream = rand(batch, dtype: ScalarType.Float64, generator: generator);
            (double[] Loss, double[] Grad) mixed, sum;
            using (VectorWidths.Narrowed(width))
            {
                mixed = Mixture(x, y, ks, weights, tau, upstream);
                sum = WeightedSum(x, y, ks, weights, tau, upstream, oracle: false);
            }
            var oracle = WeightedSum(x, y, ks, weights, tau, upstream, oracle: true);
            string what = $"{width} n={n} ks={string.Join(",", ks)}";
            Close.ScaledByMax(sum.Loss, mixed.Loss, 1e-12, $"{what} loss");
            Close.ScaledByMax(sum.Grad, mixed.Grad, 1e-12, $"{what} gradient");
            Close.ScaledByMax(oracle.Loss, mixed.Loss, 1e-10, $"{what} loss against the oracle");
            Close.ScaledByMax(oracle.Grad, mixed.Grad, 1e-10, $"{what} gradient against the oracle");
        }
    }

    [Theory]
    [InlineData(300)]
    [InlineData(5000)] // three streamed parts
    public void Keeping_everything_only_the_checkpoints_or_nothing_and_a_second_backward_give_the_same_gradient(int n)
    {
        using var scope = NewDisposeScope();
        var x = MixedRows(19, n, 5, new Generator(31));
        var y = randint(0, n, new long[] { 19 }, generator: new Generator(32));
        y[1] = tensor(0L); y[2] = tensor(0L); y[3] = tensor((long)n - 1);
        int[] ks = [1, 5];
        double[] weights = [0.7, 0.3];
        double[][] Gradients(long limit)
        {
            long saved = SmoothTopKSvmPacks.KeptLimitBytes;
            SmoothTopKSvmPacks.KeptLimitBytes = limit;
            try
            {
                var leaf = x.clone().requires_grad_();
                var loss = F.multik_smooth_topk_svm_loss(leaf, y, ks, weights);
                var first = Close.ToArray(autograd.grad(new[] { loss }, new[] { leaf }, retain_graph: true)[0]);
                return [first, Close.ToArray(autograd.grad(new[] { loss }, new[] { leaf })[0])];
            }
            finally { SmoothTopKSvmPacks.KeptLimitBytes = saved; }
        }
        var everything = Gradients(64L << 20);
        // The shared rows keep 2n + 8 + 6·⌈n/32⌉ vectors a pack with the exponentials (1.4 MB in all at n = 5000, 85 KB at 300), and
        // 8 + 6·⌈n/32⌉ without (121 KB, 8.7 KB), whatever the width: these limits keep σ and the checkpoints only.
        long stateOnly = n == 300 ? 16L << 10 : 160L << 10;
        foreach (var gradients in new[] { everything, Gradients(stateOnly), Gradients(0) })
        {
            Assert.Equal(everything[0], gradients[0]);
            Assert.Equal(everything[0], gradients[1]); // the second backward recomputes what the first consumed
        }
        Assert.Contains(everything[0], g => g != 0);
    }

    [Fact]
    public void Float32_scores_match_the_weighted_sum_to_float_precision()
    {
        using var scope = NewDisposeScope();
        var x = MixedRows(17, 500, 5, new Generator(5)).to_type(ScalarType.Float32);
        var y = randint(0, 500, new long[] { 17 }, generator: new Generator(6));
        y[1] = tensor(0L); y[2] = tensor(0L); y[3] = tensor(499L);
        var upstream = ones(17);
        var mixed = Mixture(x, y, [1, 5], [0.5, 0.5], 1.0, upstream);
        var sum = WeightedSum(x, y, [1, 5], [0.5, 0.5], 1.0, upstream, oracle: false);
        Close.ScaledByMax(sum.Loss, mixed.Loss, 1e-6, "loss");
        Close.ScaledByMax(sum.Grad, mixed.Grad, 1e-6, "gradient");
    }

    [Fact]
    public void A_row_with_nan_gives_nan_only_in_its_own_row()
    {
        using var scope = NewDisposeScope();
        var x = randn(11, 300, dtype: ScalarType.Float64, generator: new Generator(3));
        x[4, 7] = tensor(double.NaN);
        var leaf = x.requires_grad_();
        var loss = F.multik_smooth_topk_svm_loss(leaf, randint(0, 300, new long[] { 11 }, generator: new Generator(4)), [1, 5], [0.5, 0.5],
            reduction: nn.Reduction.None);
        loss.sum().backward();
        var values = Close.ToArray(loss);
        var grad = Close.ToArray(leaf.grad!);
        for (int r = 0; r < 11; r++)
        {
            Assert.Equal(r == 4, double.IsNaN(values[r]));
            Assert.Equal(r == 4, grad.Skip(r * 300).Take(300).Any(double.IsNaN));
        }
    }

    [Theory]
    [InlineData(new[] { 1, 5 }, new[] { 1, -1 }, new[] { 5, 0 })]
    [InlineData(new[] { 1, 2, 4 }, new[] { 2, 2, -1 }, new[] { 4, 2, 0 })]   // from the largest k, never from a power
    [InlineData(new[] { 3, 24 }, new[] { 1, -1 }, new[] { 8, 0 })]
    [InlineData(new[] { 1, 9 }, new[] { -1, -1 }, new[] { 0, 0 })]           // 9 > MaxPower: an exp
    [InlineData(new[] { 2, 20, 7 }, new[] { -1, -1, -1 }, new[] { 0, 0, 0 })]
    public void Exponentials_are_a_power_of_another_members_where_one_k_is_a_small_multiple(int[] ks, int[] sources, int[] powers)
    {
        var layout = PackLayout.For<double, LanesScalar>(100, ks, ks.Select(k => 1.0 / k).ToArray(), true, false, false);
        for (int m = 0; m < ks.Length; m++) Assert.Equal((sources[m], powers[m]), layout.Source(m));
    }

    [Fact]
    public void Powers_agree_with_exps_to_a_few_ulp()
    {
        // What the power path stands for: e_b^r against exp(r·z) for z ≤ 0 down to the underflow region.
        var z = Enumerable.Range(0, 2001).Select(i => -0.35 * i).ToArray();
        foreach (int r in new[] { 2, 3, 5, 8 })
        {
            var powered = new double[z.Length];
            RowPack.Power<double, LanesScalar>(z.Select(Math.Exp).ToArray(), powered, r);
            for (int i = 0; i < z.Length; i++)
            {
                double exact = Math.Exp(r * z[i]);
                if (exact < 1e-300) continue; // subnormal results hold fewer digits, for exp too
                Assert.True(Math.Abs(powered[i] - exact) <= 6 * r * Math.Abs(z[i]) * 1.2e-16 * exact + 4 * r * 1.2e-16 * exact,
                    $"r = {r}, z = {z[i]}: {powered[i]} against {exact}");
            }
        }
    }
}
