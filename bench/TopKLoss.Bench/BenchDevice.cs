using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Bench;

/// <summary>
/// Where the benchmarks run: TOPK_BENCH_DEVICE=cuda on a GPU machine, CPU otherwise. An
/// environment variable because BenchmarkDotNet owns the command line and starts child processes.
/// </summary>
internal static class BenchDevice
{
    public static Device Device { get; } = Environment.GetEnvironmentVariable("TOPK_BENCH_DEVICE") is { Length: > 0 } d
        ? torch.device(d)
        : CPU;

    /// <summary>The benchmarks' inputs: scores [256, n] ~ N(0, 1) and labels in [0, n), from seed 1234, on <see cref="Device"/>.</summary>
    public static (Tensor Scores, Tensor Labels) Inputs(int n)
    {
        var generator = new Generator(1234);
        return (randn(256, n, generator: generator).to(Device), randint(0, n, new long[] { 256 }, generator: generator).to(Device));
    }

    /// <summary>Waits for queued GPU work so a measured iteration includes it.</summary>
    public static void Synchronize()
    {
        if (Device.type == DeviceType.CUDA) cuda.synchronize();
    }

    /// <summary>Forward + backward of <paramref name="loss"/> on a fresh leaf of <paramref name="scores"/>.</summary>
    public static void ForwardBackward(Tensor scores, Func<Tensor, Tensor> loss)
    {
        using var scope = NewDisposeScope();
        var leaf = scores.detach().requires_grad_();
        var value = loss(leaf);
        torch.autograd.grad(new[] { value }, new[] { leaf });
        Synchronize();
    }
}
