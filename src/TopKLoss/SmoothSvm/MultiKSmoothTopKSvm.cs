using TopKLoss.Cuda;
using TopKLoss.Kernels;
using TopKLoss.SmoothSvm;
using TopKLoss.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss;

public static partial class TopK
{
    /// <summary>
    /// Multi-k smooth top-k SVM module: Σ_i w_i·L_{k_i,τ}; see <see cref="functional.multik_smooth_topk_svm_loss"/>.
    /// <c>TopK.MultiKSmoothTopKSvmLoss(ks: new[] { 1, 5 }, weights: new[] { 0.5, 0.5 })</c>.
    /// </summary>
    public static Modules.MultiKSmoothTopKSvmLoss MultiKSmoothTopKSvmLoss(int[] ks, double[] weights, double tau = 1.0, double alpha = 1.0,
        nn.Reduction reduction = nn.Reduction.Mean) => new(ks, weights, tau, alpha, reduction);

    public static partial class functional
    {
        /// <summary>
        /// A mixture over k of smooth top-k SVM losses (in the spirit of Petersen et al., "Differentiable
        /// Top-k Classification Learning", ICML 2022, who mix top-k objectives over k):
        /// <code>
        /// ℓ(s, y) = Σ_i w_i · L_{k_i,τ}(s, y)
        /// </code>
        /// with L_{k,τ} of <see cref="smooth_topk_svm_loss"/> (same τ, α and hard/smooth switch for every
        /// member). The k = 1, τ = 1, α = 0 member is cross-entropy. On the CPU one fused kernel computes
        /// every member: one top-(k_max+1) selection per row, and the scores read, transposed and the
        /// gradient written once per pass for all members (cost below the sum of single-k calls; see
        /// docs/benchmarks.md, "Multi-k"). On CUDA each member runs the CUDA kernel; elsewhere the tensor path.
        /// </summary>
        /// <param name="scores">[batch, n] floating point scores.</param>
        /// <param name="labels">[batch] integer labels in [0, n).</param>
        /// <param name="ks">Distinct k values, each 1 ≤ k &lt; n.</param>
        /// <param name="weights">One weight per k, finite and &gt; 0 (they need not sum to 1).</param>
        /// <param name="tau">Temperature τ &gt; 0.</param>
        /// <param name="alpha">Margin α ≥ 0.</param>
        /// <param name="reduction">Mean (default), Sum, or None.</param>
        /// <exception cref="System.ArgumentException">scores is not a 2-D floating-point [batch, n] tensor, labels is not a 1-D integer [batch] tensor on the same device, a k is outside [1, n − 1], the weights are not one per k and ≥ 0, τ ≤ 0 or α &lt; 0.</exception>
        /// <exception cref="System.ArgumentOutOfRangeException">A label outside [0, n) (checked on the CPU always, on a GPU while <see cref="TopK.ValidateDeviceLabels"/> is true).</exception>
        /// <example><code>var loss = TopK.functional.multik_smooth_topk_svm_loss(scores, labels, ks: [1, 5], weights: [0.5, 0.5]);</code></example>
        public static Tensor multik_smooth_topk_svm_loss(Tensor scores, Tensor labels, int[] ks, double[] weights, double tau = 1.0,
            double alpha = 1.0, nn.Reduction reduction = nn.Reduction.Mean)
        {
            using var scope = NewDisposeScope();
            Check.Scores(scores);
            Check.Labels(labels, scores);
            SetCheck.KMix(ks, weights, scores.shape[1]);
            Check.Positive(tau, nameof(tau));
            Check.NonNegative(alpha, nameof(alpha));
            Check.Reduction(reduction);
            var s = ComputeType(scores);
            Tensor perSample;
            if (CpuRows.Supports(s))
                perSample = SmoothTopKSvmKernel.Apply(s.contiguous(), HostLabels(labels), ks.Zip(weights, (k, w) => new SvmMember(k, w)).ToArray(), tau, alpha);
            else
            {
                var y = labels.to_type(ScalarType.Int64);
                Tensor? sum = null;
                for (int i = 0; i < ks.Length; i++)
                    sum = Add(sum, CudaPath.SmoothTopKSvm(s, labels, ks[i], tau, alpha) ?? SmoothSvmOps.SmoothLoss(s, y, ks[i], tau, alpha), weights[i]);
                perSample = sum!;
            }
            return scope.MoveToOuter(Reduce(perSample, reduction).to_type(scores.dtype));
        }

        private static Tensor Add(Tensor? sum, Tensor member, double weight)
        {
            using var w = weight.ToScalar();
            return sum is null ? member.mul(w) : sum.add(member.mul(w), Scalars.One);
        }
    }
}
