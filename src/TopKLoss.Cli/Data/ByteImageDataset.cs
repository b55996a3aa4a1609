namespace TopKLoss.Cli.Data;

/// <summary>
/// Images held in memory as bytes [rows, C, H, W] (IDX and CIFAR files): 4× smaller than floats,
/// normalized on the fly when a batch is loaded.
/// </summary>
public sealed class ByteImageDataset : StoredDataset
{
    private readonly byte[] _pixels;
    private readonly Normalization _normalization;

    public ByteImageDataset(string name, byte[] pixels, int[] rows, int[] labels, IReadOnlyList<string> classNames,
        int[] sampleShape, Normalization normalization)
        : base(name, rows, labels, classNames, sampleShape)
    {
        _pixels = pixels;
        _normalization = normalization;
    }

    /// <summary>All <paramref name="labels"/>.Length rows of <paramref name="pixels"/>, in order.</summary>
    public static ByteImageDataset All(string name, byte[] pixels, int[] labels, IReadOnlyList<string> classNames,
        int[] sampleShape, Normalization normalization) =>
        new(name, pixels, Enumerable.Range(0, labels.Length).ToArray(), labels, classNames, sampleShape, normalization);

    protected override StoredDataset WithRows(string name, int[] rows, int[] labels) =>
        new ByteImageDataset(name, _pixels, rows, labels, ClassNames, SampleShape, _normalization);

    protected override void WriteRow(int row, int sampleIndex, Span<float> destination)
    {
        int size = SampleSize, plane = SampleShape[1] * SampleShape[2];
        var source = _pixels.AsSpan((int)((long)row * size), size);
        for (int c = 0; c < SampleShape[0]; c++)
        {
            float mean = _normalization.Mean[c], scale = 1f / (255f * _normalization.Std[c]), shift = mean / _normalization.Std[c];
            for (int p = c * plane, end = p + plane; p < end; p++)
                destination[p] = source[p] * scale - shift;
        }
    }

    protected override float PaddingValue(int channel) => _normalization.Apply(channel, 0);
}
