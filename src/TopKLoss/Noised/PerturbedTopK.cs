using TopKLoss.Cuda;
using TopKLoss.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Noised;

/// <summary>
/// Entry points of the perturbed k-th largest value. <see cref="DrawPerturbedTopK"/> is the single
/// place in the library where noise is drawn, so a faster backend (a fused kernel drawing its own
/// noise) can be wired in here without touching the losses.
/// </summary>
internal static class PerturbedTopK
{
    /// <summary>With the caller's noise [batch, n, B] (left unmodified).</summary>
    public static Tensor WithNoise(Tensor x, int k, double epsilon, Tensor noise) =>
        PerturbedTopKFunction.Apply(x, noise, PerturbedTopKFunction.NoiseLayout.SamplesLast, k, epsilon);

    /// <summary>
    /// Draws B standard normal vectors per row and returns mean_b top_k(x + ε·Z_b), [batch].
    /// <para>
    /// CPU float32/float64: the fused kernel (<see cref="FusedNoisedTopK"/>) draws the normals
    /// inside from a counter-based Philox stream and stores nothing of shape [batch, n, B]. Its key
    /// and stream are one draw of two int64 from <paramref name="generator"/> (torch's default
    /// generator when null), so each call gets fresh noise and re-seeding the generator replays it.
    /// </para>
    /// <para>
    /// Elsewhere (CUDA, half precision): the draws are laid out [batch, B, n], so with the same
    /// generator state this equals <see cref="WithNoise"/> with randn(batch, B, n).transpose(1, 2);
    /// normal_(0, ε) draws the same normals as randn and scales them in the same pass.
    /// </para>
    /// </summary>
    public static Tensor DrawPerturbedTopK(Tensor x, int k, double epsilon, int n_samples, Generator? generator)
    {
        // CUDA float32/float64 whose kernels load: the same draws as the fused CPU kernel, on the GPU.
        if (CudaPath.PerturbedTopK(x, k, epsilon, n_samples, generator) is { } onGpu) return onGpu;
        if (CpuRows.Supports(x))
        {
            var (seed, stream) = FusedKey(generator);
            return FusedNoisedTopK.Apply(x, k, epsilon, n_samples, seed, stream);
        }
        return DrawWithTensorOps(x, k, epsilon, n_samples, generator);
    }

    /// <summary>
    /// The noised losses' per-sample hinge relu(((v + m_y) − x_y)·scale) on v = <see cref="DrawPerturbedTopK"/>(x, k, …),
    /// m_y = margins[y] (1 when null): on CPU float32/float64 fused into the kernel (one pass, one
    /// gradient tensor; same draws, same value and gradient bit for bit), elsewhere as tensor ops.
    /// </summary>
    public static Tensor DrawHinge(Tensor x, Tensor labels, int k, double epsilon, int n_samples, Generator? generator,
        Tensor? margins = null, double scale = 1.0)
    {
        if (CudaPath.NoisedHinge(x, labels, k, epsilon, n_samples, generator, margins, scale) is { } onGpu) return onGpu;
        if (CpuRows.Supports(x) && margins is not { requires_grad: true })
        {
            var (seed, stream) = FusedKey(generator);
            using var hostLabels = labels.to_type(ScalarType.Int64).cpu().contiguous();
            long[] y = hostLabels.data<long>().ToArray();
            double[] rowMargins = margins is null ? Enumerable.Repeat(1.0, y.Length).ToArray() : LabelMargins(margins, x.dtype, y);
            return FusedNoisedTopK.Apply(x, k, epsilon, n_samples, seed, stream, new NoisedTopKKernel.Hinge(y, rowMargins, scale));
        }
        return Hinge(x, labels, DrawPerturbedTopK(x, k, epsilon, n_samples, generator), margins, scale);
    }

    /// <summary>
    /// The hinge as tensor ops on a given smoothed k-th largest v: relu((v + 1) − x_y) without
    /// margins (the balanced loss), relu(((m_y + v) − x_y)·scale) with them; relu as published
    /// (zero gradient exactly at the hinge).
    /// </summary>
    public static Tensor Hinge(Tensor x, Tensor labels, Tensor smoothed, Tensor? margins = null, double scale = 1.0)
    {
        var y = labels.to_type(ScalarType.Int64);
        var labelScores = x.gather(1, y.unsqueeze(1)).squeeze(1);
        if (margins is null)
        {
            using var one = 1.0.ToScalar();
            return (smoothed.add(one, Scalars.One) - labelScores).relu();
        }
        using var scaleScalar = scale.ToScalar();
        return (margins.to_type(x.dtype).gather(0, y).add(smoothed, Scalars.One) - labelScores).mul(scaleScalar).relu();
    }

    /// <summary>margins[y_b] in the scores' dtype (as the tensor path rounds them), as float64.</summary>
    private static double[] LabelMargins(Tensor margins, ScalarType dtype, long[] labels)
    {
        using var scope = NewDisposeScope();
        var rounded = margins.detach().to_type(dtype).to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        return labels.Select(y => rounded[y]).ToArray();
    }

    /// <summary>The tensor-ops path of <see cref="DrawPerturbedTopK"/> (any device; the fused kernel's oracle).</summary>
    internal static Tensor DrawWithTensorOps(Tensor x, int k, double epsilon, int n_samples, Generator? generator)
    {
        long batch = x.shape[0], n = x.shape[1];
        var scaledNoise = empty(new[] { batch, n_samples, n }, dtype: x.dtype, device: x.device).normal_(0.0, epsilon, generator);
        GC.KeepAlive(generator); // the caller's generator may be a temporary: alive across the draw (Scalars.cs)
        return PerturbedTopKFunction.Apply(x, scaledNoise, PerturbedTopKFunction.NoiseLayout.OwnedScaledSamplesFirst, k, epsilon);
    }

    /// <summary>Philox key and stream of the fused kernel: one draw of two int64 from the generator.</summary>
    internal static (ulong Seed, ulong Stream) FusedKey(Generator? generator)
    {
        using var key = randint(0, long.MaxValue, new long[] { 2 }, dtype: ScalarType.Int64, generator: generator);
        GC.KeepAlive(generator); // the caller's generator may be a temporary: alive across the draw (Scalars.cs)
        var values = key.data<long>();
        return ((ulong)values[0], (ulong)values[1]);
    }
}
