using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Training;

/// <summary>Options of the loss. Null means "the loss's own default" (see <see cref="LossRegistry"/>).</summary>
public sealed record LossOptions
{
    /// <summary>k of the top-k losses (also the k of early stopping).</summary>
    public int K { get; init; } = 5;
    public double? Tau { get; init; }
    public double? Alpha { get; init; }
    public double? Epsilon { get; init; }
    public int? Samples { get; init; }
    public double? Gamma { get; init; }
    public double? MaxMargin { get; init; }
    public double? Scale { get; init; }
    /// <summary>multi-k-svm: the --k-mix text "k:weight,..." (checked by <see cref="KMixSpec"/>).</summary>
    public string? KMix { get; init; }
}

/// <summary>Which validation metric picks the best epoch.</summary>
public enum EarlyStopMetric { TopK, MacroTopK }

/// <summary>Everything one training run needs, validated (see <see cref="Commands.TrainOptions"/>).</summary>
public sealed record TrainSettings
{
    public string DataSpec { get; init; } = "synthetic";
    public DataOptions Data { get; init; } = new();
    public string Model { get; init; } = "mlp";
    /// <summary>--normed-head: null = the loss's published choice (<see cref="CosineHead"/>).</summary>
    public bool? NormedHead { get; init; }
    /// <summary>Whether the model gets the cosine head.</summary>
    public bool UsesNormedHead => CosineHead.Uses(NormedHead, Loss);
    public string? InitWeights { get; init; }
    public string Loss { get; init; } = "ce";
    public LossOptions LossOptions { get; init; } = new();
    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 0.1;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }
    public double WeightDecay { get; init; } = 1e-4;
    public int[] Milestones { get; init; } = [];
    public double LearningRateGamma { get; init; } = 0.1;
    public EarlyStopMetric EarlyStop { get; init; } = EarlyStopMetric.TopK;
    public int Seed { get; init; } = 1234;
    public string Device { get; init; } = "cpu";
    /// <summary>libtorch CPU threads; null = <see cref="CpuThreads.Default"/>.</summary>
    public int? Threads { get; init; }
}
