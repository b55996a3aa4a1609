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

    /// <summary>The projection shortcut: a 1×1 convolution (stride <paramref name="stride"/>) and batch norm, or the identity.</summary>
    /// <param name="subsampleFirst">Bottleneck blocks only: computes the strided 1×1 convolution as
    /// <see cref="SubsampledPointwiseConv"/> (see there why). Basic blocks (ResNet-18) keep Conv2d, so
    /// that their results stay as they were.</param>
    private static Module<Tensor, Tensor> Shortcut(int inPlanes, int outPlanes, int stride, bool subsampleFirst = false) =>
        stride == 1 && inPlanes == outPlanes
            ? Identity()
            : Sequential(
                subsampleFirst && stride > 1
                    ? new SubsampledPointwiseConv(inPlanes, outPlanes, stride)
                    : Conv2d(inPlanes, outPlanes, 1, stride: stride, bias: false),
                BatchNorm2d(outPlanes));

    /// <summary>
    /// A 1×1 convolution with stride s and no bias, computed as the stride-1 1×1 convolution of every
    /// s-th row and column: the same function (a 1×1 kernel with stride s and no padding reads exactly
    /// those pixels), the same parameter ("weight", [out, in, 1, 1], so checkpoints name it as Conv2d's)
    /// and the same initialization as <c>Conv2d(inPlanes, outPlanes, 1, stride: s, bias: false)</c>.
    /// </summary>
    /// <remarks>
    /// Why not Conv2d: the oneDNN 3.7.1 inside libtorch 2.10 (libtorch-cpu-linux-x64) kills the
    /// process with SIGFPE in the backward pass of a strided 1×1 convolution whose channels are
    /// 256→1024, 512→1024, 512→2048, 1024→512 or 1024→2048; ResNet-50's shortcuts 512→1024 and
    /// 1024→2048 are two of them. Creating the backward-data primitive, oneDNN tries its brgemm
    /// strided kernel, whose blocking heuristic (brg_blocking_t::est_eff_1x1) has an integer division,
    /// for exactly those channel pairs (a "maskrcnn workaround"), by a block count that is 0 for some
    /// of the blockings it tries. Seen at every image size and thread count tried, for any batch that
    /// libtorch gives to oneDNN, also with ONEDNN_MAX_CPU_ISA=AVX2 (only SSE41, which would slow every
    /// model, avoids it). With unit stride the three passes run in oneDNN's jit_1x1 kernels, which do
    /// not crash. TorchSharp 0.107 has no switch for libtorch's mkldnn (torch.backends.mkldnn.enabled
    /// in Python, upstream's workaround for the similar pytorch/pytorch#177227). docs/platform.md,
    /// "ResNet-50 and SIGFPE".
    /// </remarks>
    internal sealed class SubsampledPointwiseConv : Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Parameter weight;
        private readonly long stride;

        public SubsampledPointwiseConv(long inPlanes, long outPlanes, long stride) : base(nameof(SubsampledPointwiseConv))
        {
            this.stride = stride;
            weight = Parameter(empty(outPlanes, inPlanes, 1, 1));
            using (no_grad()) init.kaiming_uniform_(weight, Math.Sqrt(5)); // as TorchSharp's Convolution.reset_parameters
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var every = TensorIndex.Slice(null, null, stride);
            using var subsampled = x[TensorIndex.Ellipsis, every, every];
            return functional.conv2d(subsampled, weight);
        }
    }

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
            shortcut = Shortcut(inPlanes, planes * 4, stride, subsampleFirst: true);
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
