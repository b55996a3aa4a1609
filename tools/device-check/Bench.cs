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
    /// <summary>The table on <paramref name="device"/>; the tests run it on CPU tensors through the emulation at a tiny size.</summary>
    public static List<string> Run(Device device, int batch = 256, int[]? sizes = null, int steps = 20)
    {
        var rows = new List<string> { "loss,path,batch,n,k,samples,median_ms,min_ms" };
        foreach (int n in sizes ?? [1000, 100_000])
        {
            var scores = randn(batch, n, device: device).requires_grad_();
            var labels = randint(0, n, new long[] { batch }, device: device);
            string Row(string loss, string path, int k, int samples, Func<Tensor> forward) => Bench.Row(device, loss, path, batch, n, k, samples, steps, forward);
            rows.Add(Row("cross_entropy", "libtorch", 0, 0, () => nn.functional.cross_entropy(scores, labels)));
            foreach (int k in new[] { 5, 20 })
            {
                rows.Add(Row("smooth_svm", "cuda-kernel", k, 0, () => TopK.functional.smooth_topk_svm_loss(scores, labels, k)));
                rows.Add(Row("smooth_svm", "tensor-ops", k, 0, () => SmoothSvmOps.SmoothLoss(scores, labels, k, 1.0, 1.0).mean()));
                rows.Add(Row("noised", "cuda-kernel", k, 10, () => TopK.functional.noised_topk_loss(scores, labels, k, 1.0, 10)));
                rows.Add(Row("noised", "tensor-ops", k, 10, () =>
                    PerturbedTopK.Hinge(scores, labels, PerturbedTopK.DrawWithTensorOps(scores, k + 1, 1.0, 10, null)).mean()));
            }
        }
        return rows;
    }

    private static string Row(Device device, string loss, string path, int batch, int n, int k, int samples, int steps, Func<Tensor> forward)
    {
        var times = new List<double>();
        void Sync() { if (device.type == DeviceType.CUDA) cuda.synchronize(); }
        for (int step = 0; step < steps + 5; step++)
        {
            using var scope = NewDisposeScope();
            Sync();
            var clock = Stopwatch.StartNew();
            var value = Step(forward);
            Sync();
            if (step >= 5) times.Add(clock.Elapsed.TotalMilliseconds);
            GC.KeepAlive(value);
        }
        times.Sort();
        string line = string.Create(CultureInfo.InvariantCulture, $"{loss},{path},{batch},{n},{k},{samples},{times[times.Count / 2]:F4},{times[0]:F4}");
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
