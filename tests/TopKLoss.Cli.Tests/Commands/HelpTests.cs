using System.Text.RegularExpressions;
using TopKLoss.Cli.Tests.Support;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Tests.Commands;

/// <summary>
/// The help texts, read as System.CommandLine lays them out (a section heading such as "Options:",
/// then one entry per line: names, two or more spaces, description) and compared token by token:
/// "--gamma" is not found inside "--gamma-lr", nor "noised" inside "imbalanced-noised".
/// </summary>
public class HelpTests
{
    private static readonly string[] Losses = ["ce", "smooth-svm", "hard-svm", "noised", "imbalanced-noised", "focal", "ldam",
        "balanced-softmax", "logit-adjusted", "multi-k-svm"];

    private static readonly string[] TrainingOptions = ["--data", "--model", "--normed-head", "--init-weights", "--image-size", "--tau", "--alpha",
        "--epsilon", "--samples", "--gamma", "--max-margin", "--scale", "--k-mix", "--epochs", "--batch-size", "--lr", "--momentum", "--nesterov",
        "--weight-decay", "--milestones", "--gamma-lr", "--noise", "--noise-groups", "--groups", "--train-size", "--long-tail",
        "--validation-size", "--k", "--early-stop", "--seed", "--device", "--threads"];

    /// <summary>The prediction-set and report options (SetOptions, EvalReports) after the first, which names the coverage level.</summary>
    private static readonly string[] SetOptions = ["--set-score", "--raps-lambda", "--raps-k-reg", "--class-conditional", "--save-sets"];
    private static readonly string[] ReportOptions = ["--calibration", "--shot-table", "--many-shot", "--few-shot"];

    public static TheoryData<string, string[]> CommandOptions => new()
    {
        { "train", [.. TrainingOptions, "--loss", "--out", "--resume", "--force"] },
        { "eval", ["--checkpoint", "--data", "--k", "--csv", "--device", "--sets", "--set-size", "--alpha", .. SetOptions, .. ReportOptions] },
        { "compare", [.. TrainingOptions, "--losses", "--seeds", "--report-k", "--out", "--force", "--resume",
            "--sets", "--set-size", "--set-alpha", .. SetOptions, .. ReportOptions] },
        { "predict", ["--checkpoint", "--input", "--data", "--split", "--k", "--format", "--device", "--load-sets",
            "--sets", "--set-size", "--alpha", .. SetOptions] },
        { "demo", ["--out", "--force"] },
    };

    /// <summary>One help entry: its names (aliases, without the argument placeholder) and its description.</summary>
    private sealed record Entry(string[] Names, string Description);

    /// <summary>Section heading → its entries; the "Description" section's lines are entries without names.</summary>
    private static Dictionary<string, List<Entry>> Sections(string help)
    {
        var sections = new Dictionary<string, List<Entry>>();
        List<Entry>? current = null;
        bool prose = false; // Description and Usage hold text, not entries
        foreach (var line in help.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (Regex.Match(line, @"^(\S.*):$") is { Success: true } heading)
            {
                sections[heading.Groups[1].Value] = current = [];
                prose = heading.Groups[1].Value is "Description" or "Usage";
            }
            else if (current is null || line.Trim().Length == 0) continue;
            else if (prose) current.Add(new Entry([], line.Trim()));
            else if (Regex.Match(line, @"^  (\S.*?)(?:\s{2,}(\S.*))?$") is { Success: true } entry)
            {
                string names = Regex.Replace(entry.Groups[1].Value, @"<[^>]*>|\(REQUIRED\)", "");
                current.Add(new Entry(names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), entry.Groups[2].Value));
            }
        }
        return sections;
    }

    private static Dictionary<string, List<Entry>> HelpOf(params string[] command)
    {
        var (code, output, error) = CliRunner.Run([.. command, "--help"]);
        Assert.Equal(0, code);
        Assert.Equal("", error);
        return Sections(output);
    }

    private static string[] OptionNames(Dictionary<string, List<Entry>> help) => [.. help["Options"].SelectMany(e => e.Names)];

    private static string DescriptionOf(Dictionary<string, List<Entry>> help, string option) =>
        Assert.Single(help["Options"], e => e.Names.Contains(option)).Description;

    /// <summary>The loss names of compare's --losses entry: "Comma-separated losses: a, b, c [default: ...]".</summary>
    private static string[] ListedLosses(string description) =>
        Regex.Match(description, @"losses: (.*?) \[default").Groups[1].Value.Split(", ");

    /// <summary>The loss names of train's --loss entry: "Loss: a = summary; b = summary; ...".</summary>
    private static string[] DescribedLosses(string description) =>
        [.. Regex.Matches(description, @"(?:Loss: |; )([a-z-]+) = ").Select(m => m.Groups[1].Value)];

    [Fact]
    public void RootHelpListsEachCommandOnceWithItsOwnDescription()
    {
        var commands = HelpOf()["Commands"];
        Assert.Equal(["demo", "train", "eval", "compare", "predict"], commands.Select(c => Assert.Single(c.Names)));
        foreach (var command in commands)
            Assert.Equal(string.Join(" ", HelpOf(command.Names[0])["Description"].Select(l => l.Description)), command.Description);
    }

    [Theory, MemberData(nameof(CommandOptions))]
    public void CommandHelpListsExactlyItsOptions(string command, string[] options)
    {
        var help = HelpOf(command);
        Assert.Equal([.. options, "-?", "-h", "--help"], OptionNames(help));
        Assert.All(help["Options"], e => Assert.False(string.IsNullOrWhiteSpace(e.Description), $"{string.Join(", ", e.Names)} has no description"));
    }

    [Fact]
    public void TrainAndCompareHelpNameEveryKnownLossExactly()
    {
        Assert.Equal(Losses, LossRegistry.Names);
        Assert.Equal(Losses, ListedLosses(DescriptionOf(HelpOf("compare"), "--losses")));
        Assert.Equal(Losses, DescribedLosses(DescriptionOf(HelpOf("train"), "--loss")));
    }

    [Fact]
    public void TheReadingFindsNoNameInsideAnother()
    {
        // Without its own entries, --gamma and noised must be missing although --gamma-lr and imbalanced-noised remain.
        string train = CliRunner.RunOk("train", "--help");
        var withoutGamma = Sections(string.Join('\n', train.Split('\n').Where(l => !l.StartsWith("  --gamma <"))));
        Assert.DoesNotContain("--gamma", OptionNames(withoutGamma));
        Assert.Contains("--gamma-lr", OptionNames(withoutGamma));
        var loss = DescriptionOf(Sections(train), "--loss");
        var withoutNoised = DescribedLosses(Regex.Replace(loss, @"; noised = [^;]*", ""));
        Assert.Equal(Losses.Where(l => l != "noised"), withoutNoised);
        Assert.Equal(Losses.Where(l => l != "noised"), ListedLosses("losses: ce, smooth-svm, hard-svm, imbalanced-noised, focal, ldam, balanced-softmax, logit-adjusted, multi-k-svm [default: ce]"));
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
