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
