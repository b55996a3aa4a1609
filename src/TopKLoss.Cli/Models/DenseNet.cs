using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TopKLoss.Cli.Models;

/// <summary>
/// DenseNet-40 with growth rate 40, the CIFAR model of Berrada et al. (2018). Their code builds
/// <c>DenseNet3(depth=40, num_classes, growth_rate=40)</c> with that class's defaults
/// bottleneck=True and reduction=0.5, i.e. the DenseNet-BC variant (Huang et al. 2017): a 3×3 stem
/// with 2·growth channels, three dense blocks of (40 − 4) / 6 = 6 bottleneck layers
/// (BN-ReLU-1×1 conv to 4·growth, BN-ReLU-3×3 conv to growth, concatenated), transitions
/// BN-ReLU-1×1 conv halving the channels + 2×2 average pooling, then BN-ReLU and global average
/// pooling. Written here from that description.
/// </summary>
internal static class DenseNet
{
    public static (Module<Tensor, Tensor> Features, int Width) DenseNet40(int inChannels, int growth = 40, int depth = 40)
    {
        int layersPerBlock = (depth - 4) / 6;
        int channels = 2 * growth;
        var layers = new List<Module<Tensor, Tensor>> { Conv2d(inChannels, channels, 3, padding: 1, bias: false) };
        for (int block = 0; block < 3; block++)
        {
            for (int i = 0; i < layersPerBlock; i++)
            {
                layers.Add(new DenseLayer($"b{block}l{i}", channels, growth));
                channels += growth;
            }
            if (block < 2)
            {
                int reduced = channels / 2;
                layers.Add(Sequential(BatchNorm2d(channels), ReLU(), Conv2d(channels, reduced, 1, bias: false), AvgPool2d(2)));
                channels = reduced;
            }
        }
        layers.AddRange([BatchNorm2d(channels), ReLU(), AdaptiveAvgPool2d(1), Flatten()]);
        return (Sequential(layers), channels);
    }

    /// <summary>Bottleneck layer whose output is its input with <c>growth</c> new channels appended.</summary>
    private sealed class DenseLayer : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> body;

        public DenseLayer(string name, int inChannels, int growth) : base(name)
        {
            body = Sequential(
                BatchNorm2d(inChannels), ReLU(), Conv2d(inChannels, 4 * growth, 1, bias: false),
                BatchNorm2d(4 * growth), ReLU(), Conv2d(4 * growth, growth, 3, padding: 1, bias: false));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            return scope.MoveToOuter(cat([x, body.call(x)], 1));
        }
    }
}
