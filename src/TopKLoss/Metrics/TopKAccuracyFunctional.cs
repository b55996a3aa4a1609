using TopKLoss.Metrics;
using TopKLoss.Validation;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    public static partial class functional
    {
        /// <summary>
        /// Top-k accuracy of one batch (docs/derivations.md §10): the share of samples whose label is among the k
        /// highest scores,
        /// <code>
        /// (1/N)·Σ_i [ #{j ≠ y_i : s_ij ≥ s_iy_i} &lt; k ]
        /// </code>
        /// Ties count against the label (a constant model scores 0 for k &lt; n). Computed on the
        /// scores' device. For several batches or several k, use <see cref="TopKAccuracyMeter"/>.
        /// </summary>
        /// <param name="scores">[batch, n] floating point scores, any device.</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="k">1 ≤ k ≤ n.</param>
        /// <returns>Accuracy in [0, 1].</returns>
        public static double topk_accuracy(Tensor scores, Tensor labels, int k)
        {
            Check.Scores(scores, minClasses: 1);
            Check.KthLargest(k, scores.shape[1]);
            var meter = new TopKAccuracyMeter(new[] { k }, (int)scores.shape[1]);
            meter.Update(scores, labels);
            return meter.Report().Micro(k);
        }

        /// <summary>
        /// Macro-average top-k accuracy of one batch (the Pl@ntNet-300K metric of Garcin et al., ICML 2022):
        /// the mean over the classes present in <paramref name="labels"/> of the per-class top-k accuracy,
        /// <code>
        /// (1/|C|)·Σ_{c∈C} (1/N_c)·Σ_{i: y_i = c} [ #{j ≠ c : s_ij ≥ s_ic} &lt; k ],   C = classes with N_c &gt; 0
        /// </code>
        /// so tail classes weigh as much as head classes. Ties count against the label. Classes absent from
        /// the batch are left out; <see cref="TopKAccuracyMeter"/> reports which.
        /// </summary>
        /// <param name="scores">[batch, n] floating point scores, any device.</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="k">1 ≤ k ≤ n.</param>
        /// <param name="num_classes">Number of classes; must equal n, the scores' width.</param>
        /// <returns>Accuracy in [0, 1].</returns>
        public static double macro_topk_accuracy(Tensor scores, Tensor labels, int k, int num_classes)
        {
            Check.Scores(scores, minClasses: 1);
            Check.ClassesMatch(num_classes, scores, nameof(num_classes), nameof(num_classes));
            Check.KthLargest(k, scores.shape[1]);
            var meter = new TopKAccuracyMeter(new[] { k }, num_classes);
            meter.Update(scores, labels);
            return meter.Report().Macro(k);
        }
    }
}
