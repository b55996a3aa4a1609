using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>Module form of <see cref="TopK.functional.smooth_topk_svm_loss"/>; drop-in for <c>nn.CrossEntropyLoss()</c>.</summary>
public sealed class SmoothTopKSvmLoss : Loss<Tensor, Tensor, Tensor>
{
    /// <summary>k of the top-k objective (1 ≤ k &lt; n, checked against n at each call).</summary>
    public int K { get; }
    /// <summary>Temperature τ &gt; 0.</summary>
    public double Tau { get; }
    /// <summary>Margin α ≥ 0.</summary>
    public double Alpha { get; }

    /// <summary>The module of <see cref="TopK.SmoothTopKSvmLoss"/> (same parameters and checks).</summary>
    public SmoothTopKSvmLoss(int k = 5, double tau = 1.0, double alpha = 1.0, nn.Reduction reduction = nn.Reduction.Mean) : base(reduction)
    {
        Check.AtLeast(k, 1, nameof(k));
        Check.Positive(tau, nameof(tau));
        Check.NonNegative(alpha, nameof(alpha));
        Check.Reduction(reduction);
        (K, Tau, Alpha) = (k, tau, alpha);
    }

    /// <summary>The loss of <paramref name="scores"/> [batch, n] against <paramref name="labels"/> [batch].</summary>
    public override Tensor forward(Tensor scores, Tensor labels) =>
        TopK.functional.smooth_topk_svm_loss(scores, labels, K, Tau, Alpha, reduction);
}

/// <summary>Module form of <see cref="TopK.functional.hard_topk_svm_loss"/>.</summary>
public sealed class HardTopKSvmLoss : Loss<Tensor, Tensor, Tensor>
{
    /// <summary>k of the top-k objective (1 ≤ k &lt; n, checked against n at each call).</summary>
    public int K { get; }
    /// <summary>Margin α ≥ 0.</summary>
    public double Alpha { get; }

    /// <summary>The module of <see cref="TopK.HardTopKSvmLoss"/> (same parameters and checks).</summary>
    public HardTopKSvmLoss(int k = 5, double alpha = 1.0, nn.Reduction reduction = nn.Reduction.Mean) : base(reduction)
    {
        Check.AtLeast(k, 1, nameof(k));
        Check.NonNegative(alpha, nameof(alpha));
        Check.Reduction(reduction);
        (K, Alpha) = (k, alpha);
    }

    /// <summary>The loss of <paramref name="scores"/> [batch, n] against <paramref name="labels"/> [batch].</summary>
    public override Tensor forward(Tensor scores, Tensor labels) =>
        TopK.functional.hard_topk_svm_loss(scores, labels, K, Alpha, reduction);
}
