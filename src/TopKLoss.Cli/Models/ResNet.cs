using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TopKLoss.Cli.Models;

/// <summary>
/// ResNet for small images, the CIFAR variant (He et al. 2016 as adapted for 32×32 inputs): a 3×3
/// stem with stride 1 and no max-pool, then four stages (64, 128, 256, 512 base channels, stride 2
/// from the second), global average pooling. ResNet-18 uses basic blocks [2, 2, 2, 2]; ResNet-50
/// bottleneck blocks [3, 4, 6, 3] (expansion 4) with the same CIFAR stem, so that it also runs on
/// small images (on 224×224 ImageNet-style folders it sees a larger feature map, which is slower
/// but correct).
/// </summary>
internal static class ResNet
{
    public static (Module<Tensor, Tensor> Features, int Width) ResNet18(int inChannels) => Build(inChannels, [2, 2, 2, 2], bottleneck: false);

    public static (Module<Tensor, Tensor> Features, int Width) ResNet50(int inChannels) => Build(inChannels, [3, 4, 6, 3], bottleneck: true);

    private static (Module<Tensor, Tensor>, int) Build(int inChannels, int[] blocks, bool bottleneck)
    {
        int expansion = bottleneck ? 4 : 1;
        var layers = new List<Module<Tensor, Tensor>>
        {
            Conv2d(inChannels, 64, 3, padding: 1, bias: false), BatchNorm2d(64), ReLU(),
        };
        int width = 64;
        int[] planes = [64, 128, 256, 512];
        for (int stage = 0; stage < 4; stage++)
        {
            for (int b = 0; b < blocks[stage]; b++)
            {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                layers.Add(bottleneck
                    ? new BottleneckBlock($"s{stage}b{b}", width, planes[stage], stride)
                    : new BasicBlock($"s{stage}b{b}", width, planes[stage], stride));
                width = planes[stage] * expansion;
            }
        }
        layers.Add(AdaptiveAvgPool2d(1));
        layers.Add(Flatten());
        return (Sequential(layers), width);
    }

    private static Module<Tensor, Tensor> Shortcut(int inPlanes, int outPlanes, int stride) =>
        stride == 1 && inPlanes == outPlanes
            ? Identity()
            : Sequential(Conv2d(inPlanes, outPlanes, 1, stride: stride, bias: false), BatchNorm2d(outPlanes));

    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2, shortcut;

        public BasicBlock(string name, int inPlanes, int planes, int stride) : base(name)
        {
            conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            shortcut = Shortcut(inPlanes, planes, stride);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = functional.relu(bn1.call(conv1.call(x)));
            y = bn2.call(conv2.call(y));
            // y + shortcut, with the alpha 1 TorchSharp's operator would convert unheld (src/TopKLoss/Scalars.cs)
            using var one = 1.ToScalar();
            return scope.MoveToOuter(functional.relu(y.add(shortcut.call(x), one)));
        }
    }

    private sealed class BottleneckBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2, conv3, bn3, shortcut;

        public BottleneckBlock(string name, int inPlanes, int planes, int stride) : base(name)
        {
            conv1 = Conv2d(inPlanes, planes, 1, bias: false);
            bn1 = BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            conv3 = Conv2d(planes, planes * 4, 1, bias: false);
            bn3 = BatchNorm2d(planes * 4);
            shortcut = Shortcut(inPlanes, planes * 4, stride);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = functional.relu(bn1.call(conv1.call(x)));
            y = functional.relu(bn2.call(conv2.call(y)));
            y = bn3.call(conv3.call(y));
            using var one = 1.ToScalar(); // as in BasicBlock
            return scope.MoveToOuter(functional.relu(y.add(shortcut.call(x), one)));
        }
    }
}
