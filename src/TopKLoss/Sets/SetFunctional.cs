using TopKLoss.Metrics;
using TopKLoss.Sets;
using TopKLoss.Validation;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    public static partial class functional
    {
        /// <summary>
        /// Top-k prediction sets: a bool mask [batch, n] marking the k highest scores of each row (equal
        /// scores taken in ascending class order, so every set has exactly k classes). See <see cref="SetPredictor"/>
        /// for average-k and conformal sets.
        /// </summary>
        /// <param name="scores">[batch, n] finite floating point scores.</param>
        /// <param name="k">1 ≤ k ≤ n.</param>
        public static Tensor topk_sets(Tensor scores, int k)
        {
            ArgumentNullException.ThrowIfNull(scores);
            Check.Scores(scores, minClasses: 1);
            return SetPredictor.ForTopK(k, (int)scores.shape[1]).Predict(scores);
        }

        /// <summary>Coverage of prediction sets: the share of samples whose label is in its set, (1/N)·Σ_i [y_i ∈ C_i].</summary>
        /// <param name="sets">[batch, n] bool masks.</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        public static double set_coverage(Tensor sets, Tensor labels)
        {
            SetCheck.Sets(sets);
            var meter = new SetMeter((int)sets.shape[1]);
            meter.Update(sets, labels);
            return meter.Report().Coverage;
        }

        /// <summary>Expected calibration error of one batch with <paramref name="n_bins"/> equal-width bins; see <see cref="CalibrationMeter"/>.</summary>
        /// <param name="scores">[batch, n] finite logits.</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="n_bins">Bins ≥ 1 (default 15).</param>
        public static double expected_calibration_error(Tensor scores, Tensor labels, int n_bins = 15)
        {
            var meter = new CalibrationMeter(n_bins);
            meter.Update(scores, labels);
            return meter.Report().Ece;
        }
    }
}
