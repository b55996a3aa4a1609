using System.Text.Json;
using TopKLoss.Cli.Tests.Support;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Tests.Training;

/// <summary>A loss that explodes stops the run with the likely cause; the cosine-head losses get their head.</summary>
public class DivergenceTests
{
    [Fact]
    public void AFiniteLossThatGrowsHundredfoldStopsTheRunNamingTheLearningRate()
    {
        using var temp = new TempFolder();
        var (code, _, error) = CliRunner.Run("train", "--data", CliRunner.TinyData, "--loss", "hard-svm", "--k", "2", "--epochs", "3",
            "--lr", "50", "--out", temp["run"]);
        Assert.True(code == 2, $"exit {code}: {error}");
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("diverged", line);
        Assert.Contains("100× its first value", line);
        Assert.Contains("--lr (now 50)", line);
        Assert.False(Directory.Exists(temp["run"]), "it diverged before its first checkpoint: nothing kept");
    }

    [Fact]
    public void GuardBoundIsRelativeToTheFirstLossWithAFloorOfOne()
    {
        var guard = new DivergenceGuard(new TrainSettings { Loss = "smooth-svm", LearningRate = 0.1 });
        guard.Check(0.5, 1, 1);     // first value 0.5: the bound is 100 × max(1, 0.5) = 100
        guard.Check(100, 1, 2);
        var e = Assert.Throws<UsageException>(() => guard.Check(100.5, 1, 3));
        Assert.Contains("at epoch 1, batch 3", e.Message);
        Assert.Contains("NaN", Assert.Throws<UsageException>(() => new DivergenceGuard(new TrainSettings()).Check(double.NaN, 2, 7)).Message);
    }

    [Fact]
    public void ANonFiniteParameterAtAnEpochsEndIsNamedBeforeItsCheckpoint()
    {
        using var scope = NewDisposeScope();
        using var model = nn.Sequential(("first", nn.Linear(3, 4)), ("second", nn.Linear(4, 2)));
        var parameters = model.named_parameters().ToList();
        var guard = new DivergenceGuard(new TrainSettings { LearningRate = 0.05 });
        guard.CheckParameters(parameters, 1);
        using var noGrad = no_grad();
        foreach (var (bad, poison) in new[] { ("first.bias", float.NaN), ("second.weight", float.PositiveInfinity) })
        {
            var parameter = parameters.Single(p => p.name == bad).parameter;
            using var saved = parameter.clone();
            using (var value = poison.ToScalar()) parameter[0].fill_(value);
            var e = Assert.Throws<UsageException>(() => guard.CheckParameters(parameters, 3));
            Assert.Contains($"training diverged: {bad} not finite after the last step", e.Message);
            Assert.Contains("the epoch's checkpoint was not written) at the end of epoch 3", e.Message);
            Assert.Contains("--lr (now 0.05)", e.Message);
            parameter.copy_(saved);
        }
        guard.CheckParameters(parameters, 4);
        using (var nan = float.NaN.ToScalar()) foreach (var (_, p) in parameters) p.fill_(nan);
        var all = Assert.Throws<UsageException>(() => guard.CheckParameters(parameters, 1));
        Assert.Contains("first.weight and 3 more of the 4 parameters not finite", all.Message);
    }

    [Fact]
    public void ACosineHeadLossTrainedWithoutItsHeadIsNamedAsTheCause()
    {
        var guard = new DivergenceGuard(new TrainSettings { Loss = "ldam", NormedHead = false, LearningRate = 0.1 });
        guard.Check(4, 1, 1);
        var e = Assert.Throws<UsageException>(() => guard.Check(double.PositiveInfinity, 1, 2));
        Assert.Contains("ldam needs the cosine head", e.Message);
        Assert.Contains("--normed-head", e.Message);
    }

    [Theory]
    [InlineData("ldam", null, true)]
    [InlineData("imbalanced-noised", null, true)]
    [InlineData("ce", null, false)]
    [InlineData("ldam", false, false)]
    [InlineData("ce", true, true)]
    public void CosineHeadIsTheDefaultOfLdamAndImbalancedNoised(string loss, bool? choice, bool uses) =>
        Assert.Equal(uses, new TrainSettings { Loss = loss, NormedHead = choice }.UsesNormedHead);

    /// <summary>The README's compare example, on the tiny synthetic set: every loss well above chance (10 % top-1, 20 % top-2).</summary>
    [Fact]
    public void TheReadmeCompareGivesEveryLossASaneResult()
    {
        using var temp = new TempFolder();
        string[] losses = ["ce", "smooth-svm", "noised", "imbalanced-noised", "focal", "ldam"];
        CliRunner.RunOk("compare", "--data", CliRunner.TinyData, "--losses", string.Join(",", losses), "--k", "2", "--seeds", "1",
            "--epochs", "5", "--out", temp["cmp"]);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp["cmp"], "results.json")));
        foreach (var run in results.RootElement.GetProperty("runs").EnumerateArray())
        {
            string loss = run.GetProperty("loss").GetString()!;
            double top2 = run.GetProperty("test").GetProperty("top2_micro").GetDouble();
            Assert.True(top2 >= 0.30, $"{loss}: top-2 {top2:P1}, chance is 20 %");
        }
        var ldam = Cli.Reporting.Json.Read<Cli.Commands.RunConfig>(Path.Combine(temp["cmp"], "ldam", "seed1234", "run.json"));
        Assert.True(ldam.Settings.UsesNormedHead);
    }
}
