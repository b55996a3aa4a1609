namespace TopKLoss.Cli.Training;

/// <summary>What one epoch measured: training loss/accuracy and validation top-k (micro, macro).</summary>
public sealed record EpochRecord(int Epoch, double LearningRate, double TrainLoss, double TrainTop1,
    double ValidationTopK, double ValidationMacroTopK, double SamplesPerSecond);
