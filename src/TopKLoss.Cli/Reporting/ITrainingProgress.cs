using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Reporting;

/// <summary>Receives training progress: a live bar on a terminal, plain lines in CI and pipes.</summary>
public interface ITrainingProgress
{
    void RunStarted(string title, int epochs, int batchesPerEpoch);
    void Batch(int epoch, int batch, double loss, double accuracy, double samplesPerSecond);
    void EpochDone(EpochRecord record, bool isBest);
    void Message(string line);
}
