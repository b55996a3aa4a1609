using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss;

/// <summary>
/// Top-k classification losses for TorchSharp. Module factories live here
/// (<c>TopK.SmoothTopKSvmLoss(...)</c>, like <c>torch.nn.CrossEntropyLoss()</c>); the functional
/// forms live in <see cref="functional"/> (like <c>torch.nn.functional</c>).
/// </summary>
public static partial class TopK
{
    /// <summary>Functional forms of the losses and metrics, TorchSharp style (snake_case, <see cref="nn.Reduction"/>).</summary>
    public static partial class functional
    {
    }

    /// <summary>
    /// Whether the losses check, for labels on a GPU, that every label lies in [0, n) (default true).
    /// The check copies the labels' minimum and maximum to the host in one transfer, which waits for
    /// the GPU once per call; a training loop whose labels are known to be valid can turn it off, as
    /// torchmetrics' <c>validate_args=False</c> does. Labels on the CPU are always checked (no wait).
    /// With the check off, an out-of-range label on a GPU fails inside the kernel instead, as in
    /// PyTorch's own losses.
    /// </summary>
    public static bool ValidateDeviceLabels { get; set; } = true;

    /// <summary>Applies a TorchSharp reduction to a per-sample loss vector.</summary>
    internal static Tensor Reduce(Tensor perSample, nn.Reduction reduction) => reduction switch
    {
        nn.Reduction.None => perSample.alias(),
        nn.Reduction.Mean => perSample.mean(),
        nn.Reduction.Sum => perSample.sum(),
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "reduction must be None, Mean or Sum."),
    };
}
