using TorchSharp;

namespace TopKLoss;

public static partial class TopK
{
    /// <summary>
    /// Smooth top-k SVM loss module (Berrada et al., ICLR 2018); see
    /// <see cref="functional.smooth_topk_svm_loss"/> for the formula. Use where
    /// <c>torch.nn.CrossEntropyLoss()</c> was: <c>var loss = TopK.SmoothTopKSvmLoss(k: 5); loss.call(scores, labels)</c>.
    /// </summary>
    public static Modules.SmoothTopKSvmLoss SmoothTopKSvmLoss(int k = 5, double tau = 1.0, double alpha = 1.0,
        torch.nn.Reduction reduction = torch.nn.Reduction.Mean) => new(k, tau, alpha, reduction);

    /// <summary>Hard top-k SVM loss module; see <see cref="functional.hard_topk_svm_loss"/>.</summary>
    public static Modules.HardTopKSvmLoss HardTopKSvmLoss(int k = 5, double alpha = 1.0,
        torch.nn.Reduction reduction = torch.nn.Reduction.Mean) => new(k, alpha, reduction);
}
