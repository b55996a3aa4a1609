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
        /// Perturbed (stochastically smoothed) k-th largest value of Garcin, Servajean, Joly and Salmon,
        /// "Stochastic smoothing of the top-K calibrated hinge loss for deep imbalanced classification"
        /// (ICML 2022), estimated with the given standard normal draws Z_1..Z_B:
        /// <code>
        /// top_{k,ε}(x) ≈ (1/B)·Σ_b top_k(x + ε·Z_b)
        /// ∂/∂x         = (1/B)·Σ_b onehot(argtop_k(x + ε·Z_b))
        /// </code>
        /// top_k is the k-th largest entry of a row. The gradient is the exact derivative of the Monte
        /// Carlo value (piecewise linear in x); each row of it sums to 1. ε = 0 gives the hard k-th
        /// largest. |top_{k,ε} − top_k| ≤ ε·k·√(2 log n) in expectation.
        /// </summary>
        /// <param name="x">[batch, n] floating point (float16/bfloat16 are computed in float32).</param>
        /// <param name="k">1 ≤ k ≤ n.</param>
        /// <param name="epsilon">Noise scale ε ≥ 0, finite.</param>
        /// <param name="noise">Standard normal draws Z, [batch, n, B] with B ≥ 1, on x's device; not modified.</param>
        /// <returns>[batch] in x's dtype; NaN for rows containing NaN.</returns>
        /// <exception cref="System.ArgumentException">x is not a 2-D floating-point [batch, n] tensor, k is outside [1, n], ε &lt; 0, n_samples &lt; 1, or the noise or generator does not fit x.</exception>
        /// <example><code>var smoothed = TopK.functional.perturbed_topk(scores, k: 6, epsilon: 1.0, n_samples: 10, generator: new Generator(42)); // [batch]</code></example>
        public static Tensor perturbed_topk(Tensor x, int k, double epsilon, Tensor noise)
        {
            using var scope = NewDisposeScope();
            Check.Scores(x, minClasses: 1, name: nameof(x));
            Check.KthLargest(k, x.shape[1]);
            Check.NonNegative(epsilon, nameof(epsilon));
            Check.Noise(noise, x);
            var result = PerturbedTopK.WithNoise(ComputeType(x), k, epsilon, noise);
            return scope.MoveToOuter(result.to_type(x.dtype));
        }

        /// <summary>
        /// Perturbed k-th largest value (Garcin et al., ICML 2022), drawing its own B = n_samples
        /// standard normal vectors per row, fresh at every call:
        /// <code>
        /// top_{k,ε}(x) ≈ (1/B)·Σ_b top_k(x + ε·Z_b),   Z_b ~ N(0, I_n)
        /// ∂/∂x         = (1/B)·Σ_b onehot(argtop_k(x + ε·Z_b))
        /// </code>
        /// The draws come from <paramref name="generator"/> (torch's default generator when null). On CPU
        /// float32/float64 the fused kernel draws them inside, as Φ⁻¹ of 48-bit uniforms from a Philox
        /// stream keyed by one draw of the generator: fresh at every call, replayed by re-seeding, and
        /// nothing of shape [batch, n, B] is stored. Elsewhere (CUDA, half precision) they are laid out
        /// [batch, B, n]: with equal generator states the result equals
        /// <c>perturbed_topk(x, k, ε, randn(batch, B, n, generator).transpose(1, 2))</c>.
        /// </summary>
        /// <param name="x">[batch, n] floating point (float16/bfloat16 are computed in float32).</param>
        /// <param name="k">1 ≤ k ≤ n.</param>
        /// <param name="epsilon">Noise scale ε ≥ 0, finite (the published default is 1).</param>
        /// <param name="n_samples">Monte Carlo samples B ≥ 1 (the published default is 5).</param>
        /// <param name="generator">Random generator on x's device type, for reproducible draws; null for torch's default.</param>
        /// <returns>[batch] in x's dtype; NaN for rows containing NaN.</returns>
        /// <exception cref="System.ArgumentException">x is not a 2-D floating-point [batch, n] tensor, k is outside [1, n], ε &lt; 0, n_samples &lt; 1, or the noise or generator does not fit x.</exception>
        /// <example><code>var smoothed = TopK.functional.perturbed_topk(scores, k: 6, epsilon: 1.0, n_samples: 10, generator: new Generator(42)); // [batch]</code></example>
        public static Tensor perturbed_topk(Tensor x, int k, double epsilon = 1.0, int n_samples = 5, Generator? generator = null)
        {
            using var scope = NewDisposeScope();
            Check.Scores(x, minClasses: 1, name: nameof(x));
            Check.KthLargest(k, x.shape[1]);
            Check.NonNegative(epsilon, nameof(epsilon));
            Check.AtLeast(n_samples, 1, nameof(n_samples));
            Check.GeneratorDevice(generator, x);
            var result = PerturbedTopK.DrawPerturbedTopK(ComputeType(x), k, epsilon, n_samples, generator);
            return scope.MoveToOuter(result.to_type(x.dtype));
        }

        /// <summary>
        /// Balanced noised top-k hinge loss of Garcin et al. (ICML 2022), with the given normal draws:
        /// <code>
        /// ℓ(s, y) = max(0, 1 + top_{k+1,ε}(s) − s_y)
        /// </code>
        /// Note k + 1: the loss vanishes once s_y beats the (smoothed) (k+1)-th largest score by a
        /// margin of 1, i.e. once y is safely among the top k. top_{k+1,ε} is
        /// <see cref="perturbed_topk(Tensor, int, double, Tensor)"/>.
        /// </summary>
        /// <param name="scores">[batch, n] floating point scores (float16/bfloat16 are computed in float32).</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="k">1 ≤ k and k + 1 ≤ n.</param>
        /// <param name="epsilon">Noise scale ε ≥ 0 (paper: 1.0 on Pl@ntNet-300K, 0.2 on CIFAR-100).</param>
        /// <param name="noise">Standard normal draws Z, [batch, n, B], on the scores' device.</param>
        /// <param name="reduction">Mean (default, the published batch loss), Sum, or None for the per-sample vector.</param>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device, k is outside [1, n − 1], ε &lt; 0 or n_samples &lt; 1.</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>var criterion = TopK.NoisedTopKLoss(k: 5, epsilon: 1.0, n_samples: 5, generator: new Generator(42));
        /// var loss = criterion.call(model.call(x), y); // or TopK.functional.noised_topk_loss(scores, labels, 5, 1.0, 5, generator)
        /// loss.backward();</code></example>
        public static Tensor noised_topk_loss(Tensor scores, Tensor labels, int k, double epsilon, Tensor noise,
            nn.Reduction reduction = nn.Reduction.Mean)
        {
            using var scope = NewDisposeScope();
            CheckNoisedLoss(scores, labels, k, epsilon, reduction);
            Check.Noise(noise, scores);
            var s = ComputeType(scores);
            var perSample = PerturbedTopK.Hinge(s, labels, PerturbedTopK.WithNoise(s, k + 1, epsilon, noise));
            return scope.MoveToOuter(Reduce(perSample, reduction).to_type(scores.dtype));
        }

        /// <summary>
        /// Balanced noised top-k hinge loss of Garcin et al. (ICML 2022), drawing B = n_samples fresh
        /// standard normal vectors per sample at every call (as the published module does):
        /// <code>
        /// ℓ(s, y) = max(0, 1 + top_{k+1,ε}(s) − s_y),   top_{k+1,ε}(s) ≈ (1/B)·Σ_b top_{k+1}(s + ε·Z_b)
        /// </code>
        /// </summary>
        /// <param name="scores">[batch, n] floating point scores (float16/bfloat16 are computed in float32).</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="k">1 ≤ k and k + 1 ≤ n.</param>
        /// <param name="epsilon">Noise scale ε ≥ 0 (paper: 1.0 on Pl@ntNet-300K, 0.2 on CIFAR-100).</param>
        /// <param name="n_samples">Monte Carlo samples B ≥ 1 (published default 5).</param>
        /// <param name="generator">Random generator on the scores' device type; null for torch's default.</param>
        /// <param name="reduction">Mean (default), Sum, or None.</param>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device, k is outside [1, n − 1], ε &lt; 0 or n_samples &lt; 1.</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>var criterion = TopK.NoisedTopKLoss(k: 5, epsilon: 1.0, n_samples: 5, generator: new Generator(42));
        /// var loss = criterion.call(model.call(x), y); // or TopK.functional.noised_topk_loss(scores, labels, 5, 1.0, 5, generator)
        /// loss.backward();</code></example>
        public static Tensor noised_topk_loss(Tensor scores, Tensor labels, int k = 5, double epsilon = 1.0, int n_samples = 5,
            Generator? generator = null, nn.Reduction reduction = nn.Reduction.Mean)
        {
            using var scope = NewDisposeScope();
            CheckNoisedLoss(scores, labels, k, epsilon, reduction);
            Check.AtLeast(n_samples, 1, nameof(n_samples));
            Check.GeneratorDevice(generator, scores);
            var s = ComputeType(scores);
            var perSample = PerturbedTopK.DrawHinge(s, labels, k + 1, epsilon, n_samples, generator);
            return scope.MoveToOuter(Reduce(perSample, reduction).to_type(scores.dtype));
        }

        /// <summary>Validation shared by the noised losses: k + 1 ≤ n since they use top_{k+1}.</summary>
        private static void CheckNoisedLoss(Tensor scores, Tensor labels, int k, double epsilon, nn.Reduction reduction)
        {
            Check.Scores(scores);
            Check.Labels(labels, scores);
            Check.K(k, scores.shape[1]);
            Check.NonNegative(epsilon, nameof(epsilon));
            Check.Reduction(reduction);
        }
    }
}
