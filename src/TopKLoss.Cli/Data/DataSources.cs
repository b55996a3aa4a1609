using System.Globalization;

namespace TopKLoss.Cli.Data;

/// <summary>
/// Entry point of the data layer: <c>--data SPEC</c> + <see cref="DataOptions"/> → <see cref="DataBundle"/>.
/// Order of operations, every draw seeded from <see cref="DataOptions.Seed"/> (independent streams, <see cref="Seeds"/>):
/// 1. read the dataset (its own train/validation/test files);
/// 2. superclass groups: --groups FILE, else the dataset's built-in ones (CIFAR-100 coarse labels,
///    Fashion-MNIST tops/footwear/other, synthetic's own), else none;
/// 3. validation split: the dataset's own when it has one, else a stratified hold-out from the
///    training data (5,000 for CIFAR as published; 10% otherwise; --validation-size overrides);
/// 4. reduced training set (--train-size, balanced per class) and/or long tail (--long-tail ρ:
///    n_c = ⌊n_max·ρ^(−c/(C−1))⌋, n_max = --train-size / C if given, else the smallest class count);
/// 5. label noise on the remaining training samples only (validation and test stay clean).
/// </summary>
public static class DataSources
{
    public const string AllowedForms =
        "synthetic[:key=value,...], fashion-mnist:DIR, mnist:DIR, cifar10:DIR, cifar100:DIR, folder:DIR";

    public static DataBundle Open(string spec, DataOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var source = Read(spec, options);
        return Build(source, options);
    }

    /// <summary>Step 1: reads the dataset named by <paramref name="spec"/>.</summary>
    public static SourceData Read(string spec, DataOptions options)
    {
        if (string.IsNullOrWhiteSpace(spec))
            throw new UsageException($"--data is empty; allowed forms: {AllowedForms}");
        int colon = spec.IndexOf(':');
        string kind = (colon < 0 ? spec : spec[..colon]).Trim().ToLowerInvariant();
        string? argument = colon < 0 ? null : spec[(colon + 1)..];
        return kind switch
        {
            "synthetic" => OpenSynthetic(spec, argument),
            "fashion-mnist" or "fashionmnist" => IdxSource.Open(spec, argument ?? "", fashion: true),
            "mnist" => IdxSource.Open(spec, argument ?? "", fashion: false),
            "cifar10" or "cifar-10" => CifarSource.Open(spec, argument ?? "", hundred: false),
            "cifar100" or "cifar-100" => CifarSource.Open(spec, argument ?? "", hundred: true),
            "folder" or "imagefolder" => FolderSource.Open(spec, argument ?? "", options),
            _ => throw new UsageException($"--data {spec}: unknown dataset \"{kind}\"; allowed forms: {AllowedForms}"),
        };
    }

    private static SourceData OpenSynthetic(string spec, string? knobs)
    {
        var settings = SyntheticData.Parse(knobs);
        var data = SyntheticData.Generate(settings, spec);
        return new SourceData(data.Train, null, data.Test, data.Groups, data.Train.Count / 10,
            [$"synthetic hierarchical Gaussian data ({settings}), groups: its {settings.Groups} superclasses"],
            SyntheticData.LegacyClassNames(settings.Classes, settings.Groups));
    }

    private static void Validate(DataOptions o)
    {
        if (!(o.Noise >= 0 && o.Noise <= 1))
            throw new UsageException($"--noise must be in [0, 1]; got {o.Noise.ToString(CultureInfo.InvariantCulture)}");
        if (o.TrainSize is < 1)
            throw new UsageException($"--train-size must be ≥ 1; got {o.TrainSize}");
        if (o.LongTail is { } rho && !(rho >= 1 && double.IsFinite(rho)))
            throw new UsageException($"--long-tail must be a finite ratio ≥ 1; got {rho.ToString(CultureInfo.InvariantCulture)}");
        if (o.ValidationSize is < 0)
            throw new UsageException($"--validation-size must be ≥ 0; got {o.ValidationSize}");
        if (o.ImageSize is < 8 or > 1024)
            throw new UsageException($"--image-size must be in [8, 1024]; got {o.ImageSize}");
        if (string.IsNullOrWhiteSpace(o.NoiseGroups))
            throw new UsageException("--noise-groups must be published, coarse or a groups file");
    }

