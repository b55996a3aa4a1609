using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsRawAndGzip_PixelsLabelsAndDims(bool gz)
    {
        using var dir = new TempDirectory();
        DataWriters.IdxDataset(dir.Path, train: 30, test: 10, h: 4, w: 3, gz);
        var source = IdxSource.Open("fashion-mnist:" + dir.Path, dir.Path, fashion: true);
        Assert.Equal(30, source.Train.Count);
        Assert.Equal(10, source.Test.Count);
        Assert.Equal([1, 4, 3], source.Train.SampleShape);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i % 10), source.Train.Labels);
        Assert.Equal("Ankle boot", source.Train.ClassNames[9]);
        Assert.Same(Groups.FashionMnist, source.BuiltInGroups);

        // Sample 7, pixel 5: (byte/255 − mean)/std with the Fashion-MNIST statistics.
        var x = new float[12];
        source.Train.Load([7], x, false, new Random(0));
        float expected = (DataWriters.Pixel(7, 5) / 255f - 0.2860f) / 0.3530f;
        Assert.Equal(expected, x[5], 5);
    }

    [Fact]
    public void Mnist_HasNoGroups_AndDotVariantNames()
    {
        using var dir = new TempDirectory();
        DataWriters.IdxDataset(dir.Path, 20, 10, 2, 2, gz: false);
        File.Move(dir.File("train-images-idx3-ubyte"), dir.File("train-images.idx3-ubyte"));
        var source = IdxSource.Open("mnist:x", dir.Path, fashion: false);
        Assert.Null(source.BuiltInGroups);
        Assert.Equal("3", source.Train.ClassNames[3]);
        var x = new float[4];
        source.Test.Load([2], x, false, new Random(0));
        Assert.Equal((DataWriters.Pixel(2, 3) / 255f - 0.1307f) / 0.3081f, x[3], 5);
    }

    [Fact]
    public void Truncated_NamesFileRecordAndOffset()
    {
        using var dir = new TempDirectory();
        var bytes = DataWriters.Idx([5, 2, 2], new byte[20]);
        var path = dir.File("images");
        File.WriteAllBytes(path, bytes[..^6]); // 16 header + 14 data bytes: records 0..2 complete, record 3 cut
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path, 3));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("record 3", e.Message);
        Assert.Contains("byte offset 30", e.Message);
    }

    [Fact]
    public void TruncatedGzip_NamesFile()
    {
        using var dir = new TempDirectory();
        var gz = DataWriters.Gzip(DataWriters.Idx([50, 2, 2], Enumerable.Range(0, 200).Select(i => (byte)(i * 13)).ToArray()));
        var path = dir.File("images.gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        var e = Assert.ThrowsAny<IOException>(() => IdxReader.Read(path, 3));
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 8, 3 }, "magic number starts 01 00", "byte offset 0")]
    [InlineData(new byte[] { 0, 0, 9, 3 }, "element type 0x09", "byte offset 2")]
    [InlineData(new byte[] { 0, 0, 8, 2 }, "2 dimensions; expected 3", "byte offset 3")]
    [InlineData(new byte[] { 0, 0, 8 }, "truncated IDX header", "byte offset 3")]
    [InlineData(new byte[] { 0, 0, 8, 3, 0, 0 }, "truncated IDX header", "byte offset 6")]
    public void CorruptHeader_NamesFileAndOffset(byte[] bytes, string detail, string offset)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad-idx");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path, 3));
        Assert.Contains(path, e.Message);
        Assert.Contains(detail, e.Message);
        Assert.Contains(offset, e.Message);
    }

    [Fact]
    public void TrailingBytes_AreCorruption()
    {
        using var dir = new TempDirectory();
        var path = dir.File("labels");
        File.WriteAllBytes(path, [.. DataWriters.Idx([3], [1, 2, 3]), 9, 9]);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.Read(path, 1));
        Assert.Contains("2 unexpected bytes", e.Message);
        Assert.Contains("byte offset 11", e.Message);
    }

    [Fact]
    public void LabelBeyondClassCount_NamesRecord()
    {
        using var dir = new TempDirectory();
        DataWriters.IdxDataset(dir.Path, 20, 10, 2, 2, gz: false, label: i => i == 13 ? 10 : i % 10);
        var e = Assert.Throws<DataFormatException>(() => IdxSource.Open("fashion-mnist:x", dir.Path, fashion: true));
        Assert.Contains("train-labels-idx1-ubyte", e.Message);
        Assert.Contains("label 10 is beyond the 10 classes", e.Message);
        Assert.Contains("record 13", e.Message);
        Assert.Contains("byte offset 21", e.Message);
    }

    [Fact]
    public void ImageAndLabelCountsMustMatch()
    {
        using var dir = new TempDirectory();
        DataWriters.IdxDataset(dir.Path, 20, 10, 2, 2, gz: false);
        File.WriteAllBytes(dir.File("t10k-labels-idx1-ubyte"), DataWriters.Idx([9], new byte[9]));
        var e = Assert.Throws<DataFormatException>(() => IdxSource.Open("mnist:x", dir.Path, fashion: false));
        Assert.Contains("10 images", e.Message);
        Assert.Contains("9 labels", e.Message);
    }

    [Fact]
    public void MissingFile_IsUsageErrorListingCandidates()
    {
        using var dir = new TempDirectory();
        DataWriters.IdxDataset(dir.Path, 20, 10, 2, 2, gz: true);
        File.Delete(dir.File("t10k-images-idx3-ubyte.gz"));
        var e = Assert.Throws<UsageException>(() => IdxSource.Open("mnist:x", dir.Path, fashion: false));
        Assert.Contains("test images not found", e.Message);
        Assert.Contains("t10k-images-idx3-ubyte.gz", e.Message);
    }
}
