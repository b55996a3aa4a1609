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
public sealed class ImbalancedNoisedTopKLoss : Loss<Tensor, Tensor, Tensor>
{
    /// <summary>k of the top-k objective (1 ≤ k, k + 1 ≤ n).</summary>
    public int K { get; }
    /// <summary>Noise scale ε ≥ 0.</summary>
    public double Epsilon { get; }
    /// <summary>Score scale &gt; 0.</summary>
    public double Scale { get; }
    /// <summary>Monte Carlo samples B ≥ 1 per call.</summary>
    public int NSamples { get; }
    /// <summary>Generator the noise is drawn from; null for torch's default generator.</summary>
    public Generator? Generator { get; }
    /// <summary>Per-class margins [n] (float64 unless the module was converted), the buffer "margins".</summary>
    public Tensor Margins => margins;

    // Named as the registered buffer so that Module.to(...) replaces this field with the moved tensor.
    private Tensor margins;

    internal ImbalancedNoisedTopKLoss(int k, double epsilon, long[] classCounts, double maxMargin, double scale, int nSamples,
        Generator? generator, nn.Reduction reduction) : base(reduction)
    {
        Check.AtLeast(k, 1, nameof(k));
        Check.NonNegative(epsilon, nameof(epsilon));
        Check.ClassCounts(classCounts);
        Check.Positive(maxMargin, nameof(maxMargin));
        Check.Positive(scale, nameof(scale));
        Check.AtLeast(nSamples, 1, nameof(nSamples));
        Check.Reduction(reduction);
        (K, Epsilon, Scale, NSamples, Generator) = (k, epsilon, scale, nSamples, generator);
        // Owned by the module (disposed with it), not by whatever dispose scope the caller is in.
        margins = TopK.functional.class_margins(classCounts, maxMargin).DetachFromDisposeScope();
        register_buffer(nameof(margins), margins);
    }

    /// <summary>The loss of <paramref name="scores"/> [batch, n] against <paramref name="labels"/> [batch].</summary>
    public override Tensor forward(Tensor scores, Tensor labels)
    {
        using var scope = NewDisposeScope();
        Check.Scores(scores);
        Check.ClassesMatch(Margins.shape[0], scores, "the module's number of classes (classCounts.Length)");
        var margins = Margins.to(scores.device);
        return scope.MoveToOuter(TopK.functional.imbalanced_noised_topk_loss(scores, labels, K, Epsilon, margins, Scale, NSamples,
            Generator, reduction));
    }
}
