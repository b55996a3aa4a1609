using TorchSharp;

namespace TopKLoss.Cuda;

/// <summary>
/// The kernels of Kernels/topk_kernels.cu and how a launch is shaped. Each kernel family is
/// compiled for a few capacities KMAX (the size of its per-thread arrays); a call takes the
/// smallest that fits, and beyond the largest the caller keeps the tensor-ops path.
/// </summary>
internal static class KernelNames
{
    /// <summary>Capacities of the smooth SVM / log_esp kernels (degree K ≤ KMAX).</summary>
    public static readonly int[] EspCapacities = [8, 32];

    /// <summary>Capacities of the noised kernels (k ≤ KMAX).</summary>
    public static readonly int[] NoisedCapacities = [8, 64];

    public static IEnumerable<string> All =>
        from t in new[] { "f32", "f64" }
        from name in EspCapacities.SelectMany(c => new[] { $"tk_svm_forward_{t}_k{c}", $"tk_svm_backward_{t}_k{c}",
                $"tk_log_esp_forward_{t}_k{c}", $"tk_log_esp_backward_{t}_k{c}" })
            .Concat(NoisedCapacities.Select(c => $"tk_noised_forward_{t}_k{c}"))
            .Append($"tk_noised_backward_{t}")
        select name;

    /// <summary>The smallest capacity ≥ <paramref name="needed"/>, or null when none is.</summary>
    public static int? Capacity(int[] capacities, int needed) => capacities.Where(c => c >= needed).Select(c => (int?)c).FirstOrDefault();

    public static string Type(torch.ScalarType dtype) => dtype == torch.ScalarType.Float32 ? "f32" : "f64";

    /// <summary>Tests set this to run small blocks in the emulation (a power of two ≥ 1).</summary>
    internal static int? ThreadsOverride { get; set; }

    /// <summary>
    /// Threads per block for a per-thread width of <paramref name="width"/> shared entries: the
    /// largest power of two ≤ 256 with threads·width ≤ 2048 (so the block's shared memory stays
    /// under the 48 KB that needs no opt-in), at least 32.
    /// </summary>
    public static int Threads(int width)
    {
        if (ThreadsOverride is int t) return t;
        int threads = 256;
        while (threads > 32 && threads * width > 2048) threads /= 2;
        return threads;
    }

    /// <summary>Blocks for <paramref name="rows"/> rows: one per row, at most 4096 (the kernels stride rows over the grid).</summary>
    public static int Grid(long rows) => (int)Math.Clamp(rows, 1, 4096);

    /// <summary>Shared memory of the smooth SVM / log_esp kernels: (2·T·(K+1) + 8) doubles + T ints (smooth_svm.cu).</summary>
    public static uint EspSharedBytes(int threads, int K) => (uint)((2 * threads * (K + 1) + 8) * sizeof(double) + threads * sizeof(int));

    /// <summary>Shared memory of the noised kernels: T·k doubles + T·k ints + 2·T ints (noised_topk.cu).</summary>
    public static uint NoisedSharedBytes(int threads, int k) => (uint)(threads * k * (sizeof(double) + sizeof(int)) + 2 * threads * sizeof(int));

    /// <summary>Checkpoints per thread in the backward: one every <paramref name="capacity"/> (KMAX) elements, ⌈⌈n/T⌉/KMAX⌉ (smooth_svm.cu).</summary>
    public static int Checkpoints(int n, int threads, int capacity) => Math.Max(1, ((n + threads - 1) / threads + capacity - 1) / capacity);
}
