using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>
/// Module form of the balanced noised top-k hinge loss (Garcin et al., ICML 2022); see
/// <see cref="TopK.functional.noised_topk_loss(Tensor, Tensor, int, double, int, Generator?, nn.Reduction)"/>.
/// Draws fresh noise at every call; a drop-in for <c>nn.CrossEntropyLoss()</c>.
/// </summary>
public sealed class NoisedTopKLoss : Loss<Tensor, Tensor, Tensor>
{
    /// <summary>k of the top-k objective (1 ≤ k, k + 1 ≤ n, checked against n at each call).</summary>
    public int K { get; }
    /// <summary>Noise scale ε ≥ 0.</summary>
    public double Epsilon { get; }
    /// <summary>Monte Carlo samples B ≥ 1 per call.</summary>
    public int NSamples { get; }
    /// <summary>Generator the noise is drawn from; null for torch's default generator.</summary>
    public Generator? Generator { get; }

    /// <summary>The module of <see cref="TopK.NoisedTopKLoss"/> (same parameters and checks).</summary>
    public NoisedTopKLoss(int k = 5, double epsilon = 1.0, int n_samples = 5, Generator? generator = null, nn.Reduction reduction = nn.Reduction.Mean) : base(reduction)
    {
        Check.AtLeast(k, 1, nameof(k));
        Check.NonNegative(epsilon, nameof(epsilon));
        Check.AtLeast(n_samples, 1, nameof(n_samples));
        Check.Reduction(reduction);
        (K, Epsilon, NSamples, Generator) = (k, epsilon, n_samples, generator);
    }

    /// <summary>The loss of <paramref name="scores"/> [batch, n] against <paramref name="labels"/> [batch].</summary>
    public override Tensor forward(Tensor scores, Tensor labels) =>
        TopK.functional.noised_topk_loss(scores, labels, K, Epsilon, NSamples, Generator, reduction);
}
