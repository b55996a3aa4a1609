using TopKLoss.Cli.Tests.Support;

namespace TopKLoss.Cli.Tests.Commands;

/// <summary>
/// Every user error: exit code 2, exactly one line on stderr that names the culprit, no stack
/// trace, and no run folder left behind.
/// </summary>
public class ErrorPathTests
{
    private static void AssertUsageError((int Code, string Out, string Err) result, params string[] mustMention)
    {
        Assert.True(result.Code == 2, $"exit {result.Code}, stderr: {result.Err}");
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("topk: ", lines[0]);
        Assert.DoesNotContain(" at TopKLoss", result.Err);
        Assert.DoesNotContain("internal error", result.Err);
        foreach (var text in mustMention) Assert.Contains(text, lines[0]);
    }

    public static TheoryData<string[], string[]> TrainErrors => new()
    {
        { ["--loss", "hinge"], ["--loss", "hinge", "smooth-svm"] },
        { ["--model", "vgg"], ["--model", "vgg", "resnet18"] },
        { ["--data", "imagenet:/nowhere"], ["imagenet"] },
        { ["--data", "fashion-mnist:/no/such/dir"], ["/no/such/dir"] },
        { ["--epochs", "0"], ["--epochs", "[1, 100000]"] },
        { ["--epochs", "abc"], ["abc"] },
        { ["--batch-size", "0"], ["--batch-size", "[1, 65536]"] },
        { ["--lr", "-0.1"], ["--lr", "> 0"] },
        { ["--momentum", "1"], ["--momentum", "[0, 1)"] },
        { ["--nesterov", "--momentum", "0"], ["--nesterov", "--momentum"] },
        { ["--weight-decay", "-1"], ["--weight-decay", "≥ 0"] },
        { ["--milestones", "5,3"], ["--milestones", "increasing"] },
        { ["--milestones", "x"], ["--milestones", "'x'"] },
        { ["--gamma-lr", "2"], ["--gamma-lr", "(0, 1]"] },
        { ["--noise", "1.5"], ["--noise", "[0, 1]"] },
        { ["--noise-groups", "siblings"], ["--noise-groups", "published, coarse"] },
        { ["--groups", "/no/such/groups.txt"], ["--groups", "/no/such/groups.txt"] },
        { ["--train-size", "0"], ["--train-size"] },
        { ["--long-tail", "0.5"], ["--long-tail", "[1, "] },
        { ["--k", "0"], ["--k", "[1, "] },
        { ["--k", "10"], ["--k", "[1, 9]", "10 classes"] },
        { ["--loss", "noised", "--k", "10"], ["--k", "[1, 9]", "noised"] },
        { ["--early-stop", "loss"], ["--early-stop", "topk, macro-topk"] },
        { ["--seed", "-1"], ["--seed"] },
        { ["--device", "tpu"], ["--device", "cpu, cuda"] },
        { ["--threads", "0"], ["--threads", "[1, 1024]"] },
        { ["--tau", "0"], ["--tau", "> 0"] },
        { ["--alpha", "-1"], ["--alpha", "≥ 0"] },
        { ["--epsilon", "-1"], ["--epsilon", "≥ 0"] },
        { ["--samples", "0"], ["--samples", "[1, 100000]"] },
        { ["--gamma", "-2"], ["--gamma", "≥ 0"] },
        { ["--max-margin", "0"], ["--max-margin", "> 0"] },
        { ["--scale", "0"], ["--scale", "> 0"] },
        { ["--init-weights", "/no/such/weights.bin"], ["--init-weights", "/no/such/weights.bin"] },
        { ["--model", "cnn"], ["--model cnn", "image"] },
        { ["--resume"], ["--resume", "resumable"] },
        { ["--no-such-option"], ["--no-such-option"] },
    };

    /// <summary>command --data TINY --epochs 1 --out OUT, minus the options that <paramref name="extra"/> sets itself.</summary>
    private static string[] WithDefaults(string command, string output, string[] extra)
    {
        var args = new List<string> { command };
        foreach (var (option, value) in new[] { ("--data", CliRunner.TinyData), ("--epochs", "1"), ("--out", output) })
            if (!extra.Contains(option)) args.AddRange([option, value]);
        return args.Concat(extra).ToArray();
    }

    [Theory]
    [MemberData(nameof(TrainErrors))]
    public void TrainRejectsBadInput(string[] extra, string[] mustMention)
    {
        using var temp = new TempFolder();
        string output = temp["run"];
        AssertUsageError(CliRunner.Run(WithDefaults("train", output, extra)), mustMention);
        Assert.False(Directory.Exists(output), "a failed command must not leave a run folder");
    }

    [Fact]
    public void NoCommandIsAUsageError() => AssertUsageError(CliRunner.Run());

    [Fact]
    public void UnknownCommandIsAUsageError() => AssertUsageError(CliRunner.Run("fit"), "fit");

    [Fact]
    public void EvalWithMissingCheckpointFolder()
    {
        using var temp = new TempFolder();
        AssertUsageError(CliRunner.Run("eval", "--checkpoint", temp["absent"]), "--checkpoint", "absent");
    }

    [Fact]
    public void EvalOnAFolderThatIsNotARun()
    {
        using var temp = new TempFolder();
        AssertUsageError(CliRunner.Run("eval", "--checkpoint", temp.Path), "--checkpoint", "run.json");
    }

    [Fact]
    public void EvalWithoutCheckpointOption() => AssertUsageError(CliRunner.Run("eval"), "--checkpoint");

    [Fact]
    public void ResumeWithoutOut() => AssertUsageError(CliRunner.Run("train", "--resume"), "--resume", "--out");

    [Fact]
    public void ResumeWithoutCheckpoint()
    {
        using var temp = new TempFolder();
        AssertUsageError(CliRunner.Run("train", "--out", temp.Path, "--resume"), "--resume", "checkpoint");
    }

    [Fact]
    public void ExistingOutFolderIsNotOverwrittenWithoutForce()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["precious.txt"], "another run");
        AssertUsageError(CliRunner.Run("train", "--data", CliRunner.TinyData, "--epochs", "1", "--out", temp.Path), "--out", "--force");
        Assert.True(File.Exists(temp["precious.txt"]));
        AssertUsageError(CliRunner.Run("compare", "--data", CliRunner.TinyData, "--epochs", "1", "--seeds", "1", "--out", temp.Path), "--out", "--force");
        Assert.True(File.Exists(temp["precious.txt"]));
    }

    [Fact]
    public void CorruptInitWeightsFailCleanly()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp["weights.bin"], [1, 2, 3]);
        var (code, _, error) = CliRunner.Run("train", "--data", CliRunner.TinyData, "--epochs", "1", "--out", temp["run"], "--init-weights", temp["weights.bin"]);
        Assert.NotEqual(0, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(temp["run"]), "nothing half-written may be left behind");
    }

    public static TheoryData<string[], string[]> CompareErrors => new()
    {
        { ["--losses", "ce,svm"], ["--losses", "svm"] },
        { ["--losses", "ce,ce"], ["--losses", "twice"] },
        { ["--seeds", "0"], ["--seeds", "[1, 100]"] },
        { ["--report-k", "1,10"], ["--report-k", "10"] },
    };

    [Theory]
    [MemberData(nameof(CompareErrors))]
    public void CompareRejectsBadInput(string[] extra, string[] mustMention)
    {
        using var temp = new TempFolder();
        string output = temp["cmp"];
        AssertUsageError(CliRunner.Run(WithDefaults("compare", output, extra)), mustMention);
        Assert.False(Directory.Exists(output));
    }
}
