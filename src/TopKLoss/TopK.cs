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

    /// <summary>Applies a TorchSharp reduction to a per-sample loss vector.</summary>
    internal static Tensor Reduce(Tensor perSample, nn.Reduction reduction) => reduction switch
    {
        nn.Reduction.None => perSample.alias(),
        nn.Reduction.Mean => perSample.mean(),
        nn.Reduction.Sum => perSample.sum(),
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "reduction must be None, Mean or Sum."),
    };
}
