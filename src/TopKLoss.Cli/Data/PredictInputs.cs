using TopKLoss.Cli.Commands;

namespace TopKLoss.Cli.Data;

/// <summary>
/// The inputs of `topk predict --input PATH...`, read exactly as the run's training data was:
/// image files and folders of images (folder: runs; decoded, resized, center-cropped and normalized
/// as in training), IDX image files (mnist / fashion-mnist runs) or CIFAR binary files (cifar10 /
/// cifar100 runs, whose records carry labels). Each input gets an id: its path, or path#record.
/// </summary>
public static class PredictInputs
{
    private static readonly HashSet<string> ImageExtensions =
        new([".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"], StringComparer.OrdinalIgnoreCase);

    /// <summary>One dataset of every input, their ids, and whether the labels are known.</summary>
    public static (IDataset Data, string[] Ids, bool Labelled) Open(IReadOnlyList<string> inputs, RunConfig config)
    {
        foreach (var input in inputs)
            if (!File.Exists(input) && !Directory.Exists(input))
                throw new UsageException($"--input: no such file or folder: {input}.");
        string kind = config.Settings.DataSpec.Split(':')[0];
        return kind switch
        {
            "folder" => Images(inputs, config),
            "mnist" or "fashion-mnist" => Idx(inputs, config, kind == "fashion-mnist" ? Normalization.FashionMnist : Normalization.Mnist),
            "cifar10" or "cifar100" => Cifar(inputs, config, kind == "cifar100"),
            _ => throw new UsageException(
                $"--input: the run was trained on {config.Settings.DataSpec}, which has no input files; use --data SPEC --split test|validation|train."),
        };
    }

    private static (IDataset, string[], bool) Images(IReadOnlyList<string> inputs, RunConfig config)
    {
        var paths = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
                paths.AddRange(Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                    .Where(f => ImageExtensions.Contains(Path.GetExtension(f))).OrderBy(f => f, StringComparer.Ordinal));
            else if (ImageExtensions.Contains(Path.GetExtension(input)))
                paths.Add(input);
            else
                throw new UsageException($"--input {input}: not an image file (.jpg, .jpeg, .png, .bmp, .gif, .webp) or a folder of images.");
        }
        if (paths.Count == 0) throw new UsageException($"--input: no images (.jpg, .jpeg, .png, .bmp, .gif, .webp) under {string.Join(", ", inputs)}.");
        int size = config.SampleShape[1];
        var data = new FolderDataset("predict inputs", paths.ToArray(), Enumerable.Range(0, paths.Count).ToArray(), new int[paths.Count], config.ClassNames, size);
        return (data, paths.ToArray(), false);
    }

    private static (IDataset, string[], bool) Idx(IReadOnlyList<string> inputs, RunConfig config, Normalization normalization)
    {
        var pixels = new List<byte>();
        var ids = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input)) throw new UsageException($"--input {input}: a {config.Settings.DataSpec.Split(':')[0]} run takes IDX image files, not folders.");
            var (dims, data) = IdxReader.Read(input, 3);
            if (dims[1] != config.SampleShape[1] || dims[2] != config.SampleShape[2])
                throw new UsageException($"--input {input}: images of {dims[1]}×{dims[2]} do not match the model's {config.SampleShape[1]}×{config.SampleShape[2]}.");
            pixels.AddRange(data);
            ids.AddRange(Enumerable.Range(0, dims[0]).Select(i => $"{input}#{i}"));
        }
        var dataset = ByteImageDataset.All("predict inputs", pixels.ToArray(), new int[ids.Count], config.ClassNames, config.SampleShape, normalization);
        return (dataset, ids.ToArray(), false);
    }

    private static (IDataset, string[], bool) Cifar(IReadOnlyList<string> inputs, RunConfig config, bool hundred)
    {
        var parts = new List<CifarReader.Records>();
        var ids = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input)) throw new UsageException($"--input {input}: a CIFAR run takes CIFAR binary files (.bin), not folders.");
            var records = hundred ? CifarReader.Read(input, 2, 100, 20) : CifarReader.Read(input, 1, 10);
            parts.Add(records);
            ids.AddRange(Enumerable.Range(0, records.Labels.Length).Select(i => $"{input}#{i}"));
        }
        var all = CifarReader.Concat(parts);
        var dataset = ByteImageDataset.All("predict inputs", all.Pixels, all.Labels, config.ClassNames, config.SampleShape,
            hundred ? Normalization.Cifar100 : Normalization.Cifar10);
        return (dataset, ids.ToArray(), true);
    }
}
