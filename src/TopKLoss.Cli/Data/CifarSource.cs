namespace TopKLoss.Cli.Data;

/// <summary>
/// <c>cifar10:DIR</c> (data_batch_1..5.bin, test_batch.bin, batches.meta.txt) and
/// <c>cifar100:DIR</c> (train.bin, test.bin, fine/coarse_label_names.txt): the binary versions.
/// DIR may also be the folder that contains cifar-10-batches-bin / cifar-100-binary.
/// </summary>
public static class CifarSource
{
    public static SourceData Open(string spec, string directory, bool hundred)
    {
        DataFiles.RequireDirectory(spec, directory);
        string nested = Path.Combine(directory, hundred ? "cifar-100-binary" : "cifar-10-batches-bin");
        if (Directory.Exists(nested) && !File.Exists(Path.Combine(directory, hundred ? "train.bin" : "test_batch.bin")))
            directory = nested;
        return hundred ? OpenCifar100(spec, directory) : OpenCifar10(spec, directory);
    }

    private static SourceData OpenCifar10(string spec, string directory)
    {
        var names = CifarReader.ClassNames(directory, "batches.meta.txt", 10);
        var parts = Enumerable.Range(1, 5)
            .Select(b => CifarReader.Read(DataFiles.RequireOneOf(directory, "CIFAR-10 training batch", $"data_batch_{b}.bin"), 1, 10))
            .ToArray();
        var train = CifarReader.Concat(parts);
        var test = CifarReader.Read(DataFiles.RequireOneOf(directory, "CIFAR-10 test batch", "test_batch.bin"), 1, 10);
        return new SourceData(
            ByteImageDataset.All($"{spec} (train)", train.Pixels, train.Labels, names, [3, 32, 32], Normalization.Cifar10),
            null,
            ByteImageDataset.All($"{spec} (test)", test.Pixels, test.Labels, names, [3, 32, 32], Normalization.Cifar10),
            null, 5000, ["CIFAR-10 (binary version), no built-in groups"]);
    }

    private static SourceData OpenCifar100(string spec, string directory)
    {
        var fine = CifarReader.ClassNames(directory, "fine_label_names.txt", 100);
        var coarse = CifarReader.ClassNames(directory, "coarse_label_names.txt", 20);
        string trainPath = DataFiles.RequireOneOf(directory, "CIFAR-100 training file", "train.bin");
        var train = CifarReader.Read(trainPath, 2, 100, 20);
        var test = CifarReader.Read(DataFiles.RequireOneOf(directory, "CIFAR-100 test file", "test.bin"), 2, 100, 20);
        var groups = new Groups(CifarReader.SuperclassOf(train, 100, trainPath), coarse);
        return new SourceData(
            ByteImageDataset.All($"{spec} (train)", train.Pixels, train.Labels, fine, [3, 32, 32], Normalization.Cifar100),
            null,
            ByteImageDataset.All($"{spec} (test)", test.Pixels, test.Labels, fine, [3, 32, 32], Normalization.Cifar100),
            groups, 5000, ["CIFAR-100 (binary version), groups: the 20 coarse labels"]);
    }
}
