using System.Globalization;

namespace TopKLoss.Cli.Training;

/// <summary>
/// Stops a run whose training loss is not finite or has grown past <see cref="GrowthFactor"/> times
/// its first value (or 1, when that is smaller): a run that only gets worse would otherwise be
/// reported as a result (observed: a smooth-svm loss of 3.9e15 at --lr 0.1). The message names the
/// likely cause: the learning rate, or a cosine-head loss trained without its cosine head.
/// </summary>
public sealed class DivergenceGuard(TrainSettings settings)
{
    public const double GrowthFactor = 100;
    private double? first;

    /// <summary>Checks the loss of one batch (epoch and batch 1-based, for the message).</summary>
    public void Check(double loss, int epoch, int batch)
    {
        if (first is null && double.IsFinite(loss)) first = loss;
        double bound = GrowthFactor * Math.Max(1, Math.Abs(first ?? 1));
        if (double.IsFinite(loss) && loss <= bound) return;
        var ci = CultureInfo.InvariantCulture;
        string what = double.IsFinite(loss)
            ? string.Format(ci, "loss {0:G3} is over {1}× its first value {2:G3}", loss, GrowthFactor, first)
            : string.Format(ci, "loss {0}", loss);
        string cause = CosineHead.DefaultFor.Contains(settings.Loss) && settings.NormedHead == false
            ? $"{settings.Loss} needs the cosine head (drop --normed-head false), or lower --lr (now {settings.LearningRate.ToString(ci)})"
            : $"lower --lr (now {settings.LearningRate.ToString(ci)}) or check the loss options";
        throw new UsageException($"training diverged: {what} at epoch {epoch}, batch {batch}; {cause}.");
    }
}
