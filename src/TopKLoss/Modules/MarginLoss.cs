using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Modules;

/// <summary>
/// A loss module with per-class margins m_c = max_margin·n_c^(−1/4)/max_j n_j^(−1/4) (Cao et al.
/// 2019) held as the buffer "margins" (float64, moved to the scores' device at each call if needed).
/// </summary>
public abstract class MarginLoss : Loss<Tensor, Tensor, Tensor>
{
    /// <summary>Score scale &gt; 0.</summary>
    public double Scale { get; }
    /// <summary>Per-class margins [n] (float64 unless the module was converted), the buffer "margins".</summary>
    public Tensor Margins => margins;

    // Named as the registered buffer so that Module.to(...) replaces this field with the moved tensor.
    private Tensor margins;

    private protected MarginLoss(long[] class_counts, double max_margin, double scale, nn.Reduction reduction) : base(reduction)
    {
        Check.ClassCounts(class_counts);
        Check.Positive(max_margin, nameof(max_margin));
        Check.Positive(scale, nameof(scale));
        Check.Reduction(reduction);
        Scale = scale;
        // Owned by the module (disposed with it), not by whatever dispose scope the caller is in.
        margins = TopK.functional.class_margins(class_counts, max_margin).DetachFromDisposeScope();
        register_buffer(nameof(margins), margins);
    }

    /// <summary>The margins on the scores' device, after checking that the class counts match.</summary>
    private protected Tensor MarginsFor(Tensor scores)
    {
        Check.Scores(scores);
        Check.ClassesMatch(Margins.shape[0], scores, "the module's number of classes (class_counts.Length)");
        return Margins.to(scores.device);
    }
}
