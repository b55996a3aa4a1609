using TopKLoss.Noised;
using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    public static partial class functional
    {
        /// <summary>
        /// Imbalanced noised top-k hinge loss of Garcin, Servajean, Joly and Salmon (ICML 2022), with
        /// the given normal draws:
        /// <code>
        /// ℓ(s, y) = max(0, scale·(m_y + top_{k+1,ε}(s) − s_y))
        /// </code>
        /// with per-class margins m (usually <see cref="class_margins"/>: m_y ∝ n_y^(−1/4), larger
        /// for rarer classes) and scores from a normalized last layer (<see cref="TopK.NormedLinear"/>:
        /// cosines in [−1, 1], which <paramref name="scale"/> stretches).
        /// </summary>
        /// <param name="scores">[batch, n] floating point scores (float16/bfloat16 are computed in float32).</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="k">1 ≤ k and k + 1 ≤ n.</param>
        /// <param name="epsilon">Noise scale ε ≥ 0 (paper: 0.01 on Pl@ntNet-300K).</param>
        /// <param name="margins">[n] per-class margins m_c, on the scores' device (cast to the scores' dtype).</param>
        /// <param name="scale">scale &gt; 0 (published default 50; paper: 60 on Pl@ntNet-300K).</param>
        /// <param name="noise">Standard normal draws Z, [batch, n, B], on the scores' device.</param>
        /// <param name="reduction">Mean (default, the published batch loss), Sum, or None.</param>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device, k is outside [1, n − 1], ε &lt; 0, n_samples &lt; 1, scale ≤ 0, or margins is not [n].</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>var margins = TopK.functional.class_margins(class_counts, max_margin: 0.2);
        /// var loss = TopK.functional.imbalanced_noised_topk_loss(scores, labels, k: 5, epsilon: 0.01, margins: margins, scale: 50.0);</code></example>
        public static Tensor imbalanced_noised_topk_loss(Tensor scores, Tensor labels, int k, double epsilon, Tensor margins,
            double scale, Tensor noise, nn.Reduction reduction = nn.Reduction.Mean)
        {
            using var scope = NewDisposeScope();
            CheckImbalancedLoss(scores, labels, k, epsilon, margins, scale, reduction);
            Check.Noise(noise, scores);
            var s = ComputeType(scores);
            var perSample = PerturbedTopK.Hinge(s, labels, PerturbedTopK.WithNoise(s, k + 1, epsilon, noise), margins, scale);
            return scope.MoveToOuter(Reduce(perSample, reduction).to_type(scores.dtype));
        }

        /// <summary>
        /// Imbalanced noised top-k hinge loss of Garcin et al. (ICML 2022), drawing B = n_samples fresh
        /// standard normal vectors per sample at every call:
        /// <code>
        /// ℓ(s, y) = max(0, scale·(m_y + top_{k+1,ε}(s) − s_y)),   top_{k+1,ε}(s) ≈ (1/B)·Σ_b top_{k+1}(s + ε·Z_b)
        /// </code>
        /// </summary>
        /// <param name="scores">[batch, n] floating point scores, usually cosines from <see cref="TopK.NormedLinear"/>.</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="k">1 ≤ k and k + 1 ≤ n.</param>
        /// <param name="epsilon">Noise scale ε ≥ 0 (paper: 0.01 on Pl@ntNet-300K).</param>
        /// <param name="margins">[n] per-class margins, e.g. <see cref="class_margins"/>(counts, 0.2).</param>
        /// <param name="scale">scale &gt; 0 (published default 50).</param>
        /// <param name="n_samples">Monte Carlo samples B ≥ 1 (published default 5).</param>
        /// <param name="generator">Random generator on the scores' device type; null for torch's default.</param>
        /// <param name="reduction">Mean (default), Sum, or None.</param>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device, k is outside [1, n − 1], ε &lt; 0, n_samples &lt; 1, scale ≤ 0, or margins is not [n].</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>var margins = TopK.functional.class_margins(class_counts, max_margin: 0.2);
        /// var loss = TopK.functional.imbalanced_noised_topk_loss(scores, labels, k: 5, epsilon: 0.01, margins: margins, scale: 50.0);</code></example>
        public static Tensor imbalanced_noised_topk_loss(Tensor scores, Tensor labels, int k, double epsilon, Tensor margins,
            double scale = 50.0, int n_samples = 5, Generator? generator = null, nn.Reduction reduction = nn.Reduction.Mean)
        {
            using var scope = NewDisposeScope();
            CheckImbalancedLoss(scores, labels, k, epsilon, margins, scale, reduction);
            Check.AtLeast(n_samples, 1, nameof(n_samples));
            Check.GeneratorDevice(generator, scores);
            var s = ComputeType(scores);
            var perSample = PerturbedTopK.DrawHinge(s, labels, k + 1, epsilon, n_samples, generator, margins, scale);
            return scope.MoveToOuter(Reduce(perSample, reduction).to_type(scores.dtype));
        }

        private static void CheckImbalancedLoss(Tensor scores, Tensor labels, int k, double epsilon, Tensor margins, double scale,
            nn.Reduction reduction)
        {
            CheckNoisedLoss(scores, labels, k, epsilon, reduction);
            Check.Margins(margins, scores);
            Check.Positive(scale, nameof(scale));
        }
    }
}
