using System.Globalization;
using System.Text.Json;
using TopKLoss.Cli.Tests.Support;

namespace TopKLoss.Cli.Tests.Commands;

public class EndToEndTests
{
    [Fact]
    public void TrainTwoEpochsThenEvalReproducesTheTestMetrics()
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        string output = CliRunner.RunOk("train", "--data", CliRunner.TinyData, "--loss", "smooth-svm", "--k", "3", "--epochs", "2",
            "--batch-size", "32", "--lr", "0.05", "--noise", "0.2", "--noise-groups", "coarse", "--out", run);
        Assert.Contains("epoch 2/2", output);
        Assert.Contains("samples/s", output);
        foreach (var file in new[] { "run.json", "checkpoint.bin", "best-model.bin", "metrics.json", "curves.png", "test-per-class.csv" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        var events = Directory.GetFiles(Path.Combine(run, "tensorboard"), "events.out.tfevents.*");
        Assert.Single(events);
        Assert.Equal(1 + 2 * 5, TfRecordCount(events[0]));   // file header + 5 scalars per epoch
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));

        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        var test = metrics.RootElement.GetProperty("test");
        double top1 = test.GetProperty("top1_micro").GetDouble(), top3 = test.GetProperty("top3_micro").GetDouble();
        Assert.InRange(top1, 0.0, 1.0);
        Assert.True(top3 >= top1, "top-3 accuracy can never be below top-1");
        Assert.Equal(0.2, metrics.RootElement.GetProperty("nominal_noise").GetDouble());
        Assert.Equal(2, metrics.RootElement.GetProperty("history").GetArrayLength());

        string evalOutput = CliRunner.RunOk("eval", "--checkpoint", run, "--k", "1,3");
        // The best model on the same test split gives the same numbers as train reported.
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"top-1 {top1:P2} (macro "), evalOutput);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"top-3 {top3:P2} (macro "), evalOutput);
        var csv = File.ReadAllLines(Path.Combine(run, "eval-per-class.csv"));
        Assert.Equal("class,name,samples,top1,top3", csv[0]);
        Assert.Equal(11, csv.Length);   // header + 10 classes
        long samples = csv.Skip(1).Sum(line => long.Parse(line.Split(',')[2], CultureInfo.InvariantCulture));
        Assert.Equal(100, samples);     // 10 test samples per class
    }

    [Fact]
    public void CompareRunsEveryLossOnEverySeedAndWritesTableJsonAndPlots()
    {
        using var temp = new TempFolder();
        string folder = temp["cmp"];
        string output = CliRunner.RunOk("compare", "--data", CliRunner.TinyData, "--losses", "ce,noised", "--seeds", "2", "--k", "2",
            "--epochs", "1", "--batch-size", "50", "--report-k", "1,2,3", "--out", folder);
        Assert.Contains("top-1", output);
        Assert.Contains("macro top-2", output);
        Assert.Contains("±", output);
        foreach (var file in new[] { "results.json", "table.txt", "bars.png", "curves.png" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
        var runs = results.RootElement.GetProperty("runs");
        Assert.Equal(4, runs.GetArrayLength());
        Assert.Equal(["ce", "ce", "noised", "noised"], runs.EnumerateArray().Select(r => r.GetProperty("loss").GetString()!).ToArray());
        Assert.Equal([1234, 1235, 1234, 1235], runs.EnumerateArray().Select(r => r.GetProperty("seed").GetInt32()).ToArray());
        // The summary's mean is the mean of the runs.
        var summary = results.RootElement.GetProperty("summary")[0].GetProperty("metrics")[0];
        double expected = runs.EnumerateArray().Take(2).Average(r => r.GetProperty("test").GetProperty("top1_micro").GetDouble());
        Assert.Equal(expected, summary.GetProperty("mean").GetDouble(), 12);
        Assert.True(File.Exists(Path.Combine(folder, "noised", "seed1235", "metrics.json")));
    }

    /// <summary>Records in a TFRecord file: each is length (8 bytes), length CRC (4), data, data CRC (4).</summary>
    private static int TfRecordCount(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int count = 0;
        for (long at = 0; at < bytes.Length; count++)
            at += 8 + 4 + BitConverter.ToInt64(bytes, (int)at) + 4;
        return count;
    }

    [Fact]
    public void DivergingTrainingStopsWithAUsageError()
    {
        using var temp = new TempFolder();
        var (code, _, error) = CliRunner.Run("train", "--data", CliRunner.TinyData, "--epochs", "2", "--lr", "1e30", "--out", temp["run"]);
        Assert.Equal(2, code);
        Assert.Contains("diverged", error);
        Assert.Contains("--lr", error);
    }
}
