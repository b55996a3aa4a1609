using TopKLoss.Cli.Commands;
using TopKLoss.Cli.Models;
using TopKLoss.Cli.Reporting;
using TopKLoss.Cli.Tests.Support;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Tests.Training;

public class ResumeTests
{
    /// <summary>The final weights of the run in <paramref name="folder"/>, read back from its checkpoint.</summary>
    private static Dictionary<string, float[]> FinalWeights(string folder)
    {
        var config = Json.Read<RunConfig>(Path.Combine(folder, RunConfig.FileName));
        using var model = ModelFactory.Create(config.Settings.Model, config.SampleShape, config.ClassCount, config.Settings.UsesNormedHead);
        using var optimizer = torch.optim.SGD(model.parameters(), 0.1, 0.9);
        using var generator = new torch.Generator(0);
        Checkpoint.Load(folder, model, optimizer, generator);
        return model.state_dict().ToDictionary(p => p.Key, p => p.Value.to(ScalarType.Float32).data<float>().ToArray());
    }

    [Fact]
    public void TwoEpochsPlusResumeEqualsFourEpochs()
    {
        using var temp = new TempFolder();
        // Noised loss (its noise generator must be restored), Nesterov momentum (optimizer buffers)
        // and a milestone after the interruption (the schedule must continue), with label noise.
        string[] common = ["train", "--data", CliRunner.TinyData, "--loss", "noised", "--k", "2", "--batch-size", "16", "--lr", "0.05",
            "--nesterov", "--milestones", "3", "--noise", "0.3"];
        CliRunner.RunOk([.. common, "--epochs", "4", "--out", temp["straight"]]);
        CliRunner.RunOk([.. common, "--epochs", "2", "--out", temp["interrupted"]]);
        string resumed = CliRunner.RunOk("train", "--out", temp["interrupted"], "--resume", "--epochs", "4");
        Assert.Contains("] epoch 3/4", resumed);
        Assert.DoesNotContain("] epoch 1/4", resumed);

        var expected = FinalWeights(temp["straight"]);
        var actual = FinalWeights(temp["interrupted"]);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, values) in expected)
        {
            double maxDiff = values.Zip(actual[name], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(maxDiff <= 1e-6, $"{name}: max |Δ| = {maxDiff}");
        }
        var straightHistory = Json.Read<TrainingStateFile>(Path.Combine(temp["straight"], TrainRun.MetricsFileName)).History;
        var resumedHistory = Json.Read<TrainingStateFile>(Path.Combine(temp["interrupted"], TrainRun.MetricsFileName)).History;
        Assert.Equal(straightHistory.Select(h => h.TrainLoss), resumedHistory.Select(h => h.TrainLoss));
    }

    private sealed record TrainingStateFile(List<EpochRecord> History);
}
