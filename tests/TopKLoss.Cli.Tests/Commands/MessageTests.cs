using TopKLoss.Cli.Tests.Support;

namespace TopKLoss.Cli.Tests.Commands;

/// <summary>Option errors name the option and what it expects in words; file errors name the user's file; % everywhere; plurals right.</summary>
public class MessageTests
{
    private static string ErrorLine(params string[] args)
    {
        var (code, _, error) = CliRunner.Run(args);
        Assert.True(code == 2, $"exit {code}: {error}");
        return Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("--k", "abc", "--k expects an integer; got 'abc'")]
    [InlineData("--lr", "fast", "--lr expects a number; got 'fast'")]
    [InlineData("--image-size", "big", "--image-size expects an integer; got 'big'")]
    public void ATypeErrorIsSaidInWords(string option, string value, string expected)
    {
        string line = ErrorLine("train", option, value);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("System.", line);
    }

    [Fact]
    public void ImageSizeOutOfRangeNamesTheRange() =>
        Assert.Contains("--image-size must be an integer in [8, 1024]; got 4", ErrorLine("train", "--data", CliRunner.TinyData, "--image-size", "4"));

    [Fact]
    public void EvalCsvErrorsNameTheFileTheUserGave()
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        CliRunner.RunOk("train", "--data", CliRunner.TinyData, "--epochs", "1", "--out", run);
        string folder = ErrorLine("eval", "--checkpoint", run, "--csv", temp.Path);
        Assert.Contains($"--csv {temp.Path} is a folder", folder);
        string missing = ErrorLine("eval", "--checkpoint", run, "--csv", "/nonexistent/x.csv");
        Assert.Contains("--csv /nonexistent/x.csv", missing);
        Assert.Contains("folder /nonexistent does not exist", missing);
        Assert.DoesNotContain(".tmp", missing);
    }

    [Fact]
    public void AtomicWriteErrorsNameTheTargetNotItsTemporaryFile()
    {
        var e = Assert.ThrowsAny<IOException>(() => Cli.Training.AtomicFile.WriteText("/nonexistent/x.csv", "a"));
        Assert.Contains("cannot write /nonexistent/x.csv", e.Message);
        Assert.DoesNotContain("x.csv.tmp", e.Message);
    }

    [Fact]
    public void InitWeightsOfAnotherKindNameTheFile()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["hostname"], "myhost\n");
        string line = ErrorLine("train", "--data", CliRunner.TinyData, "--epochs", "1", "--init-weights", temp["hostname"], "--out", temp["run"]);
        Assert.Contains($"--init-weights {temp["hostname"]}", line);
        Assert.Contains("not TorchSharp weights of this model (mlp, linear head, 10 classes", line);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void EvalPrintsPercentsLikeTrainAndCountsArePluralizedRight()
    {
        using var temp = new TempFolder();
        string output = CliRunner.RunOk("compare", "--data", CliRunner.TinyData, "--losses", "ce", "--k", "2", "--seeds", "1", "--epochs", "1", "--out", temp["cmp"]);
        Assert.Contains("· 1 epoch · 1 seed", output);
        Assert.DoesNotContain("1 epochs", output);
        Assert.DoesNotContain("1 seeds", output);
        string eval = CliRunner.RunOk("eval", "--checkpoint", Path.Combine(temp["cmp"], "ce", "seed1234"), "--k", "1,2");
        Assert.Matches(@"top-1 \d+\.\d\d % \(macro \d+\.\d\d %\)", eval);
        Assert.DoesNotContain("_micro", eval);
    }
}
