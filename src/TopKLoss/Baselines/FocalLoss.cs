using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    public static partial class functional
    {
        /// <summary>
        /// Focal loss of Lin, Goyal, Girshick, He and Dollár, "Focal Loss for Dense Object Detection"
        /// (ICCV 2017), multi-class form as in the baselines of Garcin et al. (ICML 2022):
        /// <code>
        /// ℓ(s, y) = (1 − p_y)^γ · CE(s, y),   CE(s, y) = −log p_y,   p = softmax(s)
        /// </code>
        /// γ = 0 is cross-entropy; larger γ down-weights samples that are already well classified.
        /// 1 − p_y is computed as −expm1(−CE), accurate where p_y is close to 1.
        /// </summary>
        /// <param name="scores">[batch, n] floating point logits.</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="gamma">Focusing parameter γ ≥ 0 (papers: 2).</param>
        /// <param name="reduction">Mean (default), Sum, or None.</param>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device or γ &lt; 0.</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>var loss = TopK.functional.focal_loss(scores, labels, gamma: 2.0);</code></example>
        public static Tensor focal_loss(Tensor scores, Tensor labels, double gamma = 2.0, nn.Reduction reduction = nn.Reduction.Mean)
        {
            using var scope = NewDisposeScope();
            Check.Scores(scores);
            Check.Labels(labels, scores);
            Check.NonNegative(gamma, nameof(gamma));
            Check.Reduction(reduction);
            var s = ComputeType(scores);
            var ce = nn.functional.cross_entropy(s, labels.to_type(ScalarType.Int64), reduction: nn.Reduction.None);
            Tensor perSample = ce;
            if (gamma != 0)
            {
                // Where p_y rounds to 1 the factor is 0 and (1 − p)^γ has an infinite derivative for γ < 1;
                // the floor keeps that 0·∞ out of the gradient (the product's true slope there is 0).
                using Scalar floor = 1e-30.ToScalar(), exponent = gamma.ToScalar();
                var miss = ce.neg().expm1().neg().clamp_min(floor);
                perSample = miss.pow(exponent) * ce;
            }
            return scope.MoveToOuter(Reduce(perSample, reduction).to_type(scores.dtype));
        }
    }
}
