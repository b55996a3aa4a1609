namespace TopKLoss.Cli.Data;

/// <summary>
/// A dataset as read from disk, before the experiment's splits, subsets and noise.
/// <paramref name="Validation"/> is null when the dataset ships no validation split (one is then
/// carved from <paramref name="Train"/>, <paramref name="DefaultValidationSize"/> samples unless
/// --validation-size says otherwise).
/// </summary>
public sealed record SourceData(
    StoredDataset Train,
    StoredDataset? Validation,
    StoredDataset Test,
    Groups? BuiltInGroups,
    int DefaultValidationSize,
    IReadOnlyList<string> Notes);
