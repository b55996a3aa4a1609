using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

/// <summary>
/// Runs only where Debian's dataset-fashion-mnist package is installed; otherwise xunit reports
/// the test as skipped, with the reason (xunit 2 has no Assert.Skip, so the attribute decides).
/// </summary>
public sealed class FactWhenFashionMnistAttribute : FactAttribute
{
    public const string Directory = "/usr/share/datasets/fashion-mnist";

    public FactWhenFashionMnistAttribute()
    {
        if (!System.IO.Directory.Exists(Directory))
            Skip = $"Fashion-MNIST not installed at {Directory} (apt-get install dataset-fashion-mnist)";
    }
}

public class FashionMnistIntegrationTests
{
    [FactWhenFashionMnist]
    public void RealFashionMnist_ReadsAllSplits_WithBuiltInGroupsAndNoise()
    {
        var bundle = DataSources.Open("fashion-mnist:" + FactWhenFashionMnistAttribute.Directory,
            new DataOptions { Noise = 0.4, NoiseGroups = "coarse", Seed = 1 });
        Assert.Equal(54_000, bundle.Train.Count);
        Assert.Equal(6_000, bundle.Validation.Count);
        Assert.Equal(10_000, bundle.Test.Count);
        Assert.Equal([1, 28, 28], bundle.Train.SampleShape);
        Assert.Equal(Groups.FashionMnist.SuperclassOf, bundle.Superclass!);
        // The test set is balanced: 1,000 images per class.
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, bundle.Test.Labels.Count(l => l == c)));
        Assert.InRange(bundle.RealizedFlipRate, 0.38, 0.42);

        // Pixel statistics of the first 1,000 test images match the published normalization roughly.
        var x = new float[1000 * 784];
        bundle.Test.Load(Enumerable.Range(0, 1000).ToArray(), x, false, new Random(0));
        double mean = x.Average(v => (double)v);
        Assert.InRange(mean, -0.15, 0.15);
    }
}

public class FactWhenFashionMnistAttributeTests
{
    [Fact]
    public void SkipsExactlyWhenTheDatasetIsAbsent()
    {
        var attribute = new FactWhenFashionMnistAttribute();
        if (Directory.Exists(FactWhenFashionMnistAttribute.Directory))
            Assert.Null(attribute.Skip);
        else
            Assert.Contains("apt-get install dataset-fashion-mnist", attribute.Skip);
    }
}
