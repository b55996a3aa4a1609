using TopKLoss.Cli.Models;

namespace TopKLoss.Cli.Tests.Models;

public class ModelFactoryTests
{
    [Theory]
    [InlineData("mlp", 16, 1, 1)]
    [InlineData("mlp", 1, 28, 28)]
    [InlineData("cnn", 1, 28, 28)]
    [InlineData("cnn", 3, 32, 32)]
    [InlineData("resnet18", 3, 16, 16)]
    [InlineData("resnet50", 3, 8, 8)]
    [InlineData("densenet40", 3, 8, 8)]
    public void EveryModelMapsABatchToClassScores(string name, int c, int h, int w)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var model = ModelFactory.Create(name, [c, h, w], 7, normedHead: false);
        model.eval();
        var scores = model.call(randn(2, c, h, w));
        Assert.Equal(new long[] { 2, 7 }, scores.shape);
        Assert.True(scores.isfinite().all().item<bool>());
    }

    [Fact]
    public void ResNet18HasTheCifarVariantsParameterCount()
    {
        // ResNet-18 for CIFAR-10 (3×3 stem, no max-pool): 11,173,962 parameters, the widely quoted count.
        using var model = ModelFactory.Create("resnet18", [3, 32, 32], 10, normedHead: false);
        Assert.Equal(11_173_962, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void ResNet50HasTheCifarVariantsParameterCountAndConv2dNames()
    {
        // Bottleneck [3, 4, 6, 3] with the CIFAR stem, 10 classes: 23,520,842 parameters. The strided
        // shortcuts (SubsampledPointwiseConv) keep Conv2d's parameter name, so checkpoints read the same.
        using var model = ModelFactory.Create("resnet50", [3, 32, 32], 10, normedHead: false);
        Assert.Equal(23_520_842, model.parameters().Sum(p => p.numel()));
        var shortcuts = model.named_parameters().Select(p => p.name).Where(n => n.Contains("shortcut.0.")).ToList();
        Assert.Equal(["features.3.shortcut.0.weight", "features.6.shortcut.0.weight", "features.10.shortcut.0.weight", "features.16.shortcut.0.weight"], shortcuts);
    }

    /// <summary>
    /// ResNet-50's strided shortcut is the strided 1×1 Conv2d it replaces (docs/platform.md, "ResNet-50
    /// and SIGFPE"): same initialization from the same seed, same output, same gradients. Channels
    /// 16→32, whose strided backward oneDNN computes without crashing, so that the reference runs here.
    /// </summary>
    [Theory]
    [InlineData(8, 2)]
    [InlineData(7, 2)]
    [InlineData(9, 3)]
    public void SubsampledPointwiseConvIsTheStridedConv2d(int side, int stride)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var conv = nn.Conv2d(16, 32, 1, stride: stride, bias: false);
        manual_seed(3);
        using var subsampled = new ResNet.SubsampledPointwiseConv(16, 32, stride);
        var (name, weight) = Assert.Single(subsampled.named_parameters());
        Assert.Equal("weight", name);
        Assert.True(weight.eq(conv.weight).all().item<bool>(), "the same initialization as Conv2d");

        var x = randn(3, 16, side, side);
        var (xa, xb) = (x.clone().requires_grad_(), x.clone().requires_grad_());
        var (ya, yb) = (conv.call(xa), subsampled.call(xb));
        Assert.Equal(ya.shape, yb.shape);
        Assert.True(ya.allclose(yb, 1e-5, 1e-6), "the same output");
        var upstream = randn(ya.shape);
        (ya * upstream).sum().backward();
        (yb * upstream).sum().backward();
        Assert.True(xa.grad!.allclose(xb.grad!, 1e-5, 1e-6), "the same input gradient");
        Assert.True(conv.weight.grad!.allclose(weight.grad!, 1e-5, 1e-5), "the same weight gradient");
    }

    [Fact]
    public void DenseNet40Growth40EndsWith440Features()
    {
        // DenseNet-BC depth 40, growth 40: 80 channels, +6·40 → 320, halved → 160, +240 → 400, halved → 200, +240 → 440.
        using var model = ModelFactory.Create("densenet40", [3, 32, 32], 100, normedHead: false);
        var head = model.named_parameters().Last(p => p.name.EndsWith("weight"));
        Assert.Equal(new long[] { 100, 440 }, head.parameter.shape);
    }

    [Fact]
    public void NormedHeadGivesCosineScores()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = ModelFactory.Create("mlp", [8, 1, 1], 5, normedHead: true);
        var scores = model.call(randn(64, 8, 1, 1) * 100);
        Assert.True(scores.abs().max().item<float>() <= 1.0f + 1e-5f, "cosine similarities lie in [-1, 1]");
    }

    [Fact]
    public void SameSeedSameInitialization()
    {
        manual_seed(42);
        using var a = ModelFactory.Create("cnn", [1, 12, 12], 3, false);
        manual_seed(42);
        using var b = ModelFactory.Create("cnn", [1, 12, 12], 3, false);
        foreach (var ((_, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
            Assert.True(pa.eq(pb).all().item<bool>());
    }
}
