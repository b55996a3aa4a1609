using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>
/// Module form of the imbalanced noised top-k hinge loss (Garcin et al., ICML 2022); see
/// <see cref="TopK.functional.imbalanced_noised_topk_loss(Tensor, Tensor, int, double, Tensor, double, int, Generator?, nn.Reduction)"/>.
/// Holds the margins m_c = max_margin·n_c^(−1/4)/max_j n_j^(−1/4) as the buffer "margins" (float64, moved
/// to the scores' device at each call if needed). Use with <see cref="TopK.NormedLinear"/>.
/// </summary>
public sealed class ImbalancedNoisedTopKLoss : MarginLoss
{
    /// <summary>k of the top-k objective (1 ≤ k, k + 1 ≤ n).</summary>
    public int K { get; }
    /// <summary>Noise scale ε ≥ 0.</summary>
    public double Epsilon { get; }
    /// <summary>Monte Carlo samples B ≥ 1 per call.</summary>
    public int NSamples { get; }
    /// <summary>Generator the noise is drawn from; null for torch's default generator.</summary>
    public Generator? Generator { get; }

    /// <summary>The module of <see cref="TopK.ImbalancedNoisedTopKLoss"/> (same parameters and checks).</summary>
    public ImbalancedNoisedTopKLoss(int k, double epsilon, long[] class_counts, double max_margin = 0.2, double scale = 50.0, int n_samples = 5,
        Generator? generator = null, nn.Reduction reduction = nn.Reduction.Mean) : base(class_counts, max_margin, scale, reduction)
    {
        Check.AtLeast(k, 1, nameof(k));
        Check.NonNegative(epsilon, nameof(epsilon));
        Check.AtLeast(n_samples, 1, nameof(n_samples));
        (K, Epsilon, NSamples, Generator) = (k, epsilon, n_samples, generator);
    }

    /// <summary>The loss of <paramref name="scores"/> [batch, n] against <paramref name="labels"/> [batch].</summary>
    public override Tensor forward(Tensor scores, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(TopK.functional.imbalanced_noised_topk_loss(scores, labels, K, Epsilon, MarginsFor(scores), Scale,
            NSamples, Generator, reduction));
    }
}
