using TopKLoss.Cuda;
using TopKLoss.Kernels;
using TopKLoss.Noised;

namespace TopKLoss.Tests.Cuda;

/// <summary>
/// The noised top-k CUDA kernel (Kernels/noised_topk.cu) through the g++ emulation, against the
/// fused CPU kernel on the same generator state: the same normals, the same k-th indices (so the
/// same one-hot gradients, bit for bit), the same values; NaN and ±inf rows as on CPU.
/// </summary>
public class CudaNoisedTests
{
    private static Tensor Scores(int rows, int n, int seed, ScalarType dtype) =>
        (randn(rows, n, dtype: ScalarType.Float64, generator: new Generator((ulong)seed)) * 2.0).to_type(dtype);

    private static void ComparePerturbed(Tensor x, int k, double epsilon, int samples, int threads = 8)
    {
        // A fresh generator with the same seed on each side: the same (seed, stream) key.
        Func<Tensor, Tensor> f = t => PerturbedTopK.DrawPerturbedTopK(t, k, epsilon, samples, new Generator(42));
        var cpu = CudaCompare.Run(x, f, emulated: false);
        var gpu = CudaCompare.Run(x, f, emulated: true, threads);
        string what = $"n={x.shape[1]} k={k} ε={epsilon} B={samples} {x.dtype}";
        Assert.True(cpu.Grad.Zip(gpu.Grad).All(p => p.First.Equals(p.Second)), $"one-hot gradients (the indices) differ: {what}");
        CudaCompare.Close(cpu.Value, gpu.Value, 1, 1e-15, $"values {what}");
    }

    [FactWhenEmulated]
    public void PerturbedTopK_SameIndicesAndValues_AsTheCpuKernel()
    {
        foreach (var dtype in new[] { ScalarType.Float64, ScalarType.Float32 })
            foreach (var (n, k, epsilon, samples, seed) in new[] { (7, 1, 1.0, 3, 1), (130, 5, 0.3, 4, 2), (1000, 6, 1.0, 2, 3), (300, 20, 0.5, 3, 4), (50, 50, 1.0, 2, 5) })
                ComparePerturbed(Scores(3, n, seed, dtype), k, epsilon, samples);
    }

    [FactWhenEmulated]
    public void PerturbedTopK_OtherBlockSizes()
    {
        // The block merge must not depend on the block: 1 thread, 3 (not a power of two), 32.
        foreach (int threads in new[] { 1, 3, 32 })
            ComparePerturbed(Scores(2, 200, 8, ScalarType.Float64), 5, 1.0, 3, threads);
    }

    [FactWhenEmulated]
    public void PerturbedTopK_EdgeRows_AsTheCpuKernel()
    {
        var rows = new double[][]
        {
            [1, 2, double.NaN, 4, 5, 6, 7, 8],
            [1, double.PositiveInfinity, 3, 4, double.PositiveInfinity, 6, 7, 8],
            [double.NegativeInfinity, 2, 3, 4, 5, 6, double.NegativeInfinity, 8],
            [3, 3, 3, 3, 3, 3, 3, 3],                                  // ties: the lower index ranks first
            [1e300, -1e300, 0, 1, 2, 3, 4, 5],
        };
        var x = tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, 8 });
        ComparePerturbed(x, 2, 1.0, 3);
        ComparePerturbed(x, 3, 0.0, 2); // ε = 0: the hard k-th largest, no draws
        ComparePerturbed(x.to_type(ScalarType.Float32), 2, 1.0, 3);
    }

    [FactWhenEmulated]
    public void NoisedLosses_FusedHinge_AsTheCpuKernel()
    {
        var scores = Scores(4, 60, 6, ScalarType.Float64);
        var labels = tensor(new long[] { 3, 59, 0, 17 });
        var margins = linspace(0.05, 0.3, 60, dtype: ScalarType.Float64);
        foreach (var f in new Func<Tensor, Tensor>[]
        {
            s => TopK.functional.noised_topk_loss(s, labels, 5, 1.0, 3, new Generator(7), nn.Reduction.None),
            s => TopK.functional.imbalanced_noised_topk_loss(s, labels, 5, 0.01, margins, 50.0, 3, new Generator(7), nn.Reduction.None),
        })
        {
            var cpu = CudaCompare.Run(scores, f, emulated: false);
            var gpu = CudaCompare.Run(scores, f, emulated: true);
            Assert.Equal(cpu.Value, gpu.Value);
            Assert.Equal(cpu.Grad, gpu.Grad);
        }
    }

    [FactWhenEmulated]
    public void Normals_AreTheCpuKernelsDraws()
    {
        const int rows = 3, n = 300, samples = 4;
        const ulong seed = 0x0123_4567_89AB_CDEF, stream = 77;
        using var expected = TopKLoss.Tests.Kernels.KernelNoise.Of(rows, n, samples, seed, stream, ScalarType.Float64);
        using var actual = zeros(rows, n, samples, dtype: ScalarType.Float64);
        using (var args = new KernelArgs().Int(rows).Int(n).Int(samples).UInt64(seed).UInt64(stream).Data(actual))
            Emulation.Instance.Launch("tk_noise_fill", 4, 32, 0, args);
        var e = CudaCompare.ToArray(expected);
        var a = CudaCompare.ToArray(actual);
        for (int i = 0; i < e.Length; i++)
        {
            // Central draws use + − × ÷ only, tail draws PortableMath.Log, the kernels' log: the same bits.
            Assert.True(e[i].Equals(a[i]), $"draw {i}: {e[i]:R} vs {a[i]:R}");
        }
    }

    [FactWhenEmulated]
    public void PortableMath_IsTheKernelsLogAndExp_BitForBit()
    {
        var random = new Random(3);
        var x = Enumerable.Range(0, 20000).Select(i => i switch
        {
            < 5000 => random.NextDouble(),                                   // the quantile's tail arguments and more
            < 10000 => Math.Exp(random.NextDouble() * 1400 - 700),            // every binade
            < 12000 => random.NextDouble() * 1e-310,                          // subnormals
            < 20000 => 1 + (random.NextDouble() - 0.5) * 1e-6,                // near 1
            _ => 0,
        }).Concat([0.0, -1.0, double.PositiveInfinity, double.NaN, double.Epsilon, double.MaxValue, 1.0, 2.0, 0.5]).ToArray();
        var logs = Emulation.Math("log", x);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(PortableMath.Log(x[i]).Equals(logs[i]), $"log({x[i]:R}): C# {PortableMath.Log(x[i]):R}, kernel {logs[i]:R}");
            if (double.IsFinite(x[i]) && x[i] > 0) Assert.True(Math.Abs(logs[i] - Math.Log(x[i])) <= 2 * Math.Abs(Math.BitIncrement(Math.Log(x[i])) - Math.Log(x[i])) + 1e-300, $"log({x[i]:R}) far from Math.Log");
        }
        var y = Enumerable.Range(0, 20000).Select(i => (random.NextDouble() - 0.5) * 1500).Concat([0.0, -745.2, 709.8, 1e-20, double.NaN]).ToArray();
        var exps = Emulation.Math("exp", y);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(PortableMath.Exp(y[i]).Equals(exps[i]), $"exp({y[i]:R}): C# {PortableMath.Exp(y[i]):R}, kernel {exps[i]:R}");
            double reference = Math.Exp(y[i]);
            if (double.IsFinite(reference) && reference > 1e-300) Assert.True(Math.Abs(exps[i] - reference) <= 2e-16 * reference * 2, $"exp({y[i]:R}) far from Math.Exp");
        }
    }
}
