namespace TopKLoss.Cli.Data;

/// <summary>
/// A dataset as read from disk, before the experiment's splits, subsets and noise.
/// <paramref name="Validation"/> is null when the dataset ships no validation split (one is then
/// carved from <paramref name="Train"/>, <paramref name="DefaultValidationSize"/> samples unless
/// --validation-size says otherwise). <paramref name="ClassAliases"/>, when given, are other names
/// of the classes (one per class) that groups files may use: synthetic's names of earlier versions.
/// </summary>
public sealed record SourceData(
    StoredDataset Train,
    StoredDataset? Validation,
    StoredDataset Test,
    Groups? BuiltInGroups,
    int DefaultValidationSize,
    IReadOnlyList<string> Notes,
    IReadOnlyList<string>? ClassAliases = null);
