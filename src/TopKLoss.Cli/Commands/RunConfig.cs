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
}
