using TopKLoss.Kernels;
using TopKLoss.SmoothSvm;
using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.SmoothSvm;

/// <summary>
/// Every vector width of the packed kernels this CPU can run (512, 256, 128 bits, scalar), in one
/// process, against the tensor-ops oracle and against each other: the dispatcher is narrowed
/// per test, so an AVX-512 machine checks the AVX2, SSE/NEON and scalar paths too. (The per-ISA
/// reruns in .ci/run also check the instruction-set-specific code inside each width.)
/// </summary>
public class SmoothSvmWidthTests
{
    /// <summary>The widths this process can run natively, in bits (64: scalar): every one at or below the widest.</summary>
    public static IEnumerable<object[]> Widths() =>
        Enum.GetValues<VectorWidth>().Where(w => w <= VectorWidths.Native).Select(w => new object[] { (int)w });

    private static (double[] Loss, double[] Grad) Smooth(Tensor x, Tensor y, int k, Tensor weights)
    {
        var leaf = x.detach().requires_grad_();
        var loss = F.smooth_topk_svm_loss(leaf, y, k, 1.0, 1.0, nn.Reduction.None);
        var grad = torch.autograd.grad(new[] { (loss * weights).sum() }, new[] { leaf })[0];
        return (Close.ToArray(loss), Close.ToArray(grad));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Smooth_svm_at_each_width_matches_the_oracle_and_the_widest_width(int bits)
    {
        var width = (VectorWidth)bits;
        using var scope = NewDisposeScope();
        // (batch, n, k): padded last packs, registers of width 8 and 24, the in-memory recursion, streamed parts.
        foreach (var (batch, n, k) in new[] { (13, 300, 5), (21, 120, 20), (7, 200, 30), (9, 4500, 5) })
        {
            var generator = new Generator((ulong)(batch * 1000 + k));
            var x = randn(batch, n, dtype: ScalarType.Float64, generator: generator) * 2;
            var y = randint(0, n, new long[] { batch }, generator: generator);
            var weights = rand(batch, dtype: ScalarType.Float64, generator: generator);
            var widest = Smooth(x, y, k, weights);
            (double[] Loss, double[] Grad) narrow;
            using (VectorWidths.Narrowed(width))
            {
                Assert.Equal(width switch { VectorWidth.Bits512 => 8, VectorWidth.Bits256 => 4, VectorWidth.Bits128 => 2, _ => 1 }, EspLanes.Count);
                narrow = Smooth(x, y, k, weights);
            }

            var oracleLeaf = x.detach().requires_grad_();
            var oracle = SmoothSvmOps.SmoothLoss(oracleLeaf, y, k, 1.0, 1.0);
            var gradOracle = Close.ToArray(torch.autograd.grad(new[] { (oracle * weights).sum() }, new[] { oracleLeaf })[0]);
            var oracleLoss = Close.ToArray(oracle);
            for (int i = 0; i < batch; i++)
            {
                Close.Relative(oracleLoss[i], narrow.Loss[i], 1e-10, $"{width} n={n} k={k} row {i} loss");
                Close.Relative(widest.Loss[i], narrow.Loss[i], 1e-12, $"{width} against {VectorWidths.Native}, row {i}");
            }
            Close.ScaledByMax(gradOracle, narrow.Grad, 1e-10);
            Close.ScaledByMax(widest.Grad, narrow.Grad, 1e-12);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Log_esp_at_each_width_matches_the_oracle(int bits)
    {
        var width = (VectorWidth)bits;
        using var scope = NewDisposeScope();
        foreach (var (batch, n, k) in new[] { (5, 300, 4), (9, 5000, 5), (3, 60, 26) })
        {
            var x = randn(batch, n, dtype: ScalarType.Float64, generator: new Generator((ulong)n));
            var weights = rand(batch, k + 1, dtype: ScalarType.Float64, generator: new Generator(42));
            var leaf = x.clone().requires_grad_();
            Tensor fused, grad;
            using (VectorWidths.Narrowed(width))
            {
                fused = F.log_esp(leaf, k);
                grad = torch.autograd.grad(new[] { (fused * weights).sum() }, new[] { leaf })[0];
            }
            var oracleLeaf = x.clone().requires_grad_();
            var oracle = SmoothSvmOps.LogEsp(oracleLeaf, k);
            var gradOracle = torch.autograd.grad(new[] { (oracle * weights).sum() }, new[] { oracleLeaf })[0];
            Close.ScaledByMax(Close.ToArray(oracle), Close.ToArray(fused), 1e-10);
            Close.ScaledByMax(Close.ToArray(gradOracle), Close.ToArray(grad), 1e-10);
        }
    }

    [Fact]
    public void A_forward_and_backward_at_different_widths_recompute_instead_of_misreading_the_kept_state()
    {
        // The forward keeps per-pack state laid out for its lane count (here 1); a backward at the
        // native width must not read it as its own (on a scalar-only CPU both are one lane: still exact).
        using var scope = NewDisposeScope();
        var x = randn(11, 400, dtype: ScalarType.Float64, generator: new Generator(5));
        var y = randint(0, 400, new long[] { 11 }, generator: new Generator(6));
        var weights = rand(11, dtype: ScalarType.Float64, generator: new Generator(7));
        var reference = Smooth(x, y, 5, weights);
        var leaf = x.detach().requires_grad_();
        Tensor loss;
        using (VectorWidths.Narrowed(VectorWidth.Scalar)) loss = F.smooth_topk_svm_loss(leaf, y, 5, 1.0, 1.0, nn.Reduction.None);
        var grad = torch.autograd.grad(new[] { (loss * weights).sum() }, new[] { leaf })[0];
        Close.ScaledByMax(reference.Grad, Close.ToArray(grad), 1e-12);
    }
}
