using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Kernels;

/// <summary>
/// Entry point of the fused noised top-k kernel: the perturbed k-th largest with its one-hot
/// gradient (the normals it draws are laid out in <see cref="NoiseStream"/>).
/// </summary>
internal static class FusedNoisedTopK
{
    /// <summary>
    /// Perturbed k-th largest, row by row, with autograd:
    /// <code>
    /// out[b] = (1/B)·Σ_{s&lt;B} top_k(x[b, :] + ε·z[b, :, s]),   z = Noise(batch, n, B, seed, stream, x.dtype)
    /// ∂out[b]/∂x[b, j] = (1/B)·#{s : j is the index of the k-th largest of x[b, :] + ε·z[b, :, s]}
    /// </code>
    /// Among equal perturbed values the lower index ranks first (a stable descending sort). The
    /// sum x + ε·z is formed in the dtype, as the tensor expression x.unsqueeze(-1) + ε·z does;
    /// the mean is accumulated in float64. Rows containing NaN give NaN (value and gradient).
    /// </summary>
    /// <param name="x">[batch, n] CPU float32 or float64 (made contiguous if it is not).</param>
    /// <param name="k">1 ≤ k ≤ n (the noised loss passes its k + 1).</param>
    /// <param name="epsilon">Noise scale ε ≥ 0, finite; ε = 0 gives the hard k-th largest.</param>
    /// <param name="nSamples">Monte Carlo samples B ≥ 1.</param>
    /// <param name="seed">Philox key material (e.g. drawn from the caller's torch Generator).</param>
    /// <param name="stream">Call counter: a fresh value per call gives fresh noise.</param>
    /// <param name="hinge">When given, out[b] is the noised losses' hinge on the perturbed k-th largest
    /// instead (<see cref="NoisedTopKKernel.Hinge"/>): labels and per-row margins of length batch.</param>
    /// <returns>[batch] in x's dtype.</returns>
    internal static Tensor Apply(Tensor x, int k, double epsilon, int nSamples, ulong seed, ulong stream, NoisedTopKKernel.Hinge? hinge = null)
    {
        if (x.device_type != DeviceType.CPU || (x.dtype != ScalarType.Float32 && x.dtype != ScalarType.Float64))
            throw new ArgumentException($"x must be a CPU float32 or float64 tensor, got {x.dtype} on {x.device_type}", nameof(x));
        if (x.dim() != 2) throw new ArgumentException($"x must be [batch, n], got {x.dim()} dimensions", nameof(x));
        if (nSamples >= 1 && (x.shape[1] > int.MaxValue / nSamples || x.shape[0] > int.MaxValue / nSamples))
            throw new ArgumentOutOfRangeException(nameof(x), $"n·nSamples and batch·nSamples must stay below 2^31, got [{x.shape[0]}, {x.shape[1]}]");
        if (k < 1 || k > x.shape[1]) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {x.shape[1]}]");
        if (!(epsilon >= 0) || !double.IsFinite(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be finite and ≥ 0");
        if (nSamples < 1) throw new ArgumentOutOfRangeException(nameof(nSamples), nSamples, "nSamples must be ≥ 1");
        if (hinge is not null)
        {
            long batch = x.shape[0], n = x.shape[1]; // shape is a native call: not once per label
            if (hinge.Labels.Length != batch || hinge.Margins.Length != batch || hinge.Labels.Any(y => y < 0 || y >= n))
                throw new ArgumentException($"hinge labels and margins must have length batch = {batch}, labels in [0, {n})", nameof(hinge));
        }
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(NoisedTopKKernel.Apply(x, k, epsilon, nSamples, seed, stream, hinge));
    }
}
