using TopKLoss.Cli.Data;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Training;

/// <summary>
/// Cuts a dataset into mini-batches. The order and the augmentation of epoch e are derived from
/// (seed, e) alone, so a resumed run sees exactly the batches an uninterrupted one would, without
/// having to save any C# Random state.
/// </summary>
public sealed class BatchSource(IDataset dataset, int batchSize)
{
    public IDataset Dataset => dataset;
    public int BatchCount => (dataset.Count + batchSize - 1) / batchSize;

    /// <summary>A permutation of the sample indices for epoch <paramref name="epoch"/> (identity when not shuffling).</summary>
    public int[] Order(int seed, int epoch, bool shuffle)
    {
        var order = Enumerable.Range(0, dataset.Count).ToArray();
        if (shuffle) new Random(DeriveSeed(seed, epoch, -1)).Shuffle(order);
        return order;
    }

    /// <summary>Batch <paramref name="batch"/> of <paramref name="order"/> as (inputs [b, C, H, W] float32, labels [b] int64) on <paramref name="device"/>.</summary>
    public (Tensor Inputs, Tensor Labels) Load(int[] order, int batch, bool augment, int seed, int epoch, Device device)
    {
        int start = batch * batchSize, count = Math.Min(batchSize, order.Length - start);
        var indices = order.AsSpan(start, count);
        int[] shape = dataset.SampleShape;
        int sampleSize = shape[0] * shape[1] * shape[2];
        var buffer = new float[count * sampleSize];
        dataset.Load(indices, buffer, augment, new Random(DeriveSeed(seed, epoch, batch)));
        var labels = new long[count];
        for (int i = 0; i < count; i++) labels[i] = dataset.Labels[indices[i]];
        var x = tensor(buffer, [count, shape[0], shape[1], shape[2]]);
        var y = tensor(labels);
        return device.type == TorchSharp.DeviceType.CPU ? (x, y) : (x.to(device), y.to(device));
    }

    /// <summary>Mixes (seed, epoch, batch) into one 31-bit seed (SplitMix64 finalizer).</summary>
    internal static int DeriveSeed(int seed, int epoch, int batch)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch * 0xBF58476D1CE4E5B9UL + (ulong)(uint)batch * 0x94D049BB133111EBUL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}
