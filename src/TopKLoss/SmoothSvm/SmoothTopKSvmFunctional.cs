using TopKLoss.Cuda;
using TopKLoss.Kernels;
using TopKLoss.SmoothSvm;
using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    public static partial class functional
    {
        /// <summary>
        /// Smooth top-k SVM loss of Berrada, Zisserman and Kumar, "Smooth Loss Functions for Deep
        /// Top-k Classification" (ICLR 2018):
        /// <code>
        /// L_{k,τ}(s, y) = τ·log Σ_{|A|=k} exp((α·[y∉A] + (1/k)·Σ_{j∈A} s_j)/τ)
        ///               − τ·log Σ_{|A|=k, y∈A} exp(((1/k)·Σ_{j∈A} s_j)/τ)
        ///               = τ·softplus(α/τ + log σ_k(e) − log σ_{k−1}(e) − s_y/(kτ)),  e_j = exp(s_j/(kτ)), j ≠ y
        /// </code>
        /// computed through elementary symmetric polynomials σ_j in O(nk). As in the published code,
        /// a sample whose k-th and (k+1)-th largest scores differ by ≥ kτ·ln(1000) takes the hard loss
        /// l_k = max(0, α + (top_k(s₋) − s_y)/k) instead (smoothing has underflowed there).
        /// k = 1, τ = 1, α = 0 is cross-entropy. Gradients are exact (no series approximation).
        /// </summary>
        /// <param name="scores">[batch, n] floating point scores (float16/bfloat16 are computed in float32).</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="k">1 ≤ k &lt; n.</param>
        /// <param name="tau">Temperature τ &gt; 0.</param>
        /// <param name="alpha">Margin α ≥ 0.</param>
        /// <param name="reduction">Mean (default, the published batch loss), Sum, or None for the per-sample vector.</param>
        /// <returns>The reduced loss in the scores' dtype; NaN for rows with non-finite scores.</returns>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device, k is outside [1, n − 1], τ ≤ 0 or α &lt; 0.</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>using var scope = torch.NewDisposeScope();
        /// var loss = TopK.functional.smooth_topk_svm_loss(model.call(x), y, k: 5, tau: 1.0); // scores [256, 1000], labels [256]
        /// loss.backward();</code></example>
        public static Tensor smooth_topk_svm_loss(Tensor scores, Tensor labels, int k = 5, double tau = 1.0, double alpha = 1.0,
            nn.Reduction reduction = nn.Reduction.Mean)
        {
            using var scope = NewDisposeScope();
            Check.Scores(scores);
            Check.Labels(labels, scores);
            Check.K(k, scores.shape[1]);
            Check.Positive(tau, nameof(tau));
            Check.NonNegative(alpha, nameof(alpha));
            Check.Reduction(reduction);
            var s = ComputeType(scores);
            var perSample = CudaPath.SmoothTopKSvm(s, labels, k, tau, alpha) // CUDA kernels, when they run here
                ?? (CpuRows.Supports(s)
                    ? SmoothTopKSvmKernel.Apply(s, HostLabels(labels), k, tau, alpha)
                    : SmoothSvmOps.SmoothLoss(s, labels.to_type(ScalarType.Int64), k, tau, alpha));
            return scope.MoveToOuter(Reduce(perSample, reduction).to_type(scores.dtype));
        }

        /// <summary>
        /// Hard top-k SVM loss (Lapin et al.; the non-smooth limit τ → 0 of Berrada et al. 2018):
        /// <code>
        /// l_k(s, y) = max(0, (1/k)·Σ_{j≤k} (top_j(s₋) + α) − (1/k)·(s_y + Σ_{j≤k−1} top_j(s₋)))
        ///           = max(0, α + (top_k(s₋) − s_y)/k)
        /// </code>
        /// with s₋ the scores of the classes other than y. k = 1 is the multi-class SVM
        /// max_j (s_j + α·[j≠y]) − s_y.
        /// </summary>
        /// <param name="scores">[batch, n] floating point scores.</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="k">1 ≤ k &lt; n.</param>
        /// <param name="alpha">Margin α ≥ 0.</param>
        /// <param name="reduction">Mean (default), Sum, or None.</param>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device, k is outside [1, n − 1] or α &lt; 0.</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>var loss = TopK.functional.hard_topk_svm_loss(scores, labels, k: 5, alpha: 1.0);</code></example>
        public static Tensor hard_topk_svm_loss(Tensor scores, Tensor labels, int k = 5, double alpha = 1.0,
            nn.Reduction reduction = nn.Reduction.Mean)
        {
            using var scope = NewDisposeScope();
            Check.Scores(scores);
            Check.Labels(labels, scores);
            Check.K(k, scores.shape[1]);
            Check.NonNegative(alpha, nameof(alpha));
            Check.Reduction(reduction);
            var perSample = SmoothSvmOps.HardLoss(ComputeType(scores), labels.to_type(ScalarType.Int64), k, alpha);
            return scope.MoveToOuter(Reduce(perSample, reduction).to_type(scores.dtype));
        }

        /// <summary>
        /// Logarithms of the elementary symmetric polynomials of exp(x), row by row:
        /// <code>
        /// out[b, j] = log σ_j(exp x[b, :]),  σ_j(e) = Σ_{|A|=j} Π_{i∈A} e_i,  j = 0..k
        /// </code>
        /// (σ_0 = 1; −inf where j exceeds the row length m). Differentiable, with the exact gradient
        /// ∂ log σ_j / ∂ x_i = e_i·σ_{j−1}(e without i)/σ_j(e). Finite in float32 at any score scale.
        /// </summary>
        /// <param name="x">[batch, m] floating point, batch ≥ 1, m ≥ 1.</param>
        /// <param name="k">Highest degree, k ≥ 1.</param>
        /// <returns>[batch, k + 1] in x's dtype.</returns>
        /// <exception cref="System.ArgumentException">x is not a 2-D floating-point tensor or k &lt; 1.</exception>
        /// <example><code>var logSigma = TopK.functional.log_esp(x, k: 5); // x [batch, m] → [batch, 6]: log σ_0 … log σ_5</code></example>
        public static Tensor log_esp(Tensor x, int k)
        {
            using var scope = NewDisposeScope();
            Check.Scores(x, minClasses: 1, name: nameof(x));
            Check.AtLeast(k, 1, nameof(k));
            var input = ComputeType(x);
            var result = CudaPath.LogEsp(input, k) // CUDA kernels, when they run here
                ?? (CpuRows.Supports(input) ? LogEspKernel.Apply(input, k) : SmoothSvmOps.LogEsp(input, k));
            return scope.MoveToOuter(result.to_type(x.dtype));
        }

        /// <summary>float16/bfloat16 have too little range and precision for these sums: compute in float32.</summary>
        private static Tensor ComputeType(Tensor scores) =>
            scores.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? scores.to_type(ScalarType.Float32) : scores;

        private static long[] HostLabels(Tensor labels) => labels.to_type(ScalarType.Int64).cpu().data<long>().ToArray();
    }
}
