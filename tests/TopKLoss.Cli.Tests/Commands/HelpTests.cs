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
