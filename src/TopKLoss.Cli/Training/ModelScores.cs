using TopKLoss.Cli.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Training;

/// <summary>A model's scores (logits) for every sample of a dataset, in dataset order: eval mode, no gradients, no augmentation.</summary>
public static class ModelScores
{
    /// <summary>Scores [N, C] (float32, CPU) and the dataset's labels [N] (int64, CPU).</summary>
    public static (Tensor Scores, Tensor Labels) Of(nn.Module<Tensor, Tensor> model, IDataset dataset, Device device, int batchSize = 256)
    {
        model.eval();
        using var noGrad = no_grad();
        // Loaded on this thread, one batch after another, for the reason Trainer.Evaluate gives.
        var loader = new BatchLoader(dataset, batchSize, shuffle: false, augment: false, seed: 0);
        var order = loader.Order(0);
        var parts = new List<Tensor>();
        var labels = new List<long>();
        try
        {
            for (int b = 0; b < loader.BatchCount; b++)
            {
                var batch = loader.Load(order, 0, b);
                using var scope = NewDisposeScope();
                parts.Add(scope.MoveToOuter(model.call(batch.InputTensor(device)).detach().to_type(ScalarType.Float32).cpu()));
                labels.AddRange(batch.Labels);
            }
            return (cat(parts, 0), tensor(labels.ToArray()));
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }
}
