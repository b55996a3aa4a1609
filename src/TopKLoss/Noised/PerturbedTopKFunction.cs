using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Noised;

/// <summary>
/// The Monte Carlo perturbed k-th largest value of Garcin et al. (ICML 2022) as an autograd function:
/// forward = mean over b of top_k(x + ε·Z_b); backward = mean over b of the one-hot at the index of
/// that k-th largest, times the upstream gradient (the exact derivative of the piecewise linear
/// Monte Carlo value). Only the [batch, B] winning indices are kept for backward, so the one
/// [batch, n, B] tensor of perturbed scores dies with the forward pass.
/// </summary>
internal sealed class PerturbedTopKFunction : autograd.SingleTensorFunction<PerturbedTopKFunction>
{
    /// <summary>How the noise tensor is laid out, and whether forward may overwrite it.</summary>
    internal enum NoiseLayout
    {
        /// <summary>The caller's [batch, n, B] noise (public API layout); left untouched.</summary>
        SamplesLast,
        /// <summary>
        /// Freshly drawn [batch, B, n] noise owned by the library and already scaled by ε: x is added
        /// in place and the k-th largest taken along the contiguous last dim.
        /// </summary>
        OwnedScaledSamplesFirst,
    }

    private sealed record Saved(long Classes, long Samples);

    public override string Name => nameof(PerturbedTopKFunction);

    /// <summary>
    /// [batch] values for x [batch, n] (float32/float64, any device) and noise in <paramref name="layout"/>
    /// (<paramref name="epsilon"/> is ignored for already-scaled noise).
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor noise, NoiseLayout layout, int k, double epsilon) =>
        apply(x, noise, layout, k, epsilon);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var noise = (Tensor)vars[1];
        var layout = (NoiseLayout)vars[2];
        int k = (int)vars[3];
        double epsilon = (double)vars[4];

        // x + ε·Z, the only [batch, n, B]-sized tensor: in place when the noise is ours.
        Tensor perturbed;
        int classDim;
        if (layout == NoiseLayout.OwnedScaledSamplesFirst)
        {
            perturbed = noise.add_(x.unsqueeze(1), Scalars.One);
            classDim = 2;
        }
        else
        {
            using var scale = epsilon.ToScalar();
            perturbed = noise.mul(scale).add_(x.unsqueeze(2), Scalars.One);
            classDim = 1;
        }
        var (values, indices) = perturbed.topk(k, dim: classDim);
        var kthValue = values.select(classDim, k - 1);          // [batch, B]
        var kthIndex = indices.select(classDim, k - 1).contiguous();
        var result = kthValue.mean(new long[] { 1 }).to_type(x.dtype);

        // topk ranks NaN above everything, which would hide a NaN row behind a finite k-th value.
        // Masking unconditionally costs O(batch·n) and, unlike testing for NaN first, never syncs a GPU.
        var nanRows = x.isnan().any(1);
        using var nan = double.NaN.ToScalar();
        result = result.masked_fill(nanRows, nan);

        ctx.save_for_backward(new List<Tensor> { kthIndex, nanRows });
        ctx.save_data("saved", new Saved(x.shape[1], kthIndex.shape[1]));
        return result;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var scope = NewDisposeScope(); // holds the intermediate tensors during the native calls (Scalars.cs)
        var saved = ctx.get_saved_variables();
        var (kthIndex, nanRows) = (saved[0], saved[1]);
        var s = (Saved)ctx.get_data("saved");
        long batch = kthIndex.shape[0];
        // Σ_b onehot(index_b)·g/B, accumulated straight into [batch, n]: no one-hot tensor is built.
        using Scalar samples = s.Samples.ToScalar(), nan = double.NaN.ToScalar();
        var share = gradOutput.div(samples).unsqueeze(1).expand(batch, s.Samples);
        var grad = zeros(new[] { batch, s.Classes }, dtype: gradOutput.dtype, device: gradOutput.device)
            .scatter_add_(1, kthIndex, share);
        grad = grad.masked_fill(nanRows.unsqueeze(1), nan);
        return new List<Tensor> { scope.MoveToOuter(grad), null!, null!, null!, null! };
    }
}
