using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TopKLoss.Cli.Models;

/// <summary>Multi-layer perceptron on the flattened sample: two ReLU hidden layers.</summary>
internal static class Mlp
{
    public const int Hidden = 256;

    public static Module<Tensor, Tensor> Features(int[] sampleShape) =>
        Sequential(
            Flatten(),
            Linear(sampleShape.Aggregate(1L, (a, b) => a * b), Hidden), ReLU(),
            Linear(Hidden, Hidden), ReLU());
}
