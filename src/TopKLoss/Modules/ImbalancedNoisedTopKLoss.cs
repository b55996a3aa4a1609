using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>
/// Module form of the imbalanced noised top-k hinge loss (Garcin et al., ICML 2022); see
/// <see cref="TopK.functional.imbalanced_noised_topk_loss(Tensor, Tensor, int, double, Tensor, double, int, Generator?, nn.Reduction)"/>.
/// Holds the margins m_c = maxMargin·n_c^(−1/4)/max_j n_j^(−1/4) as the buffer "margins" (float64, moved
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

    internal ImbalancedNoisedTopKLoss(int k, double epsilon, long[] classCounts, double maxMargin, double scale, int nSamples,
        Generator? generator, nn.Reduction reduction) : base(classCounts, maxMargin, scale, reduction)
    {
        Check.AtLeast(k, 1, nameof(k));
        Check.NonNegative(epsilon, nameof(epsilon));
        Check.AtLeast(nSamples, 1, nameof(nSamples));
        (K, Epsilon, NSamples, Generator) = (k, epsilon, nSamples, generator);
    }

    /// <summary>The loss of <paramref name="scores"/> [batch, n] against <paramref name="labels"/> [batch].</summary>
    public override Tensor forward(Tensor scores, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(TopK.functional.imbalanced_noised_topk_loss(scores, labels, K, Epsilon, MarginsFor(scores), Scale,
            NSamples, Generator, reduction));
    }
}
