using TopKLoss.Cli.Commands;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Tests.Support;

namespace TopKLoss.Cli.Tests.Commands;

/// <summary>Every input is checked before the first epoch; a file that fails later is still a one-line user error naming it.</summary>
public class InputValidationTests
{
    private static void AssertNamedBeforeTraining((int Code, string Out, string Err) result, string file, string why)
    {
        Assert.True(result.Code == 2, $"exit {result.Code}: {result.Err}");
        string line = Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("internal error", line);
        Assert.Contains(file, line);
        Assert.Contains(why, line);
        Assert.DoesNotContain("epoch", result.Out);   // no training started
    }

    [Theory]
    [InlineData("train", "truncated")]
    [InlineData("val", "not a decodable image")]
    [InlineData("test", "empty file")]
    public void ABrokenImageInAnySplitIsNamedBeforeTraining(string split, string why)
    {
        using var temp = new TempFolder();
        ImageTrees.Write(temp["data"], ["train", "val", "test"], 2, 6, 12);
        string bad = Path.Combine(temp["data"], split, "class1", "img4.png");
        switch (why)
        {
            case "truncated": ImageTrees.Truncate(bad); break;
            case "not a decodable image": File.WriteAllText(bad, "this is no image, only a file named .png"); break;
            default: File.WriteAllBytes(bad, []); break;
        }
        AssertNamedBeforeTraining(CliRunner.Run("train", "--data", "folder:" + temp["data"], "--epochs", "1", "--k", "1", "--out", temp["run"]), bad, why);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void AFileThatFailsToDecodeInParallelLoadingIsAUserErrorNamingIt()
    {
        using var temp = new TempFolder();
        ImageTrees.Write(temp["data"], ["train", "test"], 2, 8, 12);
        string bad = Path.Combine(temp["data"], "train", "class0", "img3.png");
        // The file breaks after the headers were checked (say, a disk error): decoding, which runs in
        // parallel within a batch (Parallel.For wraps errors in AggregateException), must still name it.
        var environment = CliRunner.Environment with
        {
            OpenData = (spec, options) =>
            {
                var bundle = DataSources.Open(spec, options);
                ImageTrees.Truncate(bad);
                return bundle;
            },
        };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(["train", "--data", "folder:" + temp["data"], "--epochs", "1", "--k", "1", "--batch-size", "8", "--out", temp["run"]],
            stdout, stderr, environment);
        Assert.True(code == 2, $"exit {code}: {stderr}");
        string line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("internal error", line);
        Assert.DoesNotContain("AggregateException", line);
        Assert.Contains(bad, line);
        Assert.Contains("truncated", line);
        Assert.False(Directory.Exists(temp["run"]), "a run that failed before its first checkpoint leaves nothing");
    }

    [Fact]
    public void AggregateExceptionsAreUnwrappedToTheirFirstError()
    {
        var inner = new DataFormatException("/data/x.png: truncated");
        Assert.Same(inner, Program.Unwrap(new AggregateException(new AggregateException(inner))));
    }

    [Fact]
    public void ImageSizeDefaultsToTheImagesOwnSizeAndCanBeChosen()
    {
        using var temp = new TempFolder();
        ImageTrees.Write(temp["data"], ["train", "test"], 2, 10, 20);
        CliRunner.RunOk("train", "--data", "folder:" + temp["data"], "--epochs", "1", "--k", "1", "--out", temp["auto"]);
        var auto = Cli.Reporting.Json.Read<RunConfig>(Path.Combine(temp["auto"], RunConfig.FileName));
        Assert.Equal([3, 20, 20], auto.SampleShape);
        // An MLP on 20×20 images: 1200·256 + 256·256 + 256·2 weights (+ biases), not 224×224's 38.5 million.
        long expected = 4 * (1200L * 256 + 256 + 256 * 256 + 256 + 256 * 2 + 2);
        Assert.InRange(new FileInfo(Path.Combine(temp["auto"], "best-model.bin")).Length, expected, expected + 4096);

        CliRunner.RunOk("train", "--data", "folder:" + temp["data"], "--epochs", "1", "--k", "1", "--image-size", "8", "--out", temp["eight"]);
        Assert.Equal([3, 8, 8], Cli.Reporting.Json.Read<RunConfig>(Path.Combine(temp["eight"], RunConfig.FileName)).SampleShape);
        // eval decodes at the trained size without being told.
        Assert.Contains("top-1", CliRunner.RunOk("eval", "--checkpoint", temp["eight"], "--k", "1"));
    }
}
