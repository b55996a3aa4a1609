using TopKLoss.Cli.Training;
using TorchSharp;

namespace TopKLoss.Cli.Reporting;

/// <summary>TensorBoard event files (TorchSharp's SummaryWriter): one scalar per metric and epoch.</summary>
public sealed class TensorBoardLog(string directory)
{
    private readonly TorchSharp.Modules.SummaryWriter writer = torch.utils.tensorboard.SummaryWriter(directory);

    public void Epoch(EpochRecord r, int k)
    {
        writer.add_scalar("train/loss", (float)r.TrainLoss, r.Epoch);
        writer.add_scalar("train/top1", (float)r.TrainTop1, r.Epoch);
        writer.add_scalar($"validation/top{k}_micro", (float)r.ValidationTopK, r.Epoch);
        writer.add_scalar($"validation/top{k}_macro", (float)r.ValidationMacroTopK, r.Epoch);
        writer.add_scalar("learning_rate", (float)r.LearningRate, r.Epoch);
    }
}