    /// <summary>Steps 2–5 on a dataset already read.</summary>
    public static DataBundle Build(SourceData source, DataOptions options)
    {
        var notes = new List<string>(source.Notes);
        var pool = source.Train;
        int classCount = pool.ClassCount;

        // 2. Groups.
        Groups? groups = source.BuiltInGroups;
        if (options.GroupsFile is { } groupsFile)
        {
            groups = GroupsFile.Read(groupsFile, pool.ClassNames, source.ClassAliases);
            notes.Add($"groups from {groupsFile}: {groups.Count} groups");
        }

        // 3. Validation split.
        StoredDataset validation;
        int[] trainIndices;
        if (source.Validation is { } shipped)
        {
            validation = shipped;
            trainIndices = Enumerable.Range(0, pool.Count).ToArray();
            if (options.ValidationSize is not null)
                notes.Add("--validation-size ignored: the dataset ships its own validation split");
        }
        else
        {
            int size = options.ValidationSize ?? source.DefaultValidationSize;
            var (kept, held) = TrainingSplits.HoldOut(pool.Labels, classCount, size, options.Seed);
            validation = pool.Subset(Rename(pool.Name, "validation"), held, Pick(pool.Labels, held));
            trainIndices = kept;
            notes.Add($"validation: {held.Length} training samples held out (stratified, seed {options.Seed})");
        }
        var trainPool = pool.Subset(pool.Name, trainIndices, Pick(pool.Labels, trainIndices));

        // 4. Reduced / long-tailed training set.
        int[]? perClass = null;
        if (options.LongTail is { } rho)
        {
            int nMax = options.TrainSize is { } n
                ? TrainingSplits.BalancedCounts(n, classCount)[0]
                : TrainingSplits.IndicesByClass(trainPool.Labels, classCount).Min(c => c.Length);
            perClass = TrainingSplits.LongTailCounts(nMax, classCount, rho);
            if (perClass[^1] < 1)
                throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                    $"--long-tail {rho} leaves the tail class with no training image (n_max = {nMax} per class); use a ratio ≤ {nMax}"));
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"long tail ρ = {rho}: n_max = {nMax}, n_min = {perClass[^1]}, {perClass.Sum()} training samples"));
        }
        else if (options.TrainSize is { } n)
        {
            if (n > trainPool.Count)
                throw new UsageException($"--train-size {n} exceeds the {trainPool.Count} training samples left after the validation hold-out");
            perClass = TrainingSplits.BalancedCounts(n, classCount);
            notes.Add($"reduced training set: {perClass[0]} per class, {perClass.Sum()} samples");
        }
        if (perClass is not null)
        {
            var kept = TrainingSplits.Take(trainPool.Labels, classCount, perClass, options.Seed,
                options.LongTail is not null ? "--long-tail" : "--train-size");
            trainPool = trainPool.Subset(trainPool.Name, kept, Pick(trainPool.Labels, kept));
        }

        // 5. Label noise on the training split only.
        var noise = ApplyNoise(trainPool.Labels, pool.ClassNames, source.ClassAliases, groups, options, notes);
        var train = noise is null ? trainPool : trainPool.Subset(trainPool.Name, Enumerable.Range(0, trainPool.Count).ToArray(), noise.Labels);

        // The class counts the imbalanced losses get are those of the labels they train on (the
        // observed, possibly noisy labels: all a user of real noisy data could count).
        var counts = new long[classCount];
        foreach (int label in train.Labels) counts[label]++;

        notes.Add($"sizes: train {train.Count}, validation {validation.Count}, test {source.Test.Count}; {classCount} classes");
        return new DataBundle(train, validation, source.Test, groups?.SuperclassOf, counts,
            options.Noise, noise?.RealizedFlipRate ?? 0.0, notes);
    }

    private static LabelNoise.Result? ApplyNoise(IReadOnlyList<int> labels, IReadOnlyList<string> classNames, IReadOnlyList<string>? aliases,
        Groups? groups, DataOptions options, List<string> notes)
    {
        int classCount = classNames.Count;
        if (options.Noise == 0) return null;
        var rng = Seeds.For(options.Seed, "noise");
        string protocol = options.NoiseGroups.Trim();
        LabelNoise.Result result;
        if (protocol.Equals("published", StringComparison.OrdinalIgnoreCase))
            result = LabelNoise.Published(labels, classCount, options.Noise, rng);
        else if (protocol.Equals("coarse", StringComparison.OrdinalIgnoreCase))
            result = groups is null
                ? LabelNoise.Uniform(labels, classCount, options.Noise, rng)
                : LabelNoise.WithinGroups(labels, groups, options.Noise, rng, "superclasses");
        else
        {
            if (!File.Exists(protocol))
                throw new UsageException($"--noise-groups {protocol}: neither published, coarse nor an existing groups file");
            result = LabelNoise.WithinGroups(labels, GroupsFile.Read(protocol, classNames, aliases), options.Noise, rng, protocol);
        }
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"label noise: {result.Description}; nominal p = {options.Noise}, realized flip rate = {result.RealizedFlipRate:F4}"));
        return result;
    }

    private static int[] Pick(IReadOnlyList<int> labels, int[] indices)
    {
        var picked = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++) picked[i] = labels[indices[i]];
        return picked;
    }

    private static string Rename(string name, string split) =>
        name.EndsWith(" (train)", StringComparison.Ordinal) ? name[..^" (train)".Length] + $" ({split})" : $"{name} ({split})";
}
