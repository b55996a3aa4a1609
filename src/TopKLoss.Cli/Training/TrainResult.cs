namespace TopKLoss.Cli.Training;

/// <summary>Outcome of a run: test metrics of the best epoch's model, the history, and the best epoch (1-based).</summary>
public sealed record TrainResult(MetricsReport Test, IReadOnlyList<EpochRecord> History, int BestEpoch, double BestValidationMetric, double Seconds);
