using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

public class CifarReaderTests
{
    private static int Coarse(int fine) => (fine * 7) % 20;

    private static void WriteCifar100(string dir, int train = 200, int test = 100)
    {
        File.WriteAllBytes(Path.Combine(dir, "train.bin"), DataWriters.CifarRecords(train, true, r => r % 100, Coarse));
        File.WriteAllBytes(Path.Combine(dir, "test.bin"), DataWriters.CifarRecords(test, true, r => (r * 3) % 100, Coarse));
    }

    [Fact]
    public void Cifar100_FineLabels_CoarseGroups_PixelsNormalized()
    {
        using var dir = new TempDirectory();
        WriteCifar100(dir.Path);
        File.WriteAllLines(dir.File("coarse_label_names.txt"), Enumerable.Range(0, 20).Select(g => $"super{g}"));
        var source = CifarSource.Open("cifar100:x", dir.Path, hundred: true);
        Assert.Equal(200, source.Train.Count);
        Assert.Equal(100, source.Test.Count);
        Assert.Equal(5000, source.DefaultValidationSize);
        Assert.Equal([3, 32, 32], source.Train.SampleShape);
        Assert.Equal((5 * 3) % 100, source.Test.Labels[5]);
        Assert.Equal(Enumerable.Range(0, 100).Select(Coarse), source.BuiltInGroups!.SuperclassOf);
        Assert.Equal("super3", source.BuiltInGroups.Names[3]);

        var x = new float[3072];
        source.Train.Load([42], x, false, new Random(0));
        // Green plane (channel 1), pixel (row 2, col 5) → flat 1024 + 2·32 + 5.
        int p = 1024 + 69;
        Assert.Equal((DataWriters.Pixel(42, p) / 255f - 123.0f / 255) / (62.1f / 255), x[p], 4);
    }

    [Fact]
    public void Cifar10_ConcatenatesFiveBatches_InOrder()
    {
        using var dir = new TempDirectory();
        var nested = dir.Sub("cifar-10-batches-bin");
        for (int b = 1; b <= 5; b++)
            File.WriteAllBytes(Path.Combine(nested, $"data_batch_{b}.bin"), DataWriters.CifarRecords(4, false, r => (r + b) % 10));
        File.WriteAllBytes(Path.Combine(nested, "test_batch.bin"), DataWriters.CifarRecords(6, false, r => r));
        File.WriteAllLines(Path.Combine(nested, "batches.meta.txt"), ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck", ""]);
        var source = CifarSource.Open("cifar10:x", dir.Path, hundred: false);
        Assert.Equal(20, source.Train.Count);
        Assert.Equal(Enumerable.Range(1, 5).SelectMany(b => Enumerable.Range(0, 4).Select(r => (r + b) % 10)), source.Train.Labels);
        Assert.Equal("truck", source.Test.ClassNames[9]);
        Assert.Null(source.BuiltInGroups);
    }

    [Fact]
    public void Truncated_NamesFileRecordAndOffset()
    {
        using var dir = new TempDirectory();
        var path = dir.File("train.bin");
        var bytes = DataWriters.CifarRecords(3, true, r => r, Coarse);
        File.WriteAllBytes(path, bytes[..(2 * 3074 + 100)]);
        var e = Assert.Throws<DataFormatException>(() => CifarReader.Read(path, 2, 100, 20));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("record 2", e.Message);
        Assert.Contains($"byte offset {2 * 3074 + 100}", e.Message);
    }

    [Fact]
    public void LabelOutOfRange_NamesRecordAndOffset()
    {
        using var dir = new TempDirectory();
        var path = dir.File("data_batch_1.bin");
        var bytes = DataWriters.CifarRecords(5, false, r => r);
        bytes[3 * 3073] = 12;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() => CifarReader.Read(path, 1, 10));
        Assert.Contains("label 12 is beyond the 10 classes", e.Message);
        Assert.Contains("record 3", e.Message);
        Assert.Contains($"byte offset {3 * 3073}", e.Message);
    }

    [Fact]
    public void CoarseLabelOutOfRange_AndInconsistentCoarse_AreCorruption()
    {
        using var dir = new TempDirectory();
        var path = dir.File("train.bin");
        var bytes = DataWriters.CifarRecords(4, true, r => r, Coarse);
        bytes[1 * 3074] = 20;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() => CifarReader.Read(path, 2, 100, 20));
        Assert.Contains("coarse label 20", e.Message);
        Assert.Contains("record 1", e.Message);

        // Record 150 repeats fine class 50 with another coarse label.
        var records = DataWriters.CifarRecords(200, true, r => r % 100, Coarse);
        records[150 * 3074] = (byte)((Coarse(50) + 1) % 20);
        File.WriteAllBytes(path, records);
        File.WriteAllBytes(dir.File("test.bin"), DataWriters.CifarRecords(10, true, r => r, Coarse));
        var inconsistent = Assert.Throws<DataFormatException>(() => CifarSource.Open("cifar100:x", dir.Path, hundred: true));
        Assert.Contains("fine label 50", inconsistent.Message);
        Assert.Contains("record 150", inconsistent.Message);
    }

    [Fact]
    public void EmptyFile_IsCorruption()
    {
        using var dir = new TempDirectory();
        var path = dir.File("test.bin");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<DataFormatException>(() => CifarReader.Read(path, 2, 100, 20));
        Assert.Contains("empty file", e.Message);
    }
}
