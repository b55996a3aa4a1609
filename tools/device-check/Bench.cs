using System.Diagnostics;
using System.Globalization;
using TopKLoss.Noised;
using TopKLoss.SmoothSvm;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.DeviceCheck;

/// <summary>
/// fwd+bwd timings on CUDA at batch 256, n ∈ {1000, 100000}, k ∈ {5, 20}, B = 10: cross_entropy,
/// the CUDA kernels and the TorchSharp-ops fallback, in one process. Each: 5 warm-up steps, then the
/// median of 20 steps, each step bracketed by cuda.synchronize().
/// </summary>
internal static class Bench
{
    public static List<string> Run()
    {
        var rows = new List<string> { "loss,path,batch,n,k,samples,median_ms,min_ms" };
        foreach (int n in new[] { 1000, 100_000 })
        {
            var scores = randn(256, n, device: CUDA).requires_grad_();
            var labels = randint(0, n, new long[] { 256 }, device: CUDA);
            rows.Add(Row("cross_entropy", "libtorch", n, 0, 0, () => nn.functional.cross_entropy(scores, labels)));
            foreach (int k in new[] { 5, 20 })
            {
                rows.Add(Row("smooth_svm", "cuda-kernel", n, k, 0, () => TopK.functional.smooth_topk_svm_loss(scores, labels, k)));
                rows.Add(Row("smooth_svm", "tensor-ops", n, k, 0, () => SmoothSvmOps.SmoothLoss(scores, labels, k, 1.0, 1.0).mean()));
                rows.Add(Row("noised", "cuda-kernel", n, k, 10, () => TopK.functional.noised_topk_loss(scores, labels, k, 1.0, 10)));
                rows.Add(Row("noised", "tensor-ops", n, k, 10, () =>
                    PerturbedTopK.Hinge(scores, labels, PerturbedTopK.DrawWithTensorOps(scores, k + 1, 1.0, 10, null)).mean()));
            }
        }
        return rows;
    }

    private static string Row(string loss, string path, int n, int k, int samples, Func<Tensor> forward)
    {
        var times = new List<double>();
        for (int step = 0; step < 25; step++)
        {
            using var scope = NewDisposeScope();
            cuda.synchronize();
            var clock = Stopwatch.StartNew();
            var value = Step(forward);
            cuda.synchronize();
            if (step >= 5) times.Add(clock.Elapsed.TotalMilliseconds);
            GC.KeepAlive(value);
        }
        times.Sort();
        string line = string.Create(CultureInfo.InvariantCulture, $"{loss},{path},256,{n},{k},{samples},{times[times.Count / 2]:F4},{times[0]:F4}");
        Console.WriteLine(line);
        return line;
    }

    private static Tensor Step(Func<Tensor> forward)
    {
        var loss = forward();
        if (loss.requires_grad) loss.backward();
        return loss;
    }
}
