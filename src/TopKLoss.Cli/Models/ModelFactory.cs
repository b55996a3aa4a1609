using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TopKLoss.Cli.Models;

/// <summary>Model name → network for a sample shape [C, H, W] (or [D, 1, 1]) and a class count.</summary>
public static class ModelFactory
{
    public static readonly IReadOnlyList<string> Names = ["mlp", "cnn", "resnet18", "densenet40", "resnet50"];

    public const string Help =
        "mlp (2 hidden layers of 256), cnn (small 2-stage CNN), resnet18 (CIFAR variant), " +
        "densenet40 (DenseNet-BC depth 40 growth 40, Berrada's CIFAR model), resnet50 (CIFAR stem)";

    /// <summary>Checks the name and that the architecture fits the sample shape, without building anything.</summary>
    public static void Validate(string name, int[] sampleShape)
    {
        if (!Names.Contains(name))
            throw new UsageException($"--model: unknown model '{name}'; known models: {string.Join(", ", Names)}.");
        if (sampleShape.Length != 3 || sampleShape.Any(d => d < 1))
            throw new UsageException($"data: sample shape must be [C, H, W] with positive sizes; got [{string.Join(", ", sampleShape)}].");
        bool isImage = sampleShape[1] > 1 || sampleShape[2] > 1;
        if (name != "mlp" && !isImage)
            throw new UsageException($"--model {name} needs image data; this dataset has feature vectors [{sampleShape[0]}, 1, 1]: use --model mlp.");
        if (name is "resnet18" or "resnet50" or "densenet40" && (sampleShape[1] < 8 || sampleShape[2] < 8))
            throw new UsageException($"--model {name} needs images of at least 8×8 pixels; got {sampleShape[1]}×{sampleShape[2]}.");
    }

    public static Classifier Create(string name, int[] sampleShape, int classCount, bool normedHead)
    {
        Validate(name, sampleShape);
        (Module<Tensor, Tensor> features, int width) = name switch
        {
            "mlp" => (Mlp.Features(sampleShape), Mlp.Hidden),
            "cnn" => (SmallCnn.Features(sampleShape), SmallCnn.Hidden),
            "resnet18" => ResNet.ResNet18(sampleShape[0]),
            "resnet50" => ResNet.ResNet50(sampleShape[0]),
            "densenet40" => DenseNet.DenseNet40(sampleShape[0]),
            _ => throw new UsageException($"--model: unknown model '{name}'; known models: {string.Join(", ", Names)}."),
        };
        return new Classifier(name, features, Head(width, classCount, normedHead));
    }

    private static Module<Tensor, Tensor> Head(int width, int classCount, bool normed) =>
        normed ? TopK.NormedLinear(width, classCount) : Linear(width, classCount);
}
