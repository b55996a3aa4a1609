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
    /// The draws are laid out [batch, B, n] (each sample's n normals contiguous), so with the same
    /// generator state this equals <see cref="WithNoise"/> with randn(batch, B, n).transpose(1, 2);
    /// normal_(0, ε) draws the same normals as randn and scales them in the same pass.
    /// </summary>
    public static Tensor DrawPerturbedTopK(Tensor x, int k, double epsilon, int nSamples, Generator? generator)
    {
        long batch = x.shape[0], n = x.shape[1];
        var scaledNoise = empty(new[] { batch, nSamples, n }, dtype: x.dtype, device: x.device).normal_(0.0, epsilon, generator);
        return PerturbedTopKFunction.Apply(x, scaledNoise, PerturbedTopKFunction.NoiseLayout.OwnedScaledSamplesFirst, k, epsilon);
    }
}
