using TopKLoss.Cli.Tests.Support;

namespace TopKLoss.Cli.Tests.Commands;

/// <summary>--force replaces only a run folder topk wrote, and only once every input has been checked.</summary>
public class ForceSafetyTests
{
    private static readonly string[] TrainTiny = ["train", "--data", CliRunner.TinyData, "--epochs", "1"];

    private static string OneErrorLine((int Code, string Out, string Err) result)
    {
        Assert.True(result.Code == 2, $"exit {result.Code}: {result.Err}");
        return Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Every file below <paramref name="folder"/> with its content, to compare a folder before and after.</summary>
    private static Dictionary<string, string> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToBase64String(File.ReadAllBytes(f)));

    [Fact]
    public void ForceRefusesTheCurrentFolder()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["precious.txt"], "mine");
        Directory.CreateDirectory(temp["sub"]);
        string saved = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = temp.Path;
            string line = OneErrorLine(CliRunner.Run([.. TrainTiny, "--out", ".", "--force"]));
            Assert.Contains("--out .", line);
            Assert.Contains("current folder", line);
        }
        finally { Environment.CurrentDirectory = saved; }
        Assert.True(File.Exists(temp["precious.txt"]));
        Assert.True(Directory.Exists(temp["sub"]));
    }

    [Fact]
    public void ForceRefusesAFolderWithAForeignFile()
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        CliRunner.RunOk([.. TrainTiny, "--out", run]);
        File.WriteAllText(Path.Combine(run, "notes.txt"), "my notes about this run");
        string line = OneErrorLine(CliRunner.Run([.. TrainTiny, "--out", run, "--force"]));
        Assert.Contains("notes.txt", line);
        Assert.Contains("did not write", line);
        Assert.True(File.Exists(Path.Combine(run, "notes.txt")));
        Assert.True(File.Exists(Path.Combine(run, "metrics.json")), "the old run stays whole");

        // A folder topk never marked is refused even when it holds nothing but run-like names.
        string unmarked = temp["unmarked"];
        Directory.CreateDirectory(unmarked);
        File.WriteAllText(Path.Combine(unmarked, "run.json"), "{}");
        Assert.Contains("did not write", OneErrorLine(CliRunner.Run([.. TrainTiny, "--out", unmarked, "--force"])));
        Assert.True(File.Exists(Path.Combine(unmarked, "run.json")));
    }

    [Fact]
    public void ForceRefusesAFolderHoldingTheDataset()
    {
        using var temp = new TempFolder();
        ImageTrees.Write(temp["txt"], ["train", "test"], 2, 10, 8);
        File.WriteAllText(temp["precious.txt"], "mine");
        string line = OneErrorLine(CliRunner.Run("train", "--data", "folder:" + temp["txt"], "--epochs", "1", "--k", "1", "--out", temp.Path, "--force"));
        Assert.Contains("holds the input", line);
        Assert.True(File.Exists(temp["precious.txt"]));
        Assert.Equal(40, Directory.GetFiles(temp["txt"], "*.png", SearchOption.AllDirectories).Length);
        // Nor may a run go inside the dataset folder.
        Assert.Contains("inside the dataset folder",
            OneErrorLine(CliRunner.Run("train", "--data", "folder:" + temp["txt"], "--epochs", "1", "--k", "1", "--out", Path.Combine(temp["txt"], "run"))));
    }

    [Fact]
    public void OldRunIsKeptWhenTheNewInputsAreBad()
    {
        using var temp = new TempFolder();
        string run = temp["prev"];
        CliRunner.RunOk([.. TrainTiny, "--out", run]);
        var before = Snapshot(run);
        ImageTrees.Write(temp["trunc"], ["train", "test"], 2, 10, 16);
        ImageTrees.Truncate(Path.Combine(temp["trunc"], "test", "class1", "img2.png"));
        string line = OneErrorLine(CliRunner.Run("train", "--data", "folder:" + temp["trunc"], "--epochs", "1", "--k", "1", "--out", run, "--force"));
        Assert.Contains("img2.png", line);
        Assert.Equal(before, Snapshot(run));
        Assert.Empty(Directory.GetDirectories(temp.Path, ".prev.*"));
    }

    [Fact]
    public void OldRunIsPutBackWhenTheNewRunFailsBeforeItsFirstCheckpoint()
    {
        using var temp = new TempFolder();
        string run = temp["prev"];
        CliRunner.RunOk([.. TrainTiny, "--out", run]);
        var before = Snapshot(run);
        // Inputs are fine, so the old run is moved aside; the new one diverges in its first epoch.
        var (code, _, error) = CliRunner.Run([.. TrainTiny, "--lr", "1e30", "--out", run, "--force"]);
        Assert.True(code == 2 && error.Contains("diverged"), $"exit {code}: {error}");
        Assert.Equal(before, Snapshot(run));
        Assert.Empty(Directory.GetDirectories(temp.Path, ".prev.*"));
    }

    [Fact]
    public void ForceReplacesAnOwnRunWholeAndLeavesNoOldFile()
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        CliRunner.RunOk([.. TrainTiny, "--out", run]);
        CliRunner.RunOk("eval", "--checkpoint", run, "--k", "1");   // eval-per-class.csv: topk's too
        Assert.True(File.Exists(Path.Combine(run, "eval-per-class.csv")));
        CliRunner.RunOk([.. TrainTiny, "--out", run, "--force", "--loss", "smooth-svm"]);
        Assert.False(File.Exists(Path.Combine(run, "eval-per-class.csv")), "no file of the old run may survive");
        Assert.Contains("smooth-svm", File.ReadAllText(Path.Combine(run, "run.json")));
        Assert.Single(Directory.GetFiles(Path.Combine(run, "tensorboard")));
        Assert.Empty(Directory.GetDirectories(temp.Path, ".run.*"));
    }
}
