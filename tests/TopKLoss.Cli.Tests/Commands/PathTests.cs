using TopKLoss.Cli.Commands;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Tests.Support;

namespace TopKLoss.Cli.Tests.Commands;

/// <summary>run.json stores absolute paths: eval and --resume work from any current folder.</summary>
public class PathTests
{
    [Fact]
    public void EvalAndResumeWorkFromAnotherFolder()
    {
        using var temp = new TempFolder();
        ImageTrees.Write(temp["imgs"], ["train", "test"], 2, 10, 8);
        Directory.CreateDirectory(temp["elsewhere"]);
        string saved = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = temp.Path;
            CliRunner.RunOk("train", "--data", "folder:imgs", "--epochs", "1", "--k", "1", "--out", "run1");
            Environment.CurrentDirectory = temp["elsewhere"];
            var config = Json.Read<RunConfig>(Path.Combine(temp["run1"], RunConfig.FileName));
            Assert.Equal("folder:" + temp["imgs"], config.Settings.DataSpec);
            Assert.Contains("top-1", CliRunner.RunOk("eval", "--checkpoint", temp["run1"], "--k", "1"));
            Assert.Contains("] epoch 2/2", CliRunner.RunOk("train", "--out", temp["run1"], "--resume", "--epochs", "2"));
        }
        finally { Environment.CurrentDirectory = saved; }
    }

    [Fact]
    public void InputPathsAreMadeAbsoluteAndSyntheticKnobsLeftAlone()
    {
        Assert.Equal("synthetic:classes=10", InputPaths.AbsoluteSpec("synthetic:classes=10"));
        Assert.Equal("folder:" + Path.GetFullPath("imgs"), InputPaths.AbsoluteSpec("folder:imgs"));
        var s = InputPaths.Absolute(new Cli.Training.TrainSettings { InitWeights = "w.bin", Data = new Cli.Data.DataOptions { NoiseGroups = "groups.txt" } });
        Assert.Equal(Path.GetFullPath("w.bin"), s.InitWeights);
        Assert.Equal(Path.GetFullPath("groups.txt"), s.Data.NoiseGroups);
        Assert.Equal("coarse", InputPaths.Absolute(new Cli.Training.TrainSettings { Data = new Cli.Data.DataOptions { NoiseGroups = "coarse" } }).Data.NoiseGroups);
    }
}
