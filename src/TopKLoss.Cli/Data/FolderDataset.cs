namespace TopKLoss.Cli.Data;

/// <summary>
/// An image-folder split: files decoded on demand (lazily, in parallel within a batch) into
/// normalized [3, ImageSize, ImageSize] floats with the ImageNet statistics.
/// </summary>
public sealed class FolderDataset : StoredDataset
{
    private readonly string[] _paths;
    private readonly int _imageSize;

    public FolderDataset(string name, string[] paths, int[] rows, int[] labels, IReadOnlyList<string> classNames, int imageSize)
        : base(name, rows, labels, classNames, [3, imageSize, imageSize])
    {
        _paths = paths;
        _imageSize = imageSize;
    }

    /// <summary>Path of sample <paramref name="index"/>.</summary>
    public string PathOf(int index) => _paths[RowOf(index)];

    protected override StoredDataset WithRows(string name, int[] rows, int[] labels) =>
        new FolderDataset(name, _paths, rows, labels, ClassNames, _imageSize);

    protected override void WriteRow(int row, int sampleIndex, Span<float> destination) =>
        ImageDecoder.Decode(_paths[row], sampleIndex, _imageSize, Normalization.ImageNet, destination);

    protected override float PaddingValue(int channel) => Normalization.ImageNet.Apply(channel, 0);

    protected override bool DecodeInParallel => true;
}
