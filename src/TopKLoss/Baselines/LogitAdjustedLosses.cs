using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    /// <summary>Balanced softmax module (Ren et al., NeurIPS 2020): CE(s + log n_c, y); see <see cref="functional.balanced_softmax_loss"/>.</summary>
    /// <param name="class_counts">Training examples per class (length n, all ≥ 1).</param>
    /// <param name="reduction">Mean (default), Sum, or None.</param>
    public static Modules.BalancedSoftmaxLoss BalancedSoftmaxLoss(long[] class_counts, nn.Reduction reduction = nn.Reduction.Mean) =>
        new(class_counts, reduction);

    /// <summary>Logit-adjusted cross-entropy module (Menon et al., ICLR 2021): CE(s + τ·log π_c, y); see <see cref="functional.logit_adjusted_loss"/>.</summary>
    /// <param name="class_counts">Training examples per class (length n, all ≥ 1).</param>
    /// <param name="tau">Adjustment strength τ ≥ 0 (paper: 1).</param>
    /// <param name="reduction">Mean (default), Sum, or None.</param>
    public static Modules.LogitAdjustedLoss LogitAdjustedLoss(long[] class_counts, double tau = 1.0, nn.Reduction reduction = nn.Reduction.Mean) =>
        new(class_counts, tau, reduction);

    public static partial class functional
    {
        /// <summary>
        /// Balanced softmax loss of Ren et al., "Balanced Meta-Softmax for Long-Tailed Visual Recognition"
        /// (NeurIPS 2020): cross-entropy after adding the log training count of each class,
        /// <code>
        /// ℓ(s, y) = CE(s + log n, y) = −log( n_y·e^{s_y} / Σ_j n_j·e^{s_j} )
        /// </code>
        /// so the scores model the balanced (test) distribution while training sees the long-tailed one.
        /// Predict with the plain scores s.
        /// </summary>
        /// <param name="scores">[batch, n] floating point logits.</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="class_counts">Training examples per class n_c (length n, all ≥ 1).</param>
        /// <param name="reduction">Mean (default), Sum, or None.</param>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device, or class_counts is not n counts ≥ 1.</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>var loss = TopK.functional.balanced_softmax_loss(scores, labels, class_counts);</code></example>
        public static Tensor balanced_softmax_loss(Tensor scores, Tensor labels, long[] class_counts, nn.Reduction reduction = nn.Reduction.Mean)
        {
            Check.ClassCounts(class_counts, nameof(class_counts));
            using var adjustments = tensor(BalancedSoftmaxAdjustments(class_counts), dtype: ScalarType.Float64);
            return adjusted_cross_entropy(scores, labels, adjustments, reduction);
        }

        /// <summary>
        /// Logit-adjusted cross-entropy of Menon et al., "Long-Tail Learning via Logit Adjustment" (ICLR 2021):
        /// <code>
        /// ℓ(s, y) = CE(s + τ·log π, y),   π_c = n_c / Σ_j n_j
        /// </code>
        /// τ = 1 equals <see cref="balanced_softmax_loss"/> (the constant log Σ n_j cancels in the softmax);
        /// τ = 0 is cross-entropy. Predict with the plain scores s.
        /// </summary>
        /// <param name="scores">[batch, n] floating point logits.</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="class_counts">Training examples per class n_c (length n, all ≥ 1).</param>
        /// <param name="tau">Adjustment strength τ ≥ 0 (paper: 1).</param>
        /// <param name="reduction">Mean (default), Sum, or None.</param>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device, class_counts is not n counts ≥ 1, or τ &lt; 0.</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>var loss = TopK.functional.logit_adjusted_loss(scores, labels, class_counts, tau: 1.0);</code></example>
        public static Tensor logit_adjusted_loss(Tensor scores, Tensor labels, long[] class_counts, double tau = 1.0,
            nn.Reduction reduction = nn.Reduction.Mean)
        {
            Check.ClassCounts(class_counts, nameof(class_counts));
            Check.NonNegative(tau, nameof(tau));
            using var adjustments = tensor(LogitAdjustments(class_counts, tau), dtype: ScalarType.Float64);
            return adjusted_cross_entropy(scores, labels, adjustments, reduction);
        }

        /// <summary>log n_c.</summary>
        internal static double[] BalancedSoftmaxAdjustments(long[] class_counts) => class_counts.Select(n => Math.Log(n)).ToArray();

        /// <summary>τ·log(n_c / Σ n).</summary>
        internal static double[] LogitAdjustments(long[] class_counts, double tau)
        {
            double total = class_counts.Sum(n => (double)n);
            return class_counts.Select(n => tau * Math.Log(n / total)).ToArray();
        }

        /// <summary>CE(s + a, y) with a per-class additive adjustment a [n] (any floating dtype, moved to the scores' device and dtype).</summary>
        internal static Tensor adjusted_cross_entropy(Tensor scores, Tensor labels, Tensor adjustments, nn.Reduction reduction)
        {
            using var scope = NewDisposeScope();
            Check.Scores(scores);
            Check.Labels(labels, scores);
            Check.ClassesMatch(adjustments.shape[0], scores, "the number of class counts", "class_counts");
            Check.Reduction(reduction);
            var s = ComputeType(scores);
            var shifted = s.add(adjustments.to(s.device).to_type(s.dtype).unsqueeze(0), Scalars.One);
            var perSample = nn.functional.cross_entropy(shifted, labels.to_type(ScalarType.Int64), reduction: nn.Reduction.None);
            return scope.MoveToOuter(Reduce(perSample, reduction).to_type(scores.dtype));
        }
    }
}
