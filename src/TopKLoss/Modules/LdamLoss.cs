using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>
/// Module form of <see cref="TopK.functional.ldam_loss"/> (Cao et al., NeurIPS 2019):
/// CE(scale·(s − m_y·onehot(y)), y), with m_c = maxMargin·n_c^(−1/4)/max_j n_j^(−1/4) held as the buffer
/// "margins" (float64, moved to the scores' device at each call if needed). Use with <see cref="TopK.NormedLinear"/>.
/// </summary>
public sealed class LdamLoss : Loss<Tensor, Tensor, Tensor>
{
    /// <summary>Score scale &gt; 0.</summary>
    public double Scale { get; }
    /// <summary>Per-class margins [n] (float64 unless the module was converted), the buffer "margins".</summary>
    public Tensor Margins => margins;

    // Named as the registered buffer so that Module.to(...) replaces this field with the moved tensor.
    private Tensor margins;

    internal LdamLoss(long[] classCounts, double maxMargin, double scale, nn.Reduction reduction) : base(reduction)
    {
        Check.ClassCounts(classCounts);
        Check.Positive(maxMargin, nameof(maxMargin));
        Check.Positive(scale, nameof(scale));
        Check.Reduction(reduction);
        Scale = scale;
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
        return scope.MoveToOuter(TopK.functional.ldam_loss(scores, labels, margins, Scale, reduction));
    }
}
