using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Tests.Training;

/// <summary>The issue-15 losses in the registry: the library's modules with the training counts and the --k-mix mixture.</summary>
public class NewLossesTests
{
    private static readonly long[] Counts = [50, 20, 10, 5, 2];

    private static LossContext Context(string? kMix = null, double? tau = null) =>
        new(new LossOptions { K = 2, KMix = kMix, Tau = tau }, Counts, new torch.Generator(3));

    [Fact]
    public void Balanced_softmax_and_logit_adjustment_use_the_training_counts()
    {
        using var scope = NewDisposeScope();
        var scores = randn(16, 5, generator: new torch.Generator(1));
        var labels = arange(16) % 5;
        using var registered = LossRegistry.Create("balanced-softmax", Context());
        Assert.Equal(TopK.functional.balanced_softmax_loss(scores, labels, Counts).item<float>(), registered.call(scores, labels).item<float>());
        using var adjusted = LossRegistry.Create("logit-adjusted", Context(tau: 0.5));
        Assert.Equal(TopK.functional.logit_adjusted_loss(scores, labels, Counts, 0.5).item<float>(), adjusted.call(scores, labels).item<float>());
    }

    [Fact]
    public void Multi_k_svm_is_the_library_mixture_of_its_k_mix()
    {
        using var scope = NewDisposeScope();
        var scores = randn(16, 5, generator: new torch.Generator(2));
        var labels = arange(16) % 5;
        using var loss = LossRegistry.Create("multi-k-svm", Context("1:0.25, 3:0.75"));
        var expected = TopK.functional.multik_smooth_topk_svm_loss(scores, labels, [1, 3], [0.25, 0.75]);
        Assert.Equal(expected.item<float>(), loss.call(scores, labels).item<float>());
    }

    [Theory]
    [InlineData(null, "--loss multi-k-svm needs --k-mix")]
    [InlineData("1:0.5,5:0.5", "--k-mix: every k must be in [1, 4]")]
    [InlineData("1:0.5,1:0.5", "a k appears twice")]
    [InlineData("1-0.5", "'1-0.5' is not k:weight")]
    [InlineData("0:1", "k must be ≥ 1")]
    [InlineData("2:0", "weights must be finite and > 0")]
    [InlineData("", "lists no k:weight pair")]
    public void Bad_k_mixes_name_the_option_and_the_reason(string? kMix, string reason)
    {
        var e = Assert.Throws<UsageException>(() => LossRegistry.ValidateOptions("multi-k-svm", new LossOptions { KMix = kMix }, 5));
        Assert.Contains(reason, e.Message);
    }
}
