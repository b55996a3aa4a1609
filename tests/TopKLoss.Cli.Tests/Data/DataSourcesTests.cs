using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

public class DataSourcesTests
{
    private const string Small = "synthetic:classes=20,groups=4,train=50,test=10,dim=8";

    private static float[] Features(IDataset d)
    {
        var x = new float[d.Count * d.SampleShape[0]];
        d.Load(Enumerable.Range(0, d.Count).ToArray(), x, false, new Random(0));
        return x;
    }

    [Fact]
    public void Synthetic_Default_HasSplitsGroupsAndCounts()
    {
        var bundle = DataSources.Open("synthetic", new DataOptions());
        Assert.Equal(9000, bundle.Train.Count);
        Assert.Equal(1000, bundle.Validation.Count);
        Assert.Equal(5000, bundle.Test.Count);
        Assert.Equal(100, bundle.Train.ClassCount);
        Assert.Equal([64, 1, 1], bundle.Train.SampleShape);
        Assert.Equal(Enumerable.Range(0, 100).Select(c => c % 20), bundle.Superclass!);
        Assert.All(bundle.TrainClassCounts, n => Assert.Equal(90, n));
        Assert.Equal(0.0, bundle.RealizedFlipRate);
    }

    [Fact]
    public void Order_SplitThenLongTailThenNoise_ValidationAndTestClean()
    {
        var clean = DataSources.Open(Small, new DataOptions { LongTail = 10, Seed = 3 });
        var noisy = DataSources.Open(Small, new DataOptions { LongTail = 10, Seed = 3, Noise = 0.5, NoiseGroups = "coarse" });

        // n_max = 45 (50 per class minus the stratified 5-per-class validation), ρ = 10 over 20 classes.
        var expected = TrainingSplits.LongTailCounts(45, 20, 10);
        Assert.Equal(expected.Select(n => (long)n), clean.TrainClassCounts);
        // Noise does not change which samples are kept, nor validation and test.
        Assert.Equal(Features(clean.Train), Features(noisy.Train));
        Assert.Equal(clean.Validation.Labels, noisy.Validation.Labels);
        Assert.Equal(Features(clean.Validation), Features(noisy.Validation));
        Assert.Equal(clean.Test.Labels, noisy.Test.Labels);

        int changed = clean.Train.Labels.Zip(noisy.Train.Labels).Count(t => t.First != t.Second);
        Assert.Equal((double)changed / clean.Train.Count, noisy.RealizedFlipRate);
        Assert.InRange(noisy.RealizedFlipRate, 0.35, 0.65);
        Assert.All(clean.Train.Labels.Zip(noisy.Train.Labels), t => Assert.Equal(t.First % 4, t.Second % 4)); // superclass = c mod 4
        Assert.Equal(0.5, noisy.NominalNoise);
        Assert.Equal(noisy.Train.Labels.GroupBy(l => l).OrderBy(g => g.Key).Select(g => (long)g.Count()), noisy.TrainClassCounts.Where(n => n > 0));
        Assert.Contains(noisy.Notes, n => n.Contains("realized flip rate"));
    }

    [Fact]
    public void TrainSize_IsBalanced_AndTrainValidationTestDisjoint()
    {
        var bundle = DataSources.Open(Small, new DataOptions { TrainSize = 200, ValidationSize = 100 });
        Assert.All(bundle.TrainClassCounts, n => Assert.Equal(10, n));
        Assert.Equal(100, bundle.Validation.Count);
        var train = ((StoredDataset)bundle.Train);
        var validation = ((StoredDataset)bundle.Validation);
        var trainRows = Enumerable.Range(0, train.Count).Select(train.RowOf).ToHashSet();
        Assert.Equal(200, trainRows.Count);
        Assert.DoesNotContain(Enumerable.Range(0, validation.Count).Select(validation.RowOf), trainRows.Contains);
    }

    [Fact]
    public void SameSeed_SameBundle_OtherSeed_OtherSplitsAndNoise()
    {
        var options = new DataOptions { Noise = 0.4, TrainSize = 400, Seed = 11 };
        var a = DataSources.Open(Small, options);
        var b = DataSources.Open(Small, options);
        var c = DataSources.Open(Small, options with { Seed = 12 });
        Assert.Equal(a.Train.Labels, b.Train.Labels);
        Assert.Equal(Features(a.Train), Features(b.Train));
        Assert.Equal(Features(a.Validation), Features(b.Validation));
        Assert.Equal(a.RealizedFlipRate, b.RealizedFlipRate);
        Assert.NotEqual(Features(a.Train), Features(c.Train));
        // The data themselves come from the dataset's own seed, not --seed: same test set.
        Assert.Equal(Features(a.Test), Features(c.Test));
    }

