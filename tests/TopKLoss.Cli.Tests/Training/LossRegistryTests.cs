using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Tests.Training;

public class LossRegistryTests
{
    private static LossContext Context(int k = 2, long[]? counts = null) =>
        new(new LossOptions { K = k, KMix = "1:0.5,2:0.5" }, counts ?? [50, 20, 10, 5, 2], new torch.Generator(3));

    [Fact]
    public void EveryRegisteredLossTrainsDownhill()
    {
        Assert.Equal(["ce", "smooth-svm", "hard-svm", "noised", "imbalanced-noised", "focal", "ldam", "balanced-softmax", "logit-adjusted", "multi-k-svm"],
            LossRegistry.Names);
        foreach (var name in LossRegistry.Names)
        {
            using var scope = NewDisposeScope();
            manual_seed(0);
            using var loss = LossRegistry.Create(name, Context());
            var scores = (randn(32, 5) * 0.1).requires_grad_();
            var labels = randint(0, 5, [32]);
            var value = loss.call(scores, labels);
            Assert.True(value.isfinite().item<bool>(), name);
            value.backward();
            // A small step against the gradient lowers the loss (hard-svm/noised are piecewise linear: still true for a small step).
            using (no_grad())
            {
                var stepped = scores - 0.01 * scores.grad!;
                manual_seed(0);
                using var again = LossRegistry.Create(name, Context());
                Assert.True(again.call(stepped, labels).item<float>() <= value.item<float>() + 1e-6f, name);
            }
        }
    }

    [Fact]
    public void ImbalancedLossesTakeTheTrainingClassCounts()
    {
        // LDAM with margins from counts differs from LDAM with equal counts on the same scores.
        using var scope = NewDisposeScope();
        var scores = randn(16, 5);
        var labels = arange(16) % 5;
        using var skewed = LossRegistry.Create("ldam", Context(counts: [500, 100, 20, 5, 1]));
        using var flat = LossRegistry.Create("ldam", Context(counts: [10, 10, 10, 10, 10]));
        Assert.NotEqual(skewed.call(scores, labels).item<float>(), flat.call(scores, labels).item<float>());
    }

    [Theory]
    [InlineData("smooth-svm", 4, true)]
    [InlineData("smooth-svm", 5, false)]
    [InlineData("hard-svm", 4, true)]
    [InlineData("noised", 4, true)]      // top_{k+1} = top_5 of 5 classes exists
    [InlineData("noised", 5, false)]
    [InlineData("imbalanced-noised", 4, true)]
    [InlineData("imbalanced-noised", 5, false)]
    [InlineData("noised", 0, false)]
    [InlineData("ce", 0, false)]
    public void KRangeIsOneToClassesMinusOne(string name, int k, bool ok)
    {
        if (ok) LossRegistry.Validate(name, k, 5);
        else Assert.Contains("--k must be in [1, 4]", Assert.Throws<UsageException>(() => LossRegistry.Validate(name, k, 5)).Message);
    }

    [Theory]
    [InlineData("smooth-svm")]
    [InlineData("hard-svm")]
    [InlineData("noised")]
    [InlineData("imbalanced-noised")]
    public void TheCliAcceptsExactlyTheKsTheLibraryAccepts(string name)
    {
        // One rule in both places: for every k around the range, the CLI's check and the library's call agree.
        for (int k = -1; k <= 7; k++)
        {
            using var scope = NewDisposeScope();
            bool cli = Accepts(() => LossRegistry.Validate(name, k, 5));
            bool library = Accepts(() =>
            {
                // Built directly (not through Create, which checks first) so that only the library judges k.
                using var loss = name switch
                {
                    "smooth-svm" => TopK.SmoothTopKSvmLoss(k),
                    "hard-svm" => TopK.HardTopKSvmLoss(k),
                    "noised" => TopK.NoisedTopKLoss(k, generator: new torch.Generator(1)),
                    _ => (nn.Module<Tensor, Tensor, Tensor>)TopK.ImbalancedNoisedTopKLoss(k, 0.01, [50, 20, 10, 5, 2], generator: new torch.Generator(1)),
                };
                loss.call(randn(3, 5), tensor(new long[] { 0, 4, 2 }));
            });
            Assert.True(cli == library, $"{name}, k = {k}: CLI {(cli ? "accepts" : "refuses")}, library {(library ? "accepts" : "refuses")}");
            Assert.Equal(k is >= 1 and <= 4, cli);
        }
    }

    private static bool Accepts(Action action)
    {
        try { action(); return true; }
        catch (UsageException) { return false; }
        catch (ArgumentException) { return false; }
    }

    [Fact]
    public void UnknownLossNamesTheKnownOnes()
    {
        var e = Assert.Throws<UsageException>(() => LossRegistry.Create("svm", Context()));
        Assert.Contains("smooth-svm", e.Message);
        Assert.Contains("ldam", e.Message);
    }
}
