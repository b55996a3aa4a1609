using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cuda;

/// <summary>
/// The CUDA branch of the functional entry points: each method runs the CUDA kernels when the
/// tensor is a CUDA float32/float64 tensor, its device's kernels loaded and the shape fits their
/// capacity, and otherwise returns null, and the caller keeps its existing path (the fused CPU
/// kernels, or the TorchSharp ops that remain the fallback and the oracle).
/// </summary>
internal static class CudaPath
{
    /// <summary>Per-sample smooth top-k SVM losses, or null.</summary>
    public static Tensor? SmoothTopKSvm(Tensor scores, Tensor labels, int k, double tau, double alpha) =>
        CudaKernels.For(scores) is { } launcher ? CudaSmoothTopKSvm.TryApply(launcher, scores, labels, k, tau, alpha) : null;

    /// <summary>log σ_j(exp x), j = 0..K, or null.</summary>
    public static Tensor? LogEsp(Tensor x, int K) =>
        CudaKernels.For(x) is { } launcher ? CudaLogEsp.TryApply(launcher, x, K) : null;

    /// <summary>
    /// mean_s top_k(x + ε·z_s) with the normals drawn in the kernel, or null. The kernel's (seed,
    /// stream) is one draw of two int64 from <paramref name="generator"/> on x's device, as
    /// <see cref="Noised.PerturbedTopK.FusedKey"/> draws them on CPU: the same (seed, stream) gives
    /// the same normals and indices as the CPU kernel. (A CUDA generator's draws differ from a CPU
    /// generator's with the same seed, so the keys agree only when they are the same numbers.)
    /// </summary>
    public static Tensor? PerturbedTopK(Tensor x, int k, double epsilon, int samples, Generator? generator)
    {
        if (CudaKernels.For(x) is not { } launcher || KernelNames.Capacity(KernelNames.NoisedCapacities, k) is null) return null;
        return CudaNoisedTopK.TryApply(launcher, x, k, epsilon, samples, Key(x, generator));
    }

    private static Tensor Key(Tensor x, Generator? generator)
    {
        var key = randint(0, long.MaxValue, new long[] { 2 }, dtype: ScalarType.Int64, device: x.device, generator: generator);
        GC.KeepAlive(generator); // the caller's generator may be a temporary: alive across the draw (Scalars.cs)
        return key;
    }

    /// <summary>The noised losses' hinge on the perturbed k-th largest (margins[y] in x's dtype's rounding, 1 when null), or null.</summary>
    public static Tensor? NoisedHinge(Tensor x, Tensor labels, int k, double epsilon, int samples, Generator? generator,
        Tensor? margins, double scale)
    {
        if (margins is { requires_grad: true }) return null;
        if (CudaKernels.For(x) is not { } launcher || KernelNames.Capacity(KernelNames.NoisedCapacities, k) is null) return null;
        var key = Key(x, generator);
        var y = labels.to_type(ScalarType.Int64).to(x.device);
        var rowMargins = margins is null
            ? ones(x.shape[0], dtype: ScalarType.Float64, device: x.device)
            : margins.detach().to_type(x.dtype).to_type(ScalarType.Float64).to(x.device).gather(0, y);
        return CudaNoisedTopK.TryApply(launcher, x, k, epsilon, samples, key, new CudaNoisedTopK.Hinge(y, rowMargins, scale));
    }
}