    [Fact]
    public void PublishedNoise_UsesBlocksOfFive_NotSuperclasses()
    {
        var bundle = DataSources.Open(Small, new DataOptions { Noise = 1.0, NoiseGroups = "published" });
        var clean = DataSources.Open(Small, new DataOptions());
        var pairs = clean.Train.Labels.Zip(bundle.Train.Labels).ToArray();
        Assert.All(pairs, t => Assert.Equal(t.First / 5, t.Second / 5));
        Assert.Contains(pairs, t => t.First % 4 != t.Second % 4); // leaves the true superclass
        Assert.InRange(bundle.RealizedFlipRate, 0.75, 0.85);
    }

    [Fact]
    public void GroupsFile_OverridesBuiltInGroups_AndNoiseGroupsFileIsUsed()
    {
        using var dir = new TempDirectory();
        var path = dir.File("halves.txt");
        File.WriteAllLines(path, ["low: " + string.Join(",", Enumerable.Range(0, 10)), "high: " + string.Join(" ", Enumerable.Range(10, 10))]);
        var bundle = DataSources.Open(Small, new DataOptions { GroupsFile = path, Noise = 1.0, NoiseGroups = "coarse" });
        Assert.Equal(Enumerable.Range(0, 20).Select(c => c / 10), bundle.Superclass!);
        var clean = DataSources.Open(Small, new DataOptions());
        Assert.All(clean.Train.Labels.Zip(bundle.Train.Labels), t => Assert.Equal(t.First / 10, t.Second / 10));

        var viaNoiseGroups = DataSources.Open(Small, new DataOptions { Noise = 1.0, NoiseGroups = path });
        Assert.Equal(Enumerable.Range(0, 20).Select(c => c % 4), viaNoiseGroups.Superclass!); // --groups not given: built-in stay
        Assert.All(clean.Train.Labels.Zip(viaNoiseGroups.Train.Labels), t => Assert.Equal(t.First / 10, t.Second / 10));
        Assert.Equal(1.0, viaNoiseGroups.RealizedFlipRate);
    }

    [Fact]
    public void CoarseNoise_WithoutGroups_IsUniform()
    {
        using var dir = new TempDirectory();
        DataWriters.IdxDataset(dir.Path, 200, 20, 2, 2, gz: false);
        var bundle = DataSources.Open("mnist:" + dir.Path, new DataOptions { Noise = 1.0, NoiseGroups = "coarse" });
        Assert.Null(bundle.Superclass);
        Assert.Equal(1.0, bundle.RealizedFlipRate);
        Assert.Contains(bundle.Notes, n => n.Contains("uniform protocol"));
    }

    [Theory]
    [InlineData("imagenet:/data", "unknown dataset \"imagenet\"")]
    [InlineData("", "--data is empty")]
    [InlineData("cifar100:", "the directory is missing")]
    [InlineData("cifar10:/nonexistent/dir", "directory not found: /nonexistent/dir")]
    [InlineData("folder:/nonexistent/dir", "directory not found")]
    [InlineData("fashion-mnist", "the directory is missing")]
    public void BadSpec_IsUsageErrorNamingSpecAndForms(string spec, string expected)
    {
        var e = Assert.Throws<UsageException>(() => DataSources.Open(spec, new DataOptions()));
        Assert.Contains(expected, e.Message);
        if (expected.StartsWith("unknown")) Assert.Contains(DataSources.AllowedForms, e.Message);
    }

    [Fact]
    public void BadOptions_AreUsageErrorsNamingTheOption()
    {
        void Bad(DataOptions o, string expected) =>
            Assert.Contains(expected, Assert.Throws<UsageException>(() => DataSources.Open(Small, o)).Message);
        Bad(new DataOptions { Noise = 1.5 }, "--noise must be in [0, 1]; got 1.5");
        Bad(new DataOptions { Noise = double.NaN }, "--noise must be in [0, 1]");
        Bad(new DataOptions { TrainSize = 0 }, "--train-size must be ≥ 1");
        Bad(new DataOptions { TrainSize = 10_000 }, "--train-size 10000 exceeds the 900 training samples");
        Bad(new DataOptions { LongTail = 0.5 }, "--long-tail must be a finite ratio ≥ 1");
        Bad(new DataOptions { LongTail = 46 }, "--long-tail 46 leaves the tail class with no training image (n_max = 45 per class); use a ratio ≤ 45");
        Bad(new DataOptions { ValidationSize = -1 }, "--validation-size must be ≥ 0");
        Bad(new DataOptions { ValidationSize = 1000 }, "--validation-size must be in [0, 1000)");
        Bad(new DataOptions { Noise = 0.1, NoiseGroups = "/nonexistent/g.txt" }, "--noise-groups /nonexistent/g.txt: neither published, coarse nor an existing groups file");
        Bad(new DataOptions { ImageSize = 2 }, "--image-size must be in [8, 1024]");
    }
}
