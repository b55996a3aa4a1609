using TopKLoss.Kernels;
using TopKLoss.SmoothSvm;
using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.SmoothSvm;

/// <summary>
/// The SIMD pack path (one row per lane) against the tensor-ops oracle, with batches that leave
/// padded lanes, and packs that interleave with rows taking the hard, log-space and NaN paths.
/// </summary>
public class SmoothSvmPackedKernelTests
{
    [Theory]
    [InlineData(1, 50, 1)]
    [InlineData(13, 300, 5)]
    [InlineData(21, 120, 20)]
    [InlineData(9, 64, 63)]
    [InlineData(9, 4500, 5)]  // streamed in three parts (labels in each) when the state is not kept
    public void Packed_rows_match_the_tensor_ops_oracle_among_every_row_kind(int batch, int n, int k)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(batch * 1000 + k));
        var x = randn(batch, n, dtype: ScalarType.Float64, generator: generator) * 2;
        var y = randint(0, n, new long[] { batch }, generator: generator);
        if (batch > 2)
        {
            x[1, 0] = tensor(1e4, dtype: ScalarType.Float64); // log-space row: one dominant score
            x[2] = zeros(n, dtype: ScalarType.Float64);
            for (int j = 0; j < Math.Min(k, n); j++) x[2, j] = tensor(60.0 * k + j, dtype: ScalarType.Float64); // hard row (no ties)
        }
        var leaf = x.requires_grad_();
        var fused = F.smooth_topk_svm_loss(leaf, y, k, 1.0, 1.0, nn.Reduction.None);
        var weights = rand(batch, dtype: ScalarType.Float64, generator: generator);
        var gradFused = torch.autograd.grad(new[] { (fused * weights).sum() }, new[] { leaf })[0];

        var oracleLeaf = x.detach().requires_grad_();
        var oracle = SmoothSvmOps.SmoothLoss(oracleLeaf, y, k, 1.0, 1.0);
        var gradOracle = torch.autograd.grad(new[] { (oracle * weights).sum() }, new[] { oracleLeaf })[0];

        var a = Close.ToArray(oracle);
        var b = Close.ToArray(fused);
        for (int i = 0; i < batch; i++) Close.Relative(a[i], b[i], 1e-10, $"row {i} loss");
        Close.ScaledByMax(Close.ToArray(gradOracle), Close.ToArray(gradFused), 1e-10);
    }

    [Theory]
    [InlineData(5, 300)]    // registers, width 8
    [InlineData(20, 300)]   // registers, width 24
    [InlineData(30, 300)]   // in-memory recursion
    [InlineData(5, 5000)]   // recomputed in three streamed parts
    [InlineData(20, 5000)]
    public void A_second_backward_through_a_retained_graph_repeats_the_first(int k, int n)
    {
        // The first backward uses the state the forward kept (and consumes it); the second recomputes
        // it, part by part for n > PackStream.Part. A forward without grad streams too.
        using var scope = NewDisposeScope();
        var x = randn(19, n, generator: new Generator(21));
        var y = randint(0, n, new long[] { 19 }, generator: new Generator(22));
        var leaf = x.clone().requires_grad_();
        var loss = F.smooth_topk_svm_loss(leaf, y, k, reduction: nn.Reduction.None);
        Assert.Equal(Close.ToArray(loss), Close.ToArray(F.smooth_topk_svm_loss(x, y, k, reduction: nn.Reduction.None)));
        var first = Close.ToArray(torch.autograd.grad(new[] { loss.sum() }, new[] { leaf }, retain_graph: true)[0]);
        var second = Close.ToArray(torch.autograd.grad(new[] { loss.sum() }, new[] { leaf })[0]);
        Assert.Equal(first, second);
        Assert.Contains(first, g => g != 0);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(20)]
    public void Keeping_everything_only_the_checkpoints_or_nothing_gives_the_same_gradient(int k)
    {
        // 19 rows (3 packs) × 5000: all kept is ~1.1 MB (k = 5), σ and checkpoints ~0.15 MB.
        using var scope = NewDisposeScope();
        var x = randn(19, 5000, generator: new Generator(31));
        var y = randint(0, 5000, new long[] { 19 }, generator: new Generator(32));
        double[] Gradient(long limit)
        {
            long saved = SmoothTopKSvmPacks.KeptLimitBytes;
            SmoothTopKSvmPacks.KeptLimitBytes = limit;
            try
            {
                var leaf = x.clone().requires_grad_();
                var loss = F.smooth_topk_svm_loss(leaf, y, k);
                return Close.ToArray(torch.autograd.grad(new[] { loss }, new[] { leaf })[0]);
            }
            finally { SmoothTopKSvmPacks.KeptLimitBytes = saved; }
        }
        var everything = Gradient(64L << 20);
        Assert.Equal(everything, Gradient(k == 5 ? 512L << 10 : 1L << 20)); // σ and checkpoints only
        Assert.Equal(everything, Gradient(0));                             // nothing
        Assert.Contains(everything, g => g != 0);
    }

    [Fact]
    public void Log_esp_of_rows_streamed_in_parts_matches_the_tensor_ops_oracle()
    {
        // m = 5000: three parts of PackStream.Part columns in the forward and in the reverse sweep.
        using var scope = NewDisposeScope();
        var x = randn(9, 5000, dtype: ScalarType.Float64, generator: new Generator(41));
        var weights = rand(9, 6, dtype: ScalarType.Float64, generator: new Generator(42));
        var leaf = x.clone().requires_grad_();
        var fused = F.log_esp(leaf, 5);
        var grad = torch.autograd.grad(new[] { (fused * weights).sum() }, new[] { leaf })[0];
        var oracleLeaf = x.clone().requires_grad_();
        var oracle = SmoothSvmOps.LogEsp(oracleLeaf, 5);
        var gradOracle = torch.autograd.grad(new[] { (oracle * weights).sum() }, new[] { oracleLeaf })[0];
        Close.ScaledByMax(Close.ToArray(oracle), Close.ToArray(fused), 1e-10);
        Close.ScaledByMax(Close.ToArray(gradOracle), Close.ToArray(grad), 1e-10);
    }

    [Fact]
    public void Row_with_nan_gives_nan_only_in_its_own_row()
    {
        using var scope = NewDisposeScope();
        var x = randn(11, 40, generator: new Generator(3));
        x[4, 7] = tensor(float.NaN);
        var leaf = x.requires_grad_();
        var loss = F.smooth_topk_svm_loss(leaf, randint(0, 40, new long[] { 11 }, generator: new Generator(4)), 5, reduction: nn.Reduction.None);
        loss.sum().backward();
        var values = Close.ToArray(loss);
        var grad = Close.ToArray(leaf.grad!);
        for (int r = 0; r < 11; r++)
        {
            var row = grad.Skip(r * 40).Take(40);
            Assert.Equal(r == 4, double.IsNaN(values[r]));
            Assert.Equal(r == 4, row.Any(double.IsNaN));
        }
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        using var scope = NewDisposeScope();
        var x = randn(64, 500, generator: new Generator(8));
        var y = randint(0, 500, new long[] { 64 }, generator: new Generator(9));
        (double[] Loss, double[] Grad) Run()
        {
            var leaf = x.detach().requires_grad_();
            var loss = F.smooth_topk_svm_loss(leaf, y, 5, reduction: nn.Reduction.None);
            loss.sum().backward();
            return (Close.ToArray(loss), Close.ToArray(leaf.grad!));
        }
        int saved = CpuRows.MaxDegreeOfParallelism;
        try
        {
            CpuRows.MaxDegreeOfParallelism = 1;
            var one = Run();
            CpuRows.MaxDegreeOfParallelism = 4;
            var four = Run();
            Assert.Equal(one.Loss, four.Loss);
            Assert.Equal(one.Grad, four.Grad);
        }
        finally { CpuRows.MaxDegreeOfParallelism = saved; }
    }
}
