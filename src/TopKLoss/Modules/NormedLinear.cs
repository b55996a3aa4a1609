using TopKLoss.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>
/// Cosine classifier, the normalized last layer LDAM (Cao et al., NeurIPS 2019) and the imbalanced
/// noised top-k loss (Garcin et al., ICML 2022) are used with:
/// <code>
/// out[b, c] = ⟨x_b/‖x_b‖, w_c/‖w_c‖⟩ ∈ [−1, 1]
/// </code>
/// The weight is [outFeatures, inFeatures] (one row per class, as in <c>nn.Linear</c>), initialized
/// as in the published LDAM code: uniform(−1, 1), then every class vector rescaled to unit norm.
/// </summary>
public sealed class NormedLinear : nn.Module<Tensor, Tensor>
{
    /// <summary>Class vectors w_c, [outFeatures, inFeatures].</summary>
    public Parameter weight { get; }

    /// <summary>The module of <see cref="TopK.NormedLinear"/>.</summary>
    public NormedLinear(long inFeatures, long outFeatures, Device? device = null, ScalarType? dtype = null) : base(nameof(NormedLinear))
    {
        Check.AtLeast(inFeatures, 1, nameof(inFeatures));
        Check.AtLeast(outFeatures, 1, nameof(outFeatures));
        using (no_grad())
        {
            var init = empty(new[] { outFeatures, inFeatures }, dtype: dtype ?? get_default_dtype(), device: device).uniform_(-1.0, 1.0);
            // renorm to a tiny max norm, then scale back up: every row gets norm 1 (the published recipe).
            using var scaleBack = 1e5.ToScalar();
            var unitRows = renorm(init, 2, 0, 1e-5f).mul_(scaleBack);
            weight = new Parameter(unitRows, requires_grad: true);
        }
        weight.DetachFromDisposeScope();
        register_parameter(nameof(weight), weight);
    }

    /// <summary>Cosines between the rows of <paramref name="input"/> [batch, inFeatures] and the class vectors: [batch, outFeatures].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope(); // holds the intermediate tensors during the native calls (Scalars.cs)
        return scope.MoveToOuter(nn.functional.normalize(input, dim: 1).mm(nn.functional.normalize(weight, dim: 1).t()));
    }
}
