using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>
/// Cross-entropy of s + a for a fixed per-class adjustment a [n] computed from training counts, held as
/// the buffer "adjustments" (float64, moved to the scores' device at each call if needed).
/// </summary>
public abstract class AdjustedCrossEntropyLoss : Loss<Tensor, Tensor, Tensor>
{
    /// <summary>The per-class adjustments a [n] added to the scores, the buffer "adjustments".</summary>
    public Tensor Adjustments => adjustments;

    // Named as the registered buffer so that Module.to(...) replaces this field with the moved tensor.
    private Tensor adjustments;

    private protected AdjustedCrossEntropyLoss(double[] values, nn.Reduction reduction) : base(reduction)
    {
        Check.Reduction(reduction);
        adjustments = tensor(values, dtype: ScalarType.Float64).DetachFromDisposeScope();
        register_buffer(nameof(adjustments), adjustments);
    }

    /// <summary>The loss of <paramref name="scores"/> [batch, n] against <paramref name="labels"/> [batch].</summary>
    public override Tensor forward(Tensor scores, Tensor labels) =>
        TopK.functional.adjusted_cross_entropy(scores, labels, adjustments, reduction);
}

/// <summary>Module form of <see cref="TopK.functional.balanced_softmax_loss"/> (Ren et al. 2020): CE(s + log n_c, y).</summary>
public sealed class BalancedSoftmaxLoss : AdjustedCrossEntropyLoss
{
    /// <summary>The module of <see cref="TopK.BalancedSoftmaxLoss"/> (same parameters and checks).</summary>
    public BalancedSoftmaxLoss(long[] class_counts, nn.Reduction reduction = nn.Reduction.Mean)
        : base(Counts(class_counts), reduction) { }

    private static double[] Counts(long[] class_counts)
    {
        Check.ClassCounts(class_counts, "class_counts");
        return TopK.functional.BalancedSoftmaxAdjustments(class_counts);
    }
}

/// <summary>Module form of <see cref="TopK.functional.logit_adjusted_loss"/> (Menon et al. 2021): CE(s + τ·log π_c, y).</summary>
public sealed class LogitAdjustedLoss : AdjustedCrossEntropyLoss
{
    /// <summary>Adjustment strength τ ≥ 0.</summary>
    public double Tau { get; }

    /// <summary>The module of <see cref="TopK.LogitAdjustedLoss"/> (same parameters and checks).</summary>
    public LogitAdjustedLoss(long[] class_counts, double tau = 1.0, nn.Reduction reduction = nn.Reduction.Mean)
        : base(Adjust(class_counts, tau), reduction) => Tau = tau;

    private static double[] Adjust(long[] class_counts, double tau)
    {
        Check.ClassCounts(class_counts, "class_counts");
        Check.NonNegative(tau, "tau");
        return TopK.functional.LogitAdjustments(class_counts, tau);
    }
}
