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
    public static Tensor DrawPerturbedTopK(Tensor x, int k, double epsilon, int nSamples, Generator? generator)
    {
        if (CpuRows.Supports(x))
        {
            var (seed, stream) = FusedKey(generator);
            return FusedNoisedTopK.Apply(x, k, epsilon, nSamples, seed, stream);
        }
        return DrawWithTensorOps(x, k, epsilon, nSamples, generator);
    }

    /// <summary>The tensor-ops path of <see cref="DrawPerturbedTopK"/> (any device; the fused kernel's oracle).</summary>
    internal static Tensor DrawWithTensorOps(Tensor x, int k, double epsilon, int nSamples, Generator? generator)
    {
        long batch = x.shape[0], n = x.shape[1];
        var scaledNoise = empty(new[] { batch, nSamples, n }, dtype: x.dtype, device: x.device).normal_(0.0, epsilon, generator);
        return PerturbedTopKFunction.Apply(x, scaledNoise, PerturbedTopKFunction.NoiseLayout.OwnedScaledSamplesFirst, k, epsilon);
    }

    /// <summary>Philox key and stream of the fused kernel: one draw of two int64 from the generator.</summary>
    internal static (ulong Seed, ulong Stream) FusedKey(Generator? generator)
    {
        using var key = randint(0, long.MaxValue, new long[] { 2 }, dtype: ScalarType.Int64, generator: generator);
        var values = key.data<long>();
        return ((ulong)values[0], (ulong)values[1]);
    }
}
