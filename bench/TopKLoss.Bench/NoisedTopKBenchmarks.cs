using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Bench;

/// <summary>
/// Forward + backward of the noised top-5 loss (B Monte Carlo samples, noise drawn by the loss)
/// against cross_entropy: batch 256, float32, n ∈ {100, 1e3, 1e4, 1e5}, B ∈ {5, 10}.
/// </summary>
public class NoisedTopKBenchmarks
{
    [Params(100, 1_000, 10_000, 100_000)] public int N;
    [Params(5, 10)] public int B;
    private Tensor scores = null!, labels = null!;
    private readonly Generator noise = new(99);

    [GlobalSetup]
    public void Setup()
    {
        (scores, labels) = BenchDevice.Inputs(N);
    }

    [Benchmark(Baseline = true, Description = "cross_entropy")]
    public void CrossEntropy() => BenchDevice.ForwardBackward(scores, s => nn.functional.cross_entropy(s, labels));

    [Benchmark(Description = "noised_topk_loss k=5")]
    public void NoisedTopK() => BenchDevice.ForwardBackward(scores, s => F.noised_topk_loss(s, labels, 5, 1.0, B, noise));
}

/// <summary>
/// The paper's CIFAR-100 setting ε = 0.2, B = 10 at n = 1000: noise narrower than the unit-variance
/// scores, so the fused kernel's bounds rule out whole blocks and most pairs.
/// </summary>
public class NoisedTopKNarrowNoiseBenchmarks : AgainstCrossEntropy
{
    private readonly Generator noise = new(99);

    [Benchmark(Description = "noised_topk_loss k=5 B=10 eps=0.2")]
    public void NoisedTopK() => BenchDevice.ForwardBackward(scores, s => F.noised_topk_loss(s, labels, 5, 0.2, 10, noise));
}

/// <summary>The tensor-ops draw path (the CUDA path and the fused kernel's oracle) at n = 1000, B = 10, on the CPU.</summary>
public class NoisedTopKTensorOpsBenchmarks
{
    private Tensor scores = null!;
    private readonly Generator noise = new(99);

    [GlobalSetup]
    public void Setup()
    {
        scores = randn(256, 1000, generator: new Generator(1234)).to(BenchDevice.Device);
    }

    [Benchmark(Baseline = true, Description = "fused perturbed top-6, B=10")]
    public void Fused() => BenchDevice.ForwardBackward(scores, s => F.perturbed_topk(s, 6, 1.0, 10, noise).sum());

    [Benchmark(Description = "tensor-ops perturbed top-6, B=10")]
    public void TensorOps() => BenchDevice.ForwardBackward(scores, s => Noised.PerturbedTopK.DrawWithTensorOps(s, 6, 1.0, 10, noise).sum());
}
