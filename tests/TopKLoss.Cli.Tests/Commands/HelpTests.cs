using TopKLoss.Cli.Tests.Support;

namespace TopKLoss.Cli.Tests.Commands;

public class HelpTests
{
    [Fact]
    public void RootHelpListsEveryCommand()
    {
        string output = CliRunner.RunOk("--help");
        foreach (var command in new[] { "demo", "train", "eval", "compare" })
            Assert.Contains(command, output);
    }

    [Theory]
    [InlineData("train", new[] { "--data", "--model", "--loss", "--tau", "--alpha", "--epsilon", "--samples", "--gamma", "--max-margin", "--scale",
        "--epochs", "--batch-size", "--lr", "--momentum", "--nesterov", "--weight-decay", "--milestones", "--gamma-lr", "--noise",
        "--noise-groups", "--groups", "--train-size", "--long-tail", "--k", "--early-stop", "--seed", "--device", "--out", "--resume",
        "--force", "--init-weights", "--normed-head" })]
    [InlineData("eval", new[] { "--checkpoint", "--data", "--k", "--csv" })]
    [InlineData("compare", new[] { "--losses", "--seeds", "--report-k", "--out", "--force" })]
    [InlineData("demo", new[] { "--out", "--force" })]
    public void CommandHelpListsItsOptions(string command, string[] options)
    {
        var (code, output, error) = CliRunner.Run(command, "--help");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        foreach (var option in options)
            Assert.Contains(option, output);
    }

    [Fact]
    public void CompareHelpNamesEveryKnownLoss()
    {
        string output = CliRunner.RunOk("compare", "--help");
        foreach (var loss in new[] { "ce", "smooth-svm", "hard-svm", "noised", "imbalanced-noised", "focal", "ldam" })
            Assert.Contains(loss, output);
    }
}

public class DemoPresetTests
{
    [Fact]
    public void DemoPresetIsTheIssuesComparison()
    {
        var preset = TopKLoss.Cli.Commands.DemoCommand.Preset;
        Assert.Equal(["ce", "smooth-svm", "noised"], TopKLoss.Cli.Commands.DemoCommand.Losses);
        Assert.Equal("synthetic", preset.DataSpec);
        Assert.Equal(5, preset.LossOptions.K);
        Assert.Equal(0.4, preset.Data.Noise);
        Assert.Equal("coarse", preset.Data.NoiseGroups);
        // Every demo loss accepts k = 5 on the synthetic dataset's 100 classes.
        foreach (var loss in TopKLoss.Cli.Commands.DemoCommand.Losses)
            TopKLoss.Cli.Training.LossRegistry.Validate(loss, preset.LossOptions.K, 100);
    }
}
