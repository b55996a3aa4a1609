namespace TopKLoss.Cli.Data;

/// <summary>
/// <c>fashion-mnist:DIR</c> and <c>mnist:DIR</c>: the four IDX files (train-images-idx3-ubyte,
/// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; "-idx3-" or ".idx3-";
/// raw or .gz) as Debian's dataset-fashion-mnist and the original sites ship them.
/// </summary>
public static class IdxSource
{
    public static SourceData Open(string spec, string directory, bool fashion)
    {
        DataFiles.RequireDirectory(spec, directory);
        var names = fashion ? Groups.FashionMnistClassNames : Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var normalization = fashion ? Normalization.FashionMnist : Normalization.Mnist;
        StoredDataset Split(string prefix, string split)
        {
            var images = DataFiles.RequireOneOf(directory, $"{split} images", Candidates(prefix, "images", 3));
            var labels = DataFiles.RequireOneOf(directory, $"{split} labels", Candidates(prefix, "labels", 1));
            var (pixels, labelArray, height, width) = IdxReader.ReadSplit(images, labels, 10);
            return ByteImageDataset.All($"{spec} ({split})", pixels, labelArray, names, [1, height, width], normalization);
        }
        var train = Split("train", "train");
        var test = Split("t10k", "test");
        // Validation: 10% of the training set (6,000 for the usual 60,000), stratified.
        return new SourceData(train, null, test, fashion ? Groups.FashionMnist : null, train.Count / 10,
            [fashion ? "Fashion-MNIST (IDX), built-in groups: tops, footwear, other" : "MNIST (IDX), no built-in groups"]);
    }

    private static string[] Candidates(string prefix, string kind, int dims) =>
        [$"{prefix}-{kind}-idx{dims}-ubyte", $"{prefix}-{kind}-idx{dims}-ubyte.gz", $"{prefix}-{kind}.idx{dims}-ubyte", $"{prefix}-{kind}.idx{dims}-ubyte.gz"];
}
