using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>Module form of <see cref="TopK.functional.focal_loss"/> (Lin et al., ICCV 2017): (1 − p_y)^γ·CE.</summary>
public sealed class FocalLoss : Loss<Tensor, Tensor, Tensor>
{
    /// <summary>Focusing parameter γ ≥ 0.</summary>
    public double Gamma { get; }

    /// <summary>The module of <see cref="TopK.FocalLoss"/> (same parameters and checks).</summary>
    public FocalLoss(double gamma = 2.0, nn.Reduction reduction = nn.Reduction.Mean) : base(reduction)
    {
        Check.NonNegative(gamma, nameof(gamma));
        Check.Reduction(reduction);
        Gamma = gamma;
    }

    /// <summary>The loss of <paramref name="scores"/> [batch, n] against <paramref name="labels"/> [batch].</summary>
    public override Tensor forward(Tensor scores, Tensor labels) =>
        TopK.functional.focal_loss(scores, labels, Gamma, reduction);
}
