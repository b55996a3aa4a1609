namespace TopKLoss.Cli.Data;

/// <summary>
/// One split of a labelled dataset. Samples are produced on demand (an image folder is decoded
/// lazily), always as float32, normalized, in the layout <see cref="SampleShape"/>.
/// </summary>
public interface IDataset
{
    /// <summary>Human-readable name, e.g. "cifar100:/data/cifar-100-binary (train)".</summary>
    string Name { get; }
    int Count { get; }
    int ClassCount { get; }
    IReadOnlyList<string> ClassNames { get; }
    /// <summary>[C, H, W] for images; [D, 1, 1] for feature vectors.</summary>
    int[] SampleShape { get; }
    /// <summary>Label of each sample (after label noise, for a noisy training split).</summary>
    IReadOnlyList<int> Labels { get; }
    /// <summary>
    /// Writes samples <paramref name="indices"/> into <paramref name="destination"/>
    /// (indices.Length × prod(SampleShape) floats). <paramref name="augment"/>: random crop
    /// (padding 4) and horizontal flip for images, drawn from <paramref name="rng"/>.
    /// Thread-safe: the batch loader calls it from several threads.
    /// </summary>
    void Load(ReadOnlySpan<int> indices, Span<float> destination, bool augment, Random rng);
}

/// <summary>Options that shape a dataset the way the papers' experiments did (docs/derivations.md §8–9).</summary>
public sealed record DataOptions
{
    /// <summary>Label-noise probability p in [0, 1] for the training split (test labels stay clean).</summary>
    public double Noise { get; init; }
    /// <summary>"published" (blocks of 5 consecutive labels), "coarse" (true superclasses) or a groups file path.</summary>
    public string NoiseGroups { get; init; } = "published";
    /// <summary>--groups FILE: superclass groups for any dataset (overrides built-in ones).</summary>
    public string? GroupsFile { get; init; }
    /// <summary>Reduced training set: this many training images in all, balanced per class.</summary>
    public int? TrainSize { get; init; }
    /// <summary>Long-tail imbalance ratio ρ ≥ 1: n_c = n_max·ρ^(−c/(C−1)).</summary>
    public double? LongTail { get; init; }
    /// <summary>Images held out of the training data for validation when the dataset has no validation split.</summary>
    public int? ValidationSize { get; init; }
    /// <summary>Seed for noise, subsets, splits and the synthetic generator.</summary>
    public int Seed { get; init; } = 1234;
    /// <summary>
    /// Side of the square images a <c>folder:DIR</c> dataset is resized to (shorter side to this size,
    /// then a center crop); null = the images' own size (the median shorter side) up to 224.
    /// Ignored by the other datasets, whose images have a fixed size.
    /// </summary>
    public int? ImageSize { get; init; }
}

/// <summary>What the experiment runs on, plus the facts a report must state.</summary>
public sealed record DataBundle(
    IDataset Train,
    IDataset Validation,
    IDataset Test,
    /// <summary>Superclass of each class (null when the dataset has none and no --groups was given).</summary>
    int[]? Superclass,
    /// <summary>Training images per class after subsetting / long tail (feeds the imbalanced losses).</summary>
    long[] TrainClassCounts,
    /// <summary>Nominal noise p and the realized share of training labels that changed.</summary>
    double NominalNoise,
    double RealizedFlipRate,
    /// <summary>Free-text lines for reports, e.g. "Pl@ntNet-300K v2 (CSV metadata)".</summary>
    IReadOnlyList<string> Notes);
