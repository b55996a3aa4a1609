using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>
/// Module form of <see cref="TopK.functional.ldam_loss"/> (Cao et al., NeurIPS 2019):
/// CE(scale·(s − m_y·onehot(y)), y), with m_c = max_margin·n_c^(−1/4)/max_j n_j^(−1/4) held as the buffer
/// "margins" (float64, moved to the scores' device at each call if needed). Use with <see cref="TopK.NormedLinear"/>.
/// </summary>
public sealed class LdamLoss : MarginLoss
{
    /// <summary>The module of <see cref="TopK.LdamLoss"/> (same parameters and checks).</summary>
    public LdamLoss(long[] class_counts, double max_margin = 0.5, double scale = 30.0, nn.Reduction reduction = nn.Reduction.Mean)
        : base(class_counts, max_margin, scale, reduction) { }

    /// <summary>The loss of <paramref name="scores"/> [batch, n] against <paramref name="labels"/> [batch].</summary>
    public override Tensor forward(Tensor scores, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(TopK.functional.ldam_loss(scores, labels, MarginsFor(scores), Scale, reduction));
    }
}
