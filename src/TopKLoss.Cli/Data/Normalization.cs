namespace TopKLoss.Cli.Data;

/// <summary>
/// Per-channel input normalization x ↦ (x/255 − mean)/std. Fixed published constants rather than
/// statistics of the (possibly noisy, subsetted) training split, so every run of a dataset sees the
/// same inputs.
/// </summary>
public sealed record Normalization(float[] Mean, float[] Std)
{
    /// <summary>CIFAR-100 as in Berrada et al.'s code (docs/derivations.md §9): mean (125.3, 123.0, 113.9)/255, std (63.0, 62.1, 66.7)/255.</summary>
    public static readonly Normalization Cifar100 = new([125.3f / 255, 123.0f / 255, 113.9f / 255], [63.0f / 255, 62.1f / 255, 66.7f / 255]);
    /// <summary>The usual CIFAR-10 statistics.</summary>
    public static readonly Normalization Cifar10 = new([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]);
    /// <summary>Fashion-MNIST training-set statistics.</summary>
    public static readonly Normalization FashionMnist = new([0.2860f], [0.3530f]);
    /// <summary>MNIST training-set statistics.</summary>
    public static readonly Normalization Mnist = new([0.1307f], [0.3081f]);
    /// <summary>ImageNet statistics, used for image folders (Pl@ntNet-300K, ImageNet, ...).</summary>
    public static readonly Normalization ImageNet = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    public float Apply(int channel, byte value) => (value / 255f - Mean[channel]) / Std[channel];
}
