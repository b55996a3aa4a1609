using TopKLoss.Validation;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    public static partial class functional
    {
        /// <summary>
        /// Label-distribution-aware margins of Cao et al., "Learning Imbalanced Datasets with
        /// Label-Distribution-Aware Margin Loss" (NeurIPS 2019), as used by LDAM and by the imbalanced
        /// noised top-k loss of Garcin et al. (ICML 2022):
        /// <code>
        /// m_c = max_margin · n_c^(−1/4) / max_j n_j^(−1/4)
        /// </code>
        /// so the rarest class gets max_margin and a class 16 times larger half of it.
        /// </summary>
        /// <param name="class_counts">Training examples per class n_c, every n_c ≥ 1.</param>
        /// <param name="max_margin">Margin of the rarest class, &gt; 0 (papers: 0.2; Cao et al.'s default 0.5).</param>
        /// <returns>[n] float64 margins on the CPU (move them with <c>.to(device)</c>).</returns>
        public static Tensor class_margins(long[] class_counts, double max_margin)
        {
            Check.ClassCounts(class_counts);
            Check.Positive(max_margin, nameof(max_margin));
            return tensor(ClassMarginValues(class_counts, max_margin), dtype: ScalarType.Float64);
        }

        /// <summary>The margins on the host, in the published order of operations (1/n^¼, then rescaled).</summary>
        internal static double[] ClassMarginValues(long[] class_counts, double max_margin)
        {
            var inverseRoot = class_counts.Select(count => 1.0 / Math.Pow(count, 0.25)).ToArray();
            double factor = max_margin / inverseRoot.Max();
            return inverseRoot.Select(m => m * factor).ToArray();
        }
    }
}
