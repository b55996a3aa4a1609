using System.Text.Json;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Tests.Support;

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

public class FashionMnistCompareTests
{
    /// <summary>The whole pipeline on real data, kept short: 300 training images, 1 epoch, two losses, the full 10,000-image test split.</summary>
    [FactWhenFashionMnist]
    public void AShortCompareOnRealFashionMnistLearns()
    {
        using var temp = new TempFolder();
        string output = CliRunner.RunOk("compare", "--data", "fashion-mnist:" + FactWhenFashionMnistAttribute.Directory,
            "--losses", "ce,smooth-svm", "--k", "2", "--train-size", "300", "--validation-size", "100", "--seeds", "1", "--epochs", "1",
            "--batch-size", "10", "--lr", "0.01", "--noise", "0.2", "--noise-groups", "coarse", "--out", temp["cmp"]);
        Assert.Contains("· 1 epoch · 1 seed", output);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp["cmp"], "results.json")));
        foreach (var run in results.RootElement.GetProperty("runs").EnumerateArray())
        {
            var test = run.GetProperty("test");
            // Chance is 10 % top-1 / 20 % top-2; 30 steps of an MLP on 300 noisy images reach about 30 % / 50 % (measured).
            Assert.InRange(test.GetProperty("top1_micro").GetDouble(), 0.20, 1.0);
            Assert.InRange(test.GetProperty("top2_micro").GetDouble(), 0.40, 1.0);
        }
        var csv = File.ReadAllLines(Path.Combine(temp["cmp"], "ce", "seed1234", "test-per-class.csv"));
        Assert.Equal(10_000, csv.Skip(1).Sum(l => int.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains("T-shirt/top", csv[1]);
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
