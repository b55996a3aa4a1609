using SkiaSharp;
using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

public class FolderSourceTests
{
    private static readonly SKColor[] Colors = [new(200, 30, 10), new(10, 180, 40), new(20, 40, 220)];

    /// <summary>root/split/class/img.ext for every split, n images per class, class c painted Colors[c].</summary>
    private static void Tree(string root, string[] splits, string[] classes, int perClass, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        string ext = format == SKEncodedImageFormat.Png ? "png" : "jpg";
        foreach (var split in splits)
            for (int c = 0; c < classes.Length; c++)
                for (int i = 0; i < perClass; i++)
                    DataWriters.Image(Path.Combine(root, split, classes[c], $"img{i}.{ext}"), 20 + 4 * i, 12, Colors[c], format);
    }

    private static float Normalized(int channel, byte value) => Normalization.ImageNet.Apply(channel, value);

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, 0.01)]
    [InlineData(SKEncodedImageFormat.Jpeg, 0.15)]
    public void TrainValTest_DecodesResizesNormalizes(SKEncodedImageFormat format, double tolerance)
    {
        using var dir = new TempDirectory();
        Tree(dir.Path, ["train", "val", "test"], ["a", "b", "c"], 3, format);
        var source = FolderSource.Open("folder:x", dir.Path, new DataOptions { ImageSize = 8 });
        Assert.Equal(9, source.Train.Count);
        Assert.Equal(9, source.Validation!.Count);
        Assert.Equal(9, source.Test.Count);
        Assert.Equal(["a", "b", "c"], source.Train.ClassNames);
        Assert.Equal([3, 8, 8], source.Train.SampleShape);
        Assert.Equal([0, 0, 0, 1, 1, 1, 2, 2, 2], source.Test.Labels);

        var x = new float[2 * 3 * 64];
        source.Test.Load([4, 8], x, false, new Random(0)); // class b, class c
        for (int s = 0; s < 2; s++)
        {
            var color = Colors[s == 0 ? 1 : 2];
            byte[] rgb = [color.Red, color.Green, color.Blue];
            for (int ch = 0; ch < 3; ch++)
                for (int p = 0; p < 64; p++)
                    Assert.Equal(Normalized(ch, rgb[ch]), x[s * 192 + ch * 64 + p], tolerance * 5); // JPEG: a few levels off
        }
    }

    [Fact]
    public void GrayscaleAndLargeImages_BecomeThreeChannels_AtImageSize()
    {
        using var dir = new TempDirectory();
        using (var gray = new SKBitmap(new SKImageInfo(30, 40, SKColorType.Gray8, SKAlphaType.Opaque)))
        {
            gray.Erase(new SKColor(90, 90, 90));
            using var image = SKImage.FromBitmap(gray);
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            Directory.CreateDirectory(Path.Combine(dir.Path, "train", "a"));
            File.WriteAllBytes(Path.Combine(dir.Path, "train", "a", "gray.png"), png.ToArray());
        }
        // 1600×1200 JPEG: decoded at a reduced scale, still a solid color.
        DataWriters.Image(Path.Combine(dir.Path, "train", "b", "big.jpg"), 1600, 1200, Colors[2], SKEncodedImageFormat.Jpeg);
        DataWriters.Image(Path.Combine(dir.Path, "test", "a", "t.png"), 4, 4, Colors[0]);
        var train = FolderSource.Open("folder:x", dir.Path, new DataOptions { ImageSize = 16 }).Train;
        var x = new float[2 * 3 * 256];
        train.Load([0, 1], x, false, new Random(0));
        for (int ch = 0; ch < 3; ch++)
            for (int p = 0; p < 256; p++)
            {
                Assert.Equal(Normalized(ch, 90), x[ch * 256 + p], 2);
                byte[] rgb = [Colors[2].Red, Colors[2].Green, Colors[2].Blue];
                Assert.Equal(Normalized(ch, rgb[ch]), x[768 + ch * 256 + p], 0.1);
            }
    }

    [Fact]
    public void FlatTree_CarvesTest_TrainTestOnly_CarvesValidation()
    {
        using var dir = new TempDirectory();
        Tree(dir.Path, ["."], ["a", "b"], 10);
        var flat = FolderSource.Open("folder:x", dir.Path, new DataOptions { ImageSize = 8 });
        Assert.Equal(2, flat.Test.Count);
        Assert.Equal(18, flat.Train.Count);
        Assert.Null(flat.Validation);

        using var split = new TempDirectory();
        Tree(split.Path, ["train", "test"], ["a", "b"], 2);
        var bundle = DataSources.Open("folder:" + split.Path, new DataOptions { ImageSize = 8, ValidationSize = 2 });
        Assert.Equal(2, bundle.Train.Count);
        Assert.Equal(2, bundle.Validation.Count);
        Assert.Equal(4, bundle.Test.Count);
    }

    [Fact]
    public void TrainVal_WithoutTest_ValBecomesTest()
    {
        using var dir = new TempDirectory();
        Tree(dir.Path, ["train", "val"], ["a", "b"], 2);
        var source = FolderSource.Open("folder:x", dir.Path, new DataOptions { ImageSize = 8 });
        Assert.Null(source.Validation);
        Assert.Equal(4, source.Test.Count);
        Assert.Contains(source.Notes, n => n.Contains("val/ is the test split"));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, "jpg")]
    [InlineData(SKEncodedImageFormat.Png, "png")]
    public void TruncatedAndCorruptImages_NameFileOffsetAndRecord(SKEncodedImageFormat format, string ext)
    {
        using var dir = new TempDirectory();
        Tree(dir.Path, ["train", "test"], ["a", "b"], 2, format);
        DataWriters.NoiseImage(Path.Combine(dir.Path, "test", "b", $"img1.{ext}"), 64, 64, format);
        // Opened while whole (opening checks every header); the files break afterwards, so decoding must name them.
        var source = FolderSource.Open("folder:x", dir.Path, new DataOptions { ImageSize = 8 });
        // Pixel data cut in the middle: the decoder reports incomplete input.
        string truncated = Path.Combine(dir.Path, "test", "b", $"img1.{ext}");
        DataWriters.NoiseImage(truncated, 64, 64, format);
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        // Header cut: no codec can even start.
        string headerCut = Path.Combine(dir.Path, "test", "b", $"img0.{ext}");
        File.WriteAllBytes(headerCut, File.ReadAllBytes(headerCut)[..20]);
        string corrupt = Path.Combine(dir.Path, "test", "a", $"img0.{ext}");
        File.WriteAllText(corrupt, "this is not an image");
        var x = new float[192];

        var e = Assert.Throws<DataFormatException>(() => source.Test.Load([3], x, false, new Random(0)));
        Assert.Contains(truncated, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("record 3", e.Message);
        Assert.Contains($"byte offset {bytes.Length / 2}", e.Message);

        var h = Assert.Throws<DataFormatException>(() => source.Test.Load([2], x, false, new Random(0)));
        Assert.Contains(headerCut, h.Message);
        Assert.Contains("truncated or corrupt", h.Message);
        Assert.Contains("record 2, byte offset 20", h.Message);

        var c = Assert.Throws<DataFormatException>(() => source.Test.Load([0], x, false, new Random(0)));
        Assert.Contains(corrupt, c.Message);
        Assert.Contains("not a decodable image", c.Message);
        Assert.Contains("record 0", c.Message);
    }

    [Fact]
    public void LayoutErrors_AreUsageErrors()
    {
        using var dir = new TempDirectory();
        Tree(dir.Path, ["train", "test"], ["a", "b"], 1);
        Tree(Path.Combine(dir.Path, "test"), ["."], ["zzz"], 1);
        Assert.Contains("has no counterpart in the training folder",
            Assert.Throws<UsageException>(() => FolderSource.Open("folder:x", dir.Path, new DataOptions())).Message);

        using var empty = new TempDirectory();
        empty.Sub("train", "a");
        empty.Sub("test", "a");
        Assert.Contains("no images", Assert.Throws<UsageException>(() => FolderSource.Open("folder:x", empty.Path, new DataOptions())).Message);

        using var trainOnly = new TempDirectory();
        Tree(trainOnly.Path, ["train"], ["a"], 1);
        Assert.Contains("neither test/ nor val/", Assert.Throws<UsageException>(() => FolderSource.Open("folder:x", trainOnly.Path, new DataOptions())).Message);
    }

    [Fact]
    public void PlantNetV11_JsonMetadata_IsRecognized_WithSpeciesNames()
    {
        using var dir = new TempDirectory();
        Tree(Path.Combine(dir.Path, "images"), ["train", "val", "test"], ["1355868", "1355920"], 1);
        File.WriteAllText(dir.File("plantnet300K_metadata.json"), """{"a1b2": {"species_id": "1355868", "split": "train"}}""");
        File.WriteAllText(dir.File("plantnet300K_species_id_2_name.json"), """{"1355868": "Lactuca virosa L.", "1355920": "Pelargonium capitatum (L.) L'Hér."}""");
        var bundle = DataSources.Open("folder:" + dir.Path, new DataOptions { ImageSize = 8 });
        Assert.Contains(bundle.Notes, n => n == "Pl@ntNet-300K v1.1 (1,081 species, JSON metadata)");
        Assert.Contains(bundle.Notes, n => n.Contains("2 species folders found, the release has 1,081"));
        Assert.Equal(["Lactuca virosa L.", "Pelargonium capitatum (L.) L'Hér."], bundle.Train.ClassNames);
        Assert.Equal(2, bundle.Validation.Count); // shipped val split used as is

        // Pointing at images/ finds the metadata one level up.
        var inner = DataSources.Open("folder:" + Path.Combine(dir.Path, "images"), new DataOptions { ImageSize = 8 });
        Assert.Contains(inner.Notes, n => n == "Pl@ntNet-300K v1.1 (1,081 species, JSON metadata)");
        Assert.Equal("Lactuca virosa L.", inner.Train.ClassNames[0]);
    }

    [Fact]
    public void PlantNetV2_CsvMetadata_IsRecognized_WithSpeciesNames()
    {
        using var dir = new TempDirectory();
        Tree(Path.Combine(dir.Path, "images"), ["train", "val", "test"], ["0000", "0001", "0002"], 1);
        File.WriteAllLines(dir.File("plantnet300K_metadata.csv"), ["species_id,PN_observation_id,organ,author,license,split,PN_hash", "0,1,leaf,x,cc-by-sa,train,abc"]);
        File.WriteAllLines(dir.File("species_metadata.csv"),
            ["species_id,full_species,genus", "0,\"Acer campestre L.\",Acer", "1,\"Quercus ilex L., 1753\",Quercus", "2,Olea europaea L.,Olea"]);
        var bundle = DataSources.Open("folder:" + dir.Path, new DataOptions { ImageSize = 8 });
        Assert.Contains(bundle.Notes, n => n == "Pl@ntNet-300K v2 (1,000 species, CSV metadata)");
        Assert.Equal(["Acer campestre L.", "Quercus ilex L., 1753", "Olea europaea L."], bundle.Train.ClassNames);
    }

    [Fact]
    public void PlantNetV2_BadSpeciesCsv_NamesFile()
    {
        using var dir = new TempDirectory();
        Tree(Path.Combine(dir.Path, "images"), ["train", "test"], ["0000"], 1);
        File.WriteAllLines(dir.File("plantnet300K_metadata.csv"), ["species_id,split"]);
        File.WriteAllLines(dir.File("species_metadata.csv"), ["id,name", "0,x"]);
        var e = Assert.Throws<DataFormatException>(() => FolderSource.Open("folder:x", dir.Path, new DataOptions()));
        Assert.Contains("species_metadata.csv", e.Message);
        Assert.Contains("species_id and full_species", e.Message);
    }
}
