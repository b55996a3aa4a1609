using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    public static partial class functional
    {
        /// <summary>
        /// LDAM loss of Cao, Wei, Gaidon, Arechiga and Ma, "Learning Imbalanced Datasets with
        /// Label-Distribution-Aware Margin Loss" (NeurIPS 2019), a baseline of Garcin et al. (ICML 2022):
        /// <code>
        /// ℓ(s, y) = CE(scale·(s − m_y·onehot(y)), y)
        /// </code>
        /// i.e. cross-entropy after subtracting the label's margin from the label's score. Meant for
        /// scores from a normalized last layer (<see cref="TopK.NormedLinear"/>), with margins from
        /// <see cref="class_margins"/>. Works on any device (the published module runs on CUDA only).
        /// </summary>
        /// <param name="scores">[batch, n] floating point scores (cosines for a normalized last layer).</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="margins">[n] per-class margins, on the scores' device (cast to the scores' dtype).</param>
        /// <param name="scale">scale &gt; 0 (Cao et al.: 30; Garcin et al.'s runs: 40).</param>
        /// <param name="reduction">Mean (default), Sum, or None.</param>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device, margins is not [n] or scale ≤ 0.</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>var loss = TopK.functional.ldam_loss(scores, labels, TopK.functional.class_margins(class_counts, 0.5), scale: 30.0);</code></example>
        public static Tensor ldam_loss(Tensor scores, Tensor labels, Tensor margins, double scale = 30.0, nn.Reduction reduction = nn.Reduction.Mean)
        {
            using var scope = NewDisposeScope();
            Check.Scores(scores);
            Check.Labels(labels, scores);
            Check.Margins(margins, scores);
            Check.Positive(scale, nameof(scale));
            Check.Reduction(reduction);
            var s = ComputeType(scores);
            var y = labels.to_type(ScalarType.Int64);
            var labelMargins = margins.to_type(s.dtype).gather(0, y).unsqueeze(1);
            var shift = zeros_like(s).scatter_(1, y.unsqueeze(1), labelMargins);
            using var scaleScalar = scale.ToScalar();
            var perSample = nn.functional.cross_entropy((s - shift).mul(scaleScalar), y, reduction: nn.Reduction.None);
            return scope.MoveToOuter(Reduce(perSample, reduction).to_type(scores.dtype));
        }
    }
}
