using System.Globalization;
using System.Text.Json;
using TopKLoss.Cli.Tests.Support;

namespace TopKLoss.Cli.Tests.Predict;

/// <summary>eval's and compare's --sets, --calibration and --shot-table reports.</summary>
public class EvalReportsTests
{
    private static double Number(string output, string pattern)
    {
        var match = System.Text.RegularExpressions.Regex.Match(output, pattern);
        Assert.True(match.Success, $"'{pattern}' not in:\n{output}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>A reports.json value: a number, or "NaN" (the macro accuracy of a shot group without classes).</summary>
    private static double Value(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetDouble();

    [Fact]
    public void Eval_reports_set_coverage_ece_and_the_shot_table_consistently_with_predict()
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        CliRunner.RunOk("train", "--data", CliRunner.TinyData, "--epochs", "2", "--k", "3", "--out", run);
        string output = CliRunner.RunOk("eval", "--checkpoint", run, "--k", "1,3", "--sets", "conformal", "--alpha", "0.2",
            "--calibration", "--shot-table", "--many-shot", "18", "--few-shot", "18");
        // predict's sets on the same test split give the same coverage and mean size.
        using var predicted = JsonDocument.Parse(CliRunner.RunOk("predict", "--checkpoint", run, "--format", "json", "--sets", "conformal", "--alpha", "0.2"));
        var predictions = predicted.RootElement.GetProperty("predictions").EnumerateArray().ToArray();
        double coverage = predictions.Average(p => p.GetProperty("set").EnumerateArray().Any(n => n.GetString() == p.GetProperty("label").GetString()) ? 1.0 : 0.0);
        double size = predictions.Average(p => p.GetProperty("set").GetArrayLength());
        Assert.Equal(Math.Round(100 * coverage, 2), Number(output, @"coverage (\d+\.\d{2}) %"));
        Assert.Equal(Math.Round(size, 3), Number(output, @"mean size (\d+\.\d{3})"));
        double ece = Number(output, @"ECE (\d+\.\d{2}) % \(15 equal-width bins, 100 samples\)");
        Assert.InRange(ece, 0.0, 100.0);
        Assert.True(File.Exists(Path.Combine(run, "reliability.png")));
        // 18 training samples per class (20 less 2 held out): all medium with both thresholds at 18, so medium = the overall macro accuracy.
        double macro1 = Number(output, @"top-1 \d+\.\d{2} % \(macro (\d+\.\d{2}) %\)");
        Assert.Contains("many      0 classes", output);
        Assert.Equal(macro1, Number(output, @"medium\s+10 classes \(10 in test\)\s+macro top-1 (\d+\.\d{2}) %"));
    }

    [Theory]
    [InlineData(new[] { "--save-sets", "x.json", "--sets", "conformal" }, "--save-sets belongs to predict")]
    [InlineData(new[] { "--few-shot", "200" }, "--few-shot must be an integer in [0, 101]")]
    [InlineData(new[] { "--sets", "average-k", "--set-size", "0" }, "--set-size must be in (0, 10]")]
    public void Eval_report_options_are_checked_before_any_work(string[] args, string message)
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        CliRunner.RunOk("train", "--data", CliRunner.TinyData, "--epochs", "1", "--out", run);
        var (code, _, error) = CliRunner.Run(["eval", "--checkpoint", run, .. args]);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.False(File.Exists(Path.Combine(run, "eval-per-class.csv")));
    }

    [Fact]
    public void Compare_reports_mean_and_std_over_seeds_with_the_new_losses()
    {
        using var temp = new TempFolder();
        string folder = temp["cmp"];
        string output = CliRunner.RunOk("compare", "--data", CliRunner.TinyData, "--losses", "ce,logit-adjusted,multi-k-svm", "--k-mix", "1:0.5,3:0.5",
            "--k", "3", "--seeds", "2", "--epochs", "1", "--long-tail", "4", "--sets", "average-k", "--set-size", "2", "--calibration", "--shot-table",
            "--out", folder);
        Assert.Contains("set_coverage", output);
        Assert.Contains("few_top3_macro", output);
        using var reports = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "reports.json")));
        var runs = reports.RootElement.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(6, runs.Length);
        foreach (var run in runs)
        {
            var test = run.GetProperty("test");
            Assert.InRange(test.GetProperty("ece").GetDouble(), 0.0, 1.0);
            Assert.InRange(test.GetProperty("set_mean_size").GetDouble(), 1.0, 3.5);   // average-k K = 2 fitted on validation
            Assert.True(File.Exists(Path.Combine(folder, run.GetProperty("loss").GetString()!, $"seed{run.GetProperty("seed").GetInt32()}", "reliability.png")));
        }
        // reports.json holds fractions; the table the mean ± std of the runs: coverage and accuracies in %, size and ECE plain.
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        int head = Array.FindIndex(lines, l => l.StartsWith("loss ", StringComparison.Ordinal) && l.Contains("set_coverage"));
        var columns = lines[head].Split(" | ").Select(c => c.Trim()).ToArray();
        Assert.Equal(["loss", "set_coverage", "set_macro_coverage", "set_worst_class_coverage", "set_mean_size", "ece"], columns.Take(6));
        Assert.Matches(@"^-+(-\|-+)+$", lines[head + 1]);
        string Expected(string name, double mean, double std) => name switch
        {
            "set_mean_size" => string.Create(CultureInfo.InvariantCulture, $"{mean:F3} ± {std:F3}"),
                        _ => string.Create(CultureInfo.InvariantCulture, $"{100 * mean:F2} ± {100 * std:F2}"),
        };
        string[] losses = ["ce", "logit-adjusted", "multi-k-svm"];
        for (int l = 0; l < losses.Length; l++)
        {
            var cells = lines[head + 2 + l].Split(" | ").Select(c => c.Trim()).ToArray();
            Assert.Equal(losses[l], cells[0]);
            for (int c = 1; c < columns.Length; c++)
            {
                var values = runs.Where(r => r.GetProperty("loss").GetString() == losses[l]).Select(r => Value(r.GetProperty("test").GetProperty(columns[c]))).ToArray();
                double mean = values.Average(), std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
                Assert.Equal(Expected(columns[c], mean, std), cells[c]);
            }
        }
        Assert.Equal("(coverage and accuracy in %, set_mean_size in classes, ece in %; mean ± std over 2 seeds, test split; " +
            $"{reports.RootElement.GetProperty("sets").GetString()} fitted on each run's validation split)", lines[head + 5]);
        Assert.Contains("reports.json (per-run values as fractions)", lines[head + 6]);
    }

    [Fact]
    public void Compare_checks_the_set_size_against_the_data_before_training()
    {
        using var temp = new TempFolder();
        var (code, _, error) = CliRunner.Run("compare", "--data", CliRunner.TinyData, "--losses", "ce", "--seeds", "1", "--epochs", "1",
            "--sets", "average-k", "--set-size", "12", "--out", temp["cmp"]);
        Assert.Equal(2, code);
        Assert.Contains("--set-size must be in (0, 10]", error);
        Assert.False(Directory.Exists(temp["cmp"]));
    }
}
