using TopKLoss.Cli.Data;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// run.json: what a run was trained with and on, so that `eval` can rebuild the model and
/// `train --resume` can continue with the same settings.
/// </summary>
public sealed record RunConfig(
    TrainSettings Settings,
    int ClassCount,
    int[] SampleShape,
    string[] ClassNames,
    string TrainName,
    long[] TrainClassCounts,
    double NominalNoise,
    double RealizedFlipRate,
    string[] DataNotes)
{
    public const string FileName = "run.json";

    /// <summary>
    /// The names of the model's classes, for reports on <paramref name="data"/>: the stored ones
    /// (a run of an earlier version keeps its synthetic names "g03-c003"), or the data's own when
    /// run.json holds none for every class.
    /// </summary>
    public IReadOnlyList<string> NamesFor(IDataset data) =>
        ClassNames is { } stored && stored.Length == data.ClassCount ? stored : data.ClassNames;
}
