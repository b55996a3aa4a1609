using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>Module form of <see cref="TopK.functional.multik_smooth_topk_svm_loss"/>: Σ_i w_i·L_{k_i,τ}.</summary>
public sealed class MultiKSmoothTopKSvmLoss : Loss<Tensor, Tensor, Tensor>
{
    /// <summary>The k values of the mixture (distinct, each checked against n at each call).</summary>
    public IReadOnlyList<int> Ks { get; }
    /// <summary>The weights, aligned with <see cref="Ks"/>.</summary>
    public IReadOnlyList<double> Weights { get; }
    /// <summary>Temperature τ &gt; 0.</summary>
    public double Tau { get; }
    /// <summary>Margin α ≥ 0.</summary>
    public double Alpha { get; }

    private readonly int[] _ks;
    private readonly double[] _weights;

    /// <summary>The module of <see cref="TopK.MultiKSmoothTopKSvmLoss"/> (same parameters and checks).</summary>
    public MultiKSmoothTopKSvmLoss(int[] ks, double[] weights, double tau = 1.0, double alpha = 1.0, nn.Reduction reduction = nn.Reduction.Mean) : base(reduction)
    {
        // n is unknown until the first call: check everything but k < n now (long.MaxValue stands for n).
        SetCheck.KMix(ks, weights, long.MaxValue);
        Check.Positive(tau, nameof(tau));
        Check.NonNegative(alpha, nameof(alpha));
        Check.Reduction(reduction);
        (_ks, _weights, Tau, Alpha) = (ks.ToArray(), weights.ToArray(), tau, alpha);
        (Ks, Weights) = (_ks, _weights);
    }

    /// <summary>The loss of <paramref name="scores"/> [batch, n] against <paramref name="labels"/> [batch].</summary>
    public override Tensor forward(Tensor scores, Tensor labels) =>
        TopK.functional.multik_smooth_topk_svm_loss(scores, labels, _ks, _weights, Tau, Alpha, reduction);
}
