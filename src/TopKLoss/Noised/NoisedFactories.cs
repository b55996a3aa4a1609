using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    /// <summary>
    /// Balanced noised top-k hinge loss module (Garcin et al., ICML 2022): max(0, 1 + top_{k+1,ε}(s) − s_y),
    /// fresh noise at every call; see <see cref="functional.noised_topk_loss(Tensor, Tensor, int, double, int, Generator?, nn.Reduction)"/>.
    /// Use where <c>nn.CrossEntropyLoss()</c> was: <c>TopK.NoisedTopKLoss(k: 5, epsilon: 1.0).call(scores, labels)</c>.
    /// </summary>
    /// <param name="k">1 ≤ k, k + 1 ≤ n.</param>
    /// <param name="epsilon">Noise scale ε ≥ 0 (paper: 1.0 on Pl@ntNet-300K, 0.2 on CIFAR-100).</param>
    /// <param name="n_samples">Monte Carlo samples B ≥ 1 (published default 5).</param>
    /// <param name="generator">Generator for reproducible noise; null for torch's default.</param>
    /// <param name="reduction">Mean (default), Sum, or None.</param>
    public static Modules.NoisedTopKLoss NoisedTopKLoss(int k = 5, double epsilon = 1.0, int n_samples = 5, Generator? generator = null,
        nn.Reduction reduction = nn.Reduction.Mean) => new(k, epsilon, n_samples, generator, reduction);

    /// <summary>
    /// Imbalanced noised top-k hinge loss module (Garcin et al., ICML 2022):
    /// max(0, scale·(m_y + top_{k+1,ε}(s) − s_y)) with m_c = max_margin·n_c^(−1/4)/max_j n_j^(−1/4); see
    /// <see cref="functional.imbalanced_noised_topk_loss(Tensor, Tensor, int, double, Tensor, double, int, Generator?, nn.Reduction)"/>.
    /// Meant for scores from <see cref="NormedLinear"/>. Paper settings on Pl@ntNet-300K: ε = 0.01, B = 5, max_margin = 0.2, scale = 60.
    /// </summary>
    /// <param name="k">1 ≤ k, k + 1 ≤ n.</param>
    /// <param name="epsilon">Noise scale ε ≥ 0.</param>
    /// <param name="class_counts">Training examples per class (length n, all ≥ 1).</param>
    /// <param name="max_margin">Margin of the rarest class, &gt; 0.</param>
    /// <param name="scale">scale &gt; 0 (published default 50).</param>
    /// <param name="n_samples">Monte Carlo samples B ≥ 1 (published default 5).</param>
    /// <param name="generator">Generator for reproducible noise; null for torch's default.</param>
    /// <param name="reduction">Mean (default), Sum, or None.</param>
    public static Modules.ImbalancedNoisedTopKLoss ImbalancedNoisedTopKLoss(int k, double epsilon, long[] class_counts, double max_margin = 0.2,
        double scale = 50.0, int n_samples = 5, Generator? generator = null, nn.Reduction reduction = nn.Reduction.Mean) =>
        new(k, epsilon, class_counts, max_margin, scale, n_samples, generator, reduction);
}
