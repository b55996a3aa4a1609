using System.Text.Json;
using TopKLoss.Cli.Tests.Data;
using TopKLoss.Cli.Tests.Support;

namespace TopKLoss.Cli.Tests.Predict;

/// <summary>`predict --input` on IDX and CIFAR record files: read as in training, so they score as the dataset's own test split.</summary>
public class PredictRecordsTests
{
    private static JsonElement[] Predictions(params string[] args) =>
        JsonDocument.Parse(CliRunner.RunOk(["predict", .. args, "--format", "json"])).RootElement.GetProperty("predictions").EnumerateArray().ToArray();

    [Fact]
    public void Idx_image_files_of_a_fashion_mnist_run_give_the_test_splits_answers_with_the_class_names()
    {
        using var temp = new TempFolder();
        string data = temp["fmnist"];
        Directory.CreateDirectory(data);
        DataWriters.IdxDataset(data, 60, 12, 6, 6, gz: true);
        string run = temp["run"];
        CliRunner.RunOk("train", "--data", "fashion-mnist:" + data, "--epochs", "2", "--k", "2", "--batch-size", "16", "--out", run);
        string images = Path.Combine(data, "t10k-images-idx3-ubyte.gz");
        var byFile = Predictions("--checkpoint", run, "--input", images, "--k", "3");
        var bySplit = Predictions("--checkpoint", run, "--k", "3");
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"{images}#{i}"), byFile.Select(p => p.GetProperty("input").GetString()));
        Assert.Equal(12, bySplit.Length);
        for (int i = 0; i < 12; i++) Assert.Equal(bySplit[i].GetProperty("top").ToString(), byFile[i].GetProperty("top").ToString());
        string[] fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
        Assert.All(byFile.SelectMany(p => p.GetProperty("top").EnumerateArray()), t => Assert.Equal(fashion[t.GetProperty("class").GetInt32()], t.GetProperty("name").GetString()));
        Assert.All(byFile, p => Assert.Equal(JsonValueKind.Null, p.GetProperty("label").ValueKind));
    }

    [Fact]
    public void Cifar_records_carry_their_labels_and_score_as_the_test_split()
    {
        using var temp = new TempFolder();
        string data = temp["cifar"];
        Directory.CreateDirectory(data);
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(Path.Combine(data, $"data_batch_{b}.bin"), DataWriters.CifarRecords(6, false, r => (r + b) % 10));
        File.WriteAllBytes(Path.Combine(data, "test_batch.bin"), DataWriters.CifarRecords(10, false, r => r % 10));
        File.WriteAllLines(Path.Combine(data, "batches.meta.txt"), ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck", ""]);
        string run = temp["run"];
        CliRunner.RunOk("train", "--data", "cifar10:" + data, "--epochs", "1", "--k", "2", "--validation-size", "10", "--out", run);
        var byFile = Predictions("--checkpoint", run, "--input", Path.Combine(data, "test_batch.bin"), "--k", "2");
        var bySplit = Predictions("--checkpoint", run, "--k", "2");
        Assert.Equal(10, byFile.Length);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(bySplit[i].GetProperty("top").ToString(), byFile[i].GetProperty("top").ToString());
            Assert.Equal(bySplit[i].GetProperty("label").GetString(), byFile[i].GetProperty("label").GetString());
        }
        Assert.Equal("airplane", byFile[0].GetProperty("label").GetString());
        var (code, _, error) = CliRunner.Run("predict", "--checkpoint", run, "--input", data);
        Assert.Equal(2, code);
        Assert.Contains("takes CIFAR binary files (.bin), not folders", error);
    }
}
