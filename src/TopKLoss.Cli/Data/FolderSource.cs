using System.Globalization;

namespace TopKLoss.Cli.Data;

/// <summary>
/// <c>folder:DIR</c>, an ImageFolder tree (one sub-folder per class, classes sorted by folder name
/// ordinally as torchvision does). Layouts, looked for in DIR/images when it exists, else in DIR:
/// <list type="bullet">
/// <item>train/ + val/ (or valid/, validation/) + test/: used as they are (Pl@ntNet-300K, prepared ImageNet);</item>
/// <item>train/ + test/: validation carved from train;</item>
/// <item>train/ + val/ without test/ (ImageNet as shipped): val becomes the test split and validation is carved from train;</item>
/// <item>class folders directly in DIR: 10% test and 10% validation carved (stratified, seeded).</item>
/// </list>
/// Classes are those of the training folder; a class folder in val/test missing from train is an error.
/// </summary>
public static class FolderSource
{
    private static readonly HashSet<string> Extensions =
        new([".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"], StringComparer.OrdinalIgnoreCase);

    public static SourceData Open(string spec, string directory, DataOptions options)
    {
        DataFiles.RequireDirectory(spec, directory);
        // DIR may be the release folder or its images/ sub-folder (metadata one level up).
        var release = PlantNetMetadata.Detect(directory)
            ?? (Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)) == "images" && Directory.GetParent(Path.TrimEndingDirectorySeparator(directory)) is { } parent
                ? PlantNetMetadata.Detect(parent.FullName) : null);
        string root = Directory.Exists(Path.Combine(directory, "images")) ? Path.Combine(directory, "images") : directory;
        string? Sub(params string[] names) => names.Select(n => Path.Combine(root, n)).FirstOrDefault(Directory.Exists);
        string? trainDir = Sub("train"), valDir = Sub("val", "valid", "validation"), testDir = Sub("test");
        var notes = new List<string>();
        if (release is not null) notes.Add(release.Note);

        if (trainDir is null)
        {
            // One flat tree: carve test (and later validation) from it.
            var (classes, all) = Scan(spec, root, null);
            int flatSize = CheckedImageSize(options, all, []);
            notes.Add($"image folder {root}: one tree of {classes.Length} classes, {all.Count} images; 10% test carved (stratified, seed {options.Seed})");
            var names = ClassNames(release, classes, notes);
            var pool = Dataset($"{spec} (train)", all, names, flatSize);
            var (trainIdx, testIdx) = TrainingSplits.HoldOut(pool.Labels, classes.Length, all.Count / 10, Seeds.Derive(options.Seed, "folder-test"));
            var train = pool.Subset($"{spec} (train)", trainIdx, trainIdx.Select(i => pool.Labels[i]).ToArray());
            var test = pool.Subset($"{spec} (test)", testIdx, testIdx.Select(i => pool.Labels[i]).ToArray());
            return new SourceData(train, null, test, null, train.Count / 10, notes);
        }

        var (trainClasses, trainFiles) = Scan(spec, trainDir, null);
        if (testDir is null && valDir is null)
            throw new UsageException($"--data {spec}: {root} has train/ but neither test/ nor val/; add one, or use a flat tree of class folders");
        var valFiles = valDir is null ? null : Scan(spec, valDir, trainClasses).Files;
        var testFiles = testDir is null ? null : Scan(spec, testDir, trainClasses).Files;
        // Every split's files are checked now, before any training: a broken test image must not wait for the end.
        int size = CheckedImageSize(options, trainFiles, [.. valFiles ?? [], .. testFiles ?? []]);
        var classNames = ClassNames(release, trainClasses, notes);
        var trainSet = Dataset($"{spec} (train)", trainFiles, classNames, size);
        FolderDataset? Split(List<(string Path, int Label)>? files, string split) =>
            files is null ? null : Dataset($"{spec} ({split})", files, classNames, size);

        if (testFiles is not null)
        {
            var validation = Split(valFiles, "validation");
            notes.Add($"image folder {root}: train {trainSet.Count}, {(validation is null ? "validation carved from train" : $"val {validation.Count}")}, test; {trainClasses.Length} classes");
            return new SourceData(trainSet, validation, Split(testFiles, "test")!, null, trainSet.Count / 10, notes);
        }
        notes.Add($"image folder {root}: no test/ folder, so val/ is the test split and validation is carved from train");
        return new SourceData(trainSet, null, Split(valFiles, "test")!, null, trainSet.Count / 10, notes);
    }

    /// <summary>
    /// Reads the header of every file (<see cref="ImageHeaders"/>) and returns the side images are
    /// resized to: --image-size, else the median shorter side of the training images, at most 224.
    /// </summary>
    private static int CheckedImageSize(DataOptions options, List<(string Path, int Label)> train, IEnumerable<(string Path, int Label)> otherSplits)
    {
        var sizes = ImageHeaders.ReadAll([.. train.Select(f => f.Path), .. otherSplits.Select(f => f.Path)]);
        if (options.ImageSize is { } chosen) return chosen;
        var shorter = sizes.Take(train.Count).Select(s => Math.Min(s.Width, s.Height)).Order().ToArray();
        return Math.Clamp(shorter[shorter.Length / 2], 8, ImageHeaders.DefaultMaxSize);
    }

    private static string[] ClassNames(PlantNetMetadata.Release? release, string[] folders, List<string> notes)
    {
        if (release is null) return folders;
        if (folders.Length != release.ExpectedSpecies)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"Pl@ntNet-300K {release.Version}: {folders.Length} species folders found, the release has {release.ExpectedSpecies:N0}"));
        return folders.Select(f => PlantNetMetadata.NameOf(release, f)).ToArray();
    }

    private static FolderDataset Dataset(string name, List<(string Path, int Label)> files, string[] classNames, int imageSize) =>
        new(name, files.Select(f => f.Path).ToArray(), Enumerable.Range(0, files.Count).ToArray(),
            files.Select(f => f.Label).ToArray(), classNames, imageSize);

    /// <summary>Class folders of <paramref name="directory"/> and their image files (recursively, sorted).</summary>
    private static (string[] Classes, List<(string Path, int Label)> Files) Scan(string spec, string directory, string[]? knownClasses)
    {
        var folders = Directory.GetDirectories(directory).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        if (folders.Length == 0)
            throw new UsageException($"--data {spec}: {directory} has no class folders (expected one sub-folder per class)");
        var classes = knownClasses ?? folders;
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var files = new List<(string, int)>();
        foreach (var folder in folders)
        {
            if (!index.TryGetValue(folder, out int label))
                throw new UsageException($"--data {spec}: class folder {Path.Combine(directory, folder)} has no counterpart in the training folder");
            files.AddRange(Directory.EnumerateFiles(Path.Combine(directory, folder), "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f)))
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => (f, label)));
        }
        if (files.Count == 0)
            throw new UsageException($"--data {spec}: no images (.jpg, .jpeg, .png, .bmp, .gif, .webp) under {directory}");
        return (classes, files);
    }
}
