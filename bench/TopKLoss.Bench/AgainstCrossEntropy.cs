using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Bench;

/// <summary>
/// Shared setup of the single-point benchmarks: scores [256, 1000] ~ N(0, 1), random labels, and
/// cross_entropy as the baseline of the Ratio column. Subclasses add the cases they compare.
/// </summary>
public abstract class AgainstCrossEntropy
{
    protected Tensor scores = null!, labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        (scores, labels) = BenchDevice.Inputs(1000);
    }

    [Benchmark(Baseline = true, Description = "cross_entropy")]
    public void CrossEntropy() => BenchDevice.ForwardBackward(scores, s => nn.functional.cross_entropy(s, labels));
}
