using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Bench;

/// <summary>
/// Forward + backward of the multi-k smooth SVM (k = 1 and 5, weights 0.5) against the weighted sum
/// of its two single-k calls (the baseline): the bound is mixture ≤ sum of its members.
/// batch 256, float32.
/// </summary>
public class MultiKBenchmarks
{
    [Params(100, 1_000, 10_000)] public int N;
    private Tensor scores = null!, labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        (scores, labels) = BenchDevice.Inputs(N);
    }

    [Benchmark(Baseline = true, Description = "0.5·L1 + 0.5·L5 (two calls)")]
    public void SumOfMembers() => BenchDevice.ForwardBackward(scores,
        s => 0.5 * F.smooth_topk_svm_loss(s, labels, 1, 1.0, 1.0) + 0.5 * F.smooth_topk_svm_loss(s, labels, 5, 1.0, 1.0));

    [Benchmark(Description = "multik_smooth_topk_svm_loss {1:0.5, 5:0.5}")]
    public void Mixture() => BenchDevice.ForwardBackward(scores,
        s => F.multik_smooth_topk_svm_loss(s, labels, [1, 5], [0.5, 0.5], 1.0, 1.0));
}
