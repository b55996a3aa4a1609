namespace TopKLoss.Cli.Data;

/// <summary>Feature vectors held in memory as floats [rows, D] (the synthetic dataset); SampleShape [D,1,1].</summary>
public sealed class FeatureDataset : StoredDataset
{
    private readonly float[] _features;

    public FeatureDataset(string name, float[] features, int[] rows, int[] labels, IReadOnlyList<string> classNames, int dimension)
        : base(name, rows, labels, classNames, [dimension, 1, 1])
    {
        _features = features;
    }

    protected override StoredDataset WithRows(string name, int[] rows, int[] labels) =>
        new FeatureDataset(name, _features, rows, labels, ClassNames, SampleShape[0]);

    protected override void WriteRow(int row, int sampleIndex, Span<float> destination) =>
        _features.AsSpan(row * SampleSize, SampleSize).CopyTo(destination);

    protected override float PaddingValue(int channel) => 0f;
}
