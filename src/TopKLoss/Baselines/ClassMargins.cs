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
        /// m_c = maxMargin · n_c^(−1/4) / max_j n_j^(−1/4)
        /// </code>
        /// so the rarest class gets maxMargin and a class 16 times larger half of it.
        /// </summary>
        /// <param name="classCounts">Training examples per class n_c, every n_c ≥ 1.</param>
        /// <param name="maxMargin">Margin of the rarest class, &gt; 0 (papers: 0.2; Cao et al.'s default 0.5).</param>
        /// <returns>[n] float64 margins on the CPU (move them with <c>.to(device)</c>).</returns>
        public static Tensor class_margins(long[] classCounts, double maxMargin)
        {
            Check.ClassCounts(classCounts);
            Check.Positive(maxMargin, nameof(maxMargin));
            return tensor(ClassMarginValues(classCounts, maxMargin), dtype: ScalarType.Float64);
        }

        /// <summary>The margins on the host, in the published order of operations (1/n^¼, then rescaled).</summary>
        internal static double[] ClassMarginValues(long[] classCounts, double maxMargin)
        {
            var inverseRoot = classCounts.Select(count => 1.0 / Math.Pow(count, 0.25)).ToArray();
            double factor = maxMargin / inverseRoot.Max();
            return inverseRoot.Select(m => m * factor).ToArray();
        }
    }
}
