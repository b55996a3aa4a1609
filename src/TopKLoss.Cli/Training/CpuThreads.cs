namespace TopKLoss.Cli.Training;

/// <summary>
/// libtorch's intra-op threads. Small models (the MLP) run much faster on one thread: their
/// matrices are too small to split, and OpenMP threads spin-waiting on a busy 2-core machine cost
/// 20× (measured here: 877 vs 18,330 samples/s for the demo's MLP with two other jobs running).
/// </summary>
public static class CpuThreads
{
    public static int Default(string model) => model == "mlp" ? 1 : Environment.ProcessorCount;

    /// <summary>Sets the thread count (never 0: libtorch aborts the process on set_num_threads(0)).</summary>
    public static void Apply(int? threads, string model) =>
        TorchSharp.torch.set_num_threads(Math.Max(1, threads ?? Default(model)));
}
