using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    /// <summary>Focal loss module (Lin et al., ICCV 2017): (1 − p_y)^γ·CE(s, y); see <see cref="functional.focal_loss"/>.</summary>
    /// <param name="gamma">Focusing parameter γ ≥ 0 (papers: 2).</param>
    /// <param name="reduction">Mean (default), Sum, or None.</param>
    public static Modules.FocalLoss FocalLoss(double gamma = 2.0, nn.Reduction reduction = nn.Reduction.Mean) => new(gamma, reduction);

    /// <summary>
    /// LDAM loss module (Cao et al., NeurIPS 2019): CE(scale·(s − m_y·onehot(y)), y) with
    /// m_c = max_margin·n_c^(−1/4)/max_j n_j^(−1/4); see <see cref="functional.ldam_loss"/>. Use with <see cref="NormedLinear"/>.
    /// </summary>
    /// <param name="class_counts">Training examples per class (length n, all ≥ 1).</param>
    /// <param name="max_margin">Margin of the rarest class, &gt; 0 (Cao et al.: 0.5; Garcin et al.'s runs: 0.2).</param>
    /// <param name="scale">scale &gt; 0 (Cao et al.: 30; Garcin et al.'s runs: 40).</param>
    /// <param name="reduction">Mean (default), Sum, or None.</param>
    public static Modules.LdamLoss LdamLoss(long[] class_counts, double max_margin = 0.5, double scale = 30.0,
        nn.Reduction reduction = nn.Reduction.Mean) => new(class_counts, max_margin, scale, reduction);

    /// <summary>
    /// Cosine classifier (normalized last layer) for LDAM and the imbalanced noised loss:
    /// out = normalize(x)·normalize(W)ᵀ, scores in [−1, 1]; see <see cref="Modules.NormedLinear"/>.
    /// </summary>
    /// <param name="inFeatures">Input features ≥ 1.</param>
    /// <param name="outFeatures">Classes ≥ 1.</param>
    /// <param name="device">Device of the weight (CPU by default).</param>
    /// <param name="dtype">dtype of the weight (torch's default dtype by default).</param>
    public static Modules.NormedLinear NormedLinear(long inFeatures, long outFeatures, Device? device = null, ScalarType? dtype = null) =>
        new(inFeatures, outFeatures, device, dtype);
}
