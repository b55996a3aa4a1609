using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TopKLoss.Cli.Models;

/// <summary>
/// Small CNN for MNIST-sized images (and any size: an adaptive pool fixes the feature map to 4×4):
/// two conv-BN-ReLU-maxpool stages (32, 64 channels) and a 128-unit hidden layer.
/// </summary>
internal static class SmallCnn
{
    public const int Hidden = 128;

    public static Module<Tensor, Tensor> Features(int[] sampleShape) =>
        Sequential(
            Conv2d(sampleShape[0], 32, 3, padding: 1), BatchNorm2d(32), ReLU(), MaxPool2d(2),
            Conv2d(32, 64, 3, padding: 1), BatchNorm2d(64), ReLU(), MaxPool2d(2),
            AdaptiveAvgPool2d(4), Flatten(),
            Linear(64 * 16, Hidden), ReLU());
}
