using TopKLoss.Cuda;

namespace TopKLoss.Tests.Cuda;

/// <summary>
/// The smooth top-k SVM and log_esp CUDA kernels (Kernels/smooth_svm.cu) run through the g++
/// emulation, against the fused C# kernels: values and gradients within 1e-12 relative in float64.
/// </summary>
public class CudaSmoothSvmTests
{
    private static Tensor Scores(int rows, int n, int seed, ScalarType dtype = ScalarType.Float64, double scale = 3.0) =>
        (randn(rows, n, dtype: ScalarType.Float64, generator: new Generator((ulong)seed)) * scale).to_type(dtype);

    private static Tensor Labels(int rows, int n, int seed) => randint(0, n, new long[] { rows }, generator: new Generator((ulong)seed + 100));

    private static void CompareSvm(Tensor scores, Tensor labels, int k, double tau, double alpha, double rel, int threads = 8, double floor = 1e-3)
    {
        Func<Tensor, Tensor> loss = s => TopK.functional.smooth_topk_svm_loss(s, labels, k, tau, alpha, nn.Reduction.None);
        var cpu = CudaCompare.Run(scores, loss, emulated: false);
        var gpu = CudaCompare.Run(scores, loss, emulated: true, threads);
        int n = (int)scores.shape[1];
        CudaCompare.Close(cpu.Value, gpu.Value, 1, rel, $"loss n={n} k={k}");
        CudaCompare.Close(cpu.Grad, gpu.Grad, n, rel, $"gradient n={n} k={k}", floor);
    }

    [FactWhenEmulated]
    public void SmoothSvm_Float64_MatchesCpuKernel_AcrossShapes()
    {
        foreach (var (n, k, seed) in new[] { (7, 1, 1), (7, 3, 2), (50, 5, 3), (300, 5, 4), (1500, 5, 5), (200, 20, 6) })
            CompareSvm(Scores(4, n, seed), Labels(4, n, seed), k, tau: 1.0, alpha: 1.0, rel: 1e-12);
    }

    [FactWhenEmulated]
    public void SmoothSvm_Float64_OtherBlockSizes()
    {
        // The tree and scan must not depend on the block: 1 thread, 3 (not a power of two), 32.
        foreach (int threads in new[] { 1, 3, 32 })
            CompareSvm(Scores(3, 100, 7), Labels(3, 100, 7), 5, tau: 0.5, alpha: 0.5, rel: 1e-12, threads);
    }

    [FactWhenEmulated]
    public void SmoothSvm_Float32_MatchesCpuKernel()
    {
        // Same float64 arithmetic inside; only the storage rounds (gradients stored in float32).
        CompareSvm(Scores(4, 120, 8, ScalarType.Float32), Labels(4, 120, 8), 5, tau: 1.0, alpha: 1.0, rel: 1e-6);
    }

    [FactWhenEmulated]
    public void SmoothSvm_EdgeRows_MatchCpuKernel()
    {
        // n = 2; k = n − 1; hard rows (a top-k gap ≥ kτ·ln 1000); a log-space row; ±inf and NaN rows.
        CompareSvm(Scores(3, 2, 9), Labels(3, 2, 9), 1, 1.0, 1.0, 1e-12);
        CompareSvm(Scores(3, 9, 10), Labels(3, 9, 10), 8, 1.0, 1.0, 1e-12);
        var rows = new double[][]
        {
            [50, 40, 30, 0.1, 0.2, 0.3, 0.0, -1, 2, 1],          // hard for k = 3 (gap 29.7 ≥ 3·ln 1000 = 20.7)
            [100, 60, 30, 10, 5, 4.5, -5, 3, -2, 1],            // log space at τ = 0.05 (spread > 600, no hard switch)
            [1, 2, double.PositiveInfinity, 0, 1, 2, 3, 4, 5, 6],
            [1, 2, 3, double.NegativeInfinity, 1, 2, 3, 4, 5, 6],
            [1, 2, 3, double.NaN, 1, 2, 3, 4, 5, 6],
            [1e300, -1e300, 0, 1, 2, 3, 4, 5, 6, 7],           // huge score gap
        };
        var x = tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, 10 });
        var y = tensor(new long[] { 5, 9, 0, 1, 2, 3 });
        CompareSvm(x, y, 3, tau: 1.0, alpha: 1.0, rel: 1e-12);
        // Log space rounds relative to the logs (hundreds here), on CPU and GPU alike: entries that
        // cancel to ~1e-14 (π_k ≈ π_(k−1) ≈ 1) are compared relative to the row's largest, as the README's gradients.
        CompareSvm(x, y, 5, tau: 0.05, alpha: 1.0, rel: 1e-12, floor: 1.0);
    }

    private static void CompareLogEsp(Tensor x, int K, double rel, int threads = 8)
    {
        Func<Tensor, Tensor> f = t => TopK.functional.log_esp(t, K);
        var cpu = CudaCompare.Run(x, f, emulated: false);
        var gpu = CudaCompare.Run(x, f, emulated: true, threads);
        int m = (int)x.shape[1];
        CudaCompare.Close(cpu.Value, gpu.Value, K + 1, rel, $"log_esp m={m} K={K}");
        CudaCompare.Close(cpu.Grad, gpu.Grad, m, rel, $"log_esp gradient m={m} K={K}");
    }

    [FactWhenEmulated]
    public void LogEsp_Float64_MatchesCpuKernel()
    {
        foreach (var (m, K, seed) in new[] { (1, 1, 11), (3, 5, 12), (7, 4, 13), (300, 12, 14), (1000, 6, 15) })
            CompareLogEsp(Scores(3, m, seed), K, 1e-12);
    }

    [FactWhenEmulated]
    public void LogEsp_EdgeRows_MatchCpuKernel()
    {
        var rows = new double[][]
        {
            [0, 300, -300, 150, 1, 2],                          // log space (spread > 600)
            [1, double.NegativeInfinity, 2, 3, double.NegativeInfinity, 0],
            [1, double.PositiveInfinity, 2, 3, 4, 5],
            [1, double.NaN, 2, 3, 4, 5],
            [double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity],
        };
        var x = tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, 6 });
        CompareLogEsp(x, 3, 1e-12);
        CompareLogEsp(x, 8, 1e-12); // K > m: −inf degrees
    }

    [FactWhenEmulated]
    public void Views_WithAStorageOffset_OrTransposed_ReadTheRightElements()
    {
        // A row slice (contiguous, storage offset 2·n) and a transposed view (made contiguous first).
        var big = Scores(6, 40, 17);
        CompareSvm(big[2..5], Labels(3, 40, 17), 5, 1.0, 1.0, 1e-12);
        CompareLogEsp(Scores(30, 4, 18).t(), 3, 1e-12);
    }

    [FactWhenEmulated]
    public void LogEsp_Float32_MatchesCpuKernel()
    {
        CompareLogEsp(Scores(3, 200, 19, ScalarType.Float32), 6, 1e-6);
    }

    [FactWhenEmulated]
    public void CapacityExceeded_KeepsTheCpuPath()
    {
        // k = 40 is beyond the kernels' largest capacity (32): the CUDA branch declines, the result is the CPU kernel's.
        Assert.Null(KernelNames.Capacity(KernelNames.EspCapacities, 40));
        var x = Scores(2, 60, 16);
        var y = Labels(2, 60, 16);
        using var route = Emulation.Route();
        Assert.Null(CudaPath.SmoothTopKSvm(x, y, 40, 1.0, 1.0));
    }
}
