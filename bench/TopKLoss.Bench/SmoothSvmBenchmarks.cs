using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Bench;

/// <summary>
/// Forward + backward of the smooth top-k SVM against TorchSharp's cross_entropy (the baseline of
/// each row's Ratio column): batch 256, float32, the grid of n and k.
/// </summary>
public class SmoothSvmBenchmarks
{
    [Params(100, 1_000, 10_000, 100_000)] public int N;
    [Params(1, 5, 20)] public int K;
    private Tensor scores = null!, labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        (scores, labels) = BenchDevice.Inputs(N);
    }

    [Benchmark(Baseline = true, Description = "cross_entropy")]
    public void CrossEntropy() => BenchDevice.ForwardBackward(scores, s => nn.functional.cross_entropy(s, labels));

    [Benchmark(Description = "smooth_topk_svm_loss")]
    public void SmoothTopKSvm() => BenchDevice.ForwardBackward(scores, s => F.smooth_topk_svm_loss(s, labels, K, 1.0, 1.0));
}

/// <summary>The plain tensor-ops implementation (test oracle, CUDA fallback) at the reference point n = 1000, k = 5.</summary>
public class SmoothSvmTensorOpsBenchmarks : AgainstCrossEntropy
{
    [Benchmark(Description = "tensor-ops smooth top-5 SVM")]
    public void TensorOps() => BenchDevice.ForwardBackward(scores, s => SmoothSvm.SmoothSvmOps.SmoothLoss(s, labels, 5, 1.0, 1.0).mean());
}
