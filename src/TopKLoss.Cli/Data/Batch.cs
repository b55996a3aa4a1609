namespace TopKLoss.Cli.Data;

/// <summary>
/// One mini-batch: <see cref="Inputs"/> holds Count × prod(SampleShape) normalized floats,
/// <see cref="Labels"/> the (training: possibly noisy) labels, <see cref="Indices"/> the samples' indices in the dataset.
/// </summary>
public sealed record Batch(int Index, int[] Indices, float[] Inputs, long[] Labels, int[] SampleShape)
{
    public int Count => Indices.Length;

    /// <summary>Inputs as a float32 tensor [Count, C, H, W] on <paramref name="device"/> (CPU when null).</summary>
    public TorchSharp.torch.Tensor InputTensor(TorchSharp.torch.Device? device = null)
    {
        var tensor = TorchSharp.torch.tensor(Inputs, [Count, SampleShape[0], SampleShape[1], SampleShape[2]]);
        return device is null || device.type == TorchSharp.DeviceType.CPU ? tensor : Move(tensor, device);
    }

    /// <summary>Labels as an int64 tensor [Count] on <paramref name="device"/> (CPU when null).</summary>
    public TorchSharp.torch.Tensor LabelTensor(TorchSharp.torch.Device? device = null)
    {
        var tensor = TorchSharp.torch.tensor(Labels);
        return device is null || device.type == TorchSharp.DeviceType.CPU ? tensor : Move(tensor, device);
    }

    private static TorchSharp.torch.Tensor Move(TorchSharp.torch.Tensor tensor, TorchSharp.torch.Device device)
    {
        using (tensor) return tensor.to(device);
    }
}
