using System.Globalization;
using System.Text.Json;
using SkiaSharp;
using TopKLoss.Cli.Commands;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Tests.Data;
using TopKLoss.Cli.Tests.Support;
using TopKLoss.Sets;

namespace TopKLoss.Cli.Tests.Predict;

/// <summary>`topk predict` end to end: names and order of the outputs, agreement with eval, sets, and its error paths.</summary>
public class PredictCommandTests
{
    private static JsonElement Json(string output) => JsonDocument.Parse(output).RootElement;

    private static string[] TopNames(JsonElement prediction) =>
        prediction.GetProperty("top").EnumerateArray().Select(t => t.GetProperty("name").GetString()!).ToArray();

    [Fact]
    public void Predict_on_a_two_epoch_synthetic_run_ranks_as_eval_does_and_names_the_classes()
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        CliRunner.RunOk("train", "--data", CliRunner.TinyData, "--epochs", "2", "--k", "3", "--batch-size", "32", "--out", run);
        string evalOutput = CliRunner.RunOk("eval", "--checkpoint", run, "--k", "1,3");
        var root = Json(CliRunner.RunOk("predict", "--checkpoint", run, "--k", "3", "--format", "json"));
        var predictions = root.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(100, predictions.Length);   // 10 test samples per class
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"test#{i}"), predictions.Select(p => p.GetProperty("input").GetString()));
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json"))).RootElement;
        var names = config.GetProperty("ClassNames").EnumerateArray().Select(e => e.GetString()!).ToArray();
        foreach (var p in predictions)
        {
            var top = p.GetProperty("top").EnumerateArray().ToArray();
            Assert.Equal(3, top.Length);
            foreach (var t in top) Assert.Equal(names[t.GetProperty("class").GetInt32()], t.GetProperty("name").GetString());
            var probabilities = top.Select(t => t.GetProperty("probability").GetDouble()).ToArray();
            Assert.True(probabilities[0] >= probabilities[1] && probabilities[1] >= probabilities[2], "ranked by probability");
        }
        // Top-1 and top-3 hits from predict's ranking reproduce eval's accuracies on the same inputs.
        double Hits(int k) => predictions.Count(p => TopNames(p).Take(k).Contains(p.GetProperty("label").GetString())) / 100.0;
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"top-1 {100 * Hits(1):F2} %"), evalOutput);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"top-3 {100 * Hits(3):F2} %"), evalOutput);

        // Table and CSV say the same in their own layout.
        string table = CliRunner.RunOk("predict", "--checkpoint", run, "--k", "2");
        Assert.StartsWith("100 inputs · top-2", table);
        Assert.Contains("input    label", table);
        var csv = CliRunner.RunOk("predict", "--checkpoint", run, "--k", "2", "--format", "csv").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("input,label,top1,p1,top2,p2,set", csv[0]);
        Assert.Equal(101, csv.Length);
        Assert.StartsWith($"test#0,{predictions[0].GetProperty("label").GetString()},{TopNames(predictions[0])[0]},", csv[1]);
    }

    [Fact]
    public void Synthetic_classes_are_named_class_N_in_every_format()
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        CliRunner.RunOk("train", "--data", CliRunner.TinyData, "--epochs", "2", "--k", "3", "--batch-size", "32", "--out", run);
        var expected = Enumerable.Range(0, 10).Select(c => $"class {c}").ToArray();
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json"))).RootElement;
        Assert.Equal(expected, config.GetProperty("ClassNames").EnumerateArray().Select(e => e.GetString()));
        // The per-class CSV: the name with its space, unquoted (RFC 4180 quotes only commas, quotes and line breaks).
        var perClass = File.ReadAllLines(Path.Combine(run, "test-per-class.csv"));
        Assert.StartsWith("class,name,samples,top1,", perClass[0]);
        Assert.StartsWith("3,class 3,10,", perClass[4]);

        // JSON: test sample i is of class i mod 10 (the classes are interleaved); every answer carries its index's name.
        var predictions = Json(CliRunner.RunOk("predict", "--checkpoint", run, "--k", "2", "--format", "json"))
            .GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(100, predictions.Length);
        var top = new (string Name, double P)[100][];
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal($"class {i % 10}", predictions[i].GetProperty("label").GetString());
            top[i] = predictions[i].GetProperty("top").EnumerateArray().Select(t =>
            {
                Assert.Equal($"class {t.GetProperty("class").GetInt32()}", t.GetProperty("name").GetString());
                return (t.GetProperty("name").GetString()!, t.GetProperty("probability").GetDouble());
            }).ToArray();
            Assert.Equal(2, top[i].Length);
        }

        // Table: columns two spaces apart or more, a top-k cell is "name (probability)".
        var table = CliRunner.RunOk("predict", "--checkpoint", run, "--k", "2").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("100 inputs · top-2", table[0]);
        Assert.Equal(["input", "label", "top-1", "top-2"], System.Text.RegularExpressions.Regex.Split(table[1], " {2,}"));
        Assert.Equal(102, table.Length);
        for (int i = 0; i < 100; i++)
        {
            string[] cells = [$"test#{i}", $"class {i % 10}", .. top[i].Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Name} ({t.P:F3})"))];
            Assert.Equal(cells, System.Text.RegularExpressions.Regex.Split(table[i + 2].TrimEnd(), " {2,}"));
        }

        // CSV: the same names, bare; the probabilities round-trip; no set asked for, so the last field is empty.
        var csv = CliRunner.RunOk("predict", "--checkpoint", run, "--k", "2", "--format", "csv").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(101, csv.Length);
        for (int i = 0; i < 100; i++)
            Assert.Equal(string.Create(CultureInfo.InvariantCulture,
                $"test#{i},class {i % 10},{top[i][0].Name},{top[i][0].P:R},{top[i][1].Name},{top[i][1].P:R},"), csv[i + 1].TrimEnd('\r'));

        // With a set, the set's names are joined with ';' (CSV) and listed in braces (table).
        var withSets = CliRunner.RunOk("predict", "--checkpoint", run, "--k", "2", "--format", "csv", "--sets", "average-k", "--set-size", "3")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => CsvLine.Split(l.TrimEnd('\r'), ',')[^1]).ToArray();
        int row = Array.FindIndex(withSets, f => f.Length > 0);   // average-k sets may be empty
        Assert.True(row >= 0, "some average-3 set is not empty");
        var set = withSets[row].Split(';');
        Assert.All(set, name => Assert.Matches(@"^class \d$", name));
        var tableWithSets = CliRunner.RunOk("predict", "--checkpoint", run, "--k", "2", "--sets", "average-k", "--set-size", "3").Split('\n');
        Assert.EndsWith("  {" + string.Join(", ", set) + "}", tableWithSets[row + 2].TrimEnd());
    }

    [Fact]
    public void A_run_of_an_earlier_version_keeps_the_synthetic_names_its_run_json_stores()
    {
        using var temp = new TempFolder();
        // Earlier versions named synthetic class c "g{c mod groups:D2}-c{c:D3}"; groups files written for them still read.
        var legacy = SyntheticData.LegacyClassNames(10, 5);
        File.WriteAllLines(temp["groups.txt"], Enumerable.Range(0, 5).Select(g => g < 4 ? $"{legacy[g]}, {legacy[g + 5]}" : $"{legacy[g]} {legacy[g + 5]}"));
        string run = temp["run"];
        CliRunner.RunOk("train", "--data", CliRunner.TinyData, "--epochs", "2", "--k", "3", "--noise", "0.5", "--noise-groups", temp["groups.txt"], "--out", run);
        // Make it an old run: its run.json holds the old names.
        string configPath = Path.Combine(run, "run.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!;
        node["ClassNames"] = new System.Text.Json.Nodes.JsonArray(legacy.Select(n => (System.Text.Json.Nodes.JsonNode?)n).ToArray());
        File.WriteAllText(configPath, node.ToJsonString());

        var predictions = Json(CliRunner.RunOk("predict", "--checkpoint", run, "--k", "3", "--format", "json")).GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(legacy[7], predictions[7].GetProperty("label").GetString());
        Assert.All(predictions.SelectMany(p => p.GetProperty("top").EnumerateArray()), t => Assert.Equal(legacy[t.GetProperty("class").GetInt32()], t.GetProperty("name").GetString()));
        Assert.Contains("test#3   g03-c003", CliRunner.RunOk("predict", "--checkpoint", run, "--k", "1"));

        // eval's per-class CSV and a resumed run's test CSV use the stored names too; run.json keeps them.
        CliRunner.RunOk("eval", "--checkpoint", run, "--k", "1,3");
        Assert.StartsWith("3,g03-c003,10,", File.ReadAllLines(Path.Combine(run, "eval-per-class.csv"))[4]);
        CliRunner.RunOk("train", "--out", run, "--resume", "--epochs", "3");
        Assert.StartsWith("3,g03-c003,10,", File.ReadAllLines(Path.Combine(run, "test-per-class.csv"))[4]);
        Assert.Equal(legacy, JsonDocument.Parse(File.ReadAllText(configPath)).RootElement.GetProperty("ClassNames").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Sets_are_calibrated_on_the_validation_split_and_saved_on_request()
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        CliRunner.RunOk("train", "--data", CliRunner.TinyData, "--epochs", "2", "--k", "3", "--out", run);
        // Average-k on the calibration split itself: the mean set size is exactly K (20 samples, continuous scores).
        var averageK = Json(CliRunner.RunOk("predict", "--checkpoint", run, "--split", "validation", "--format", "json",
            "--sets", "average-k", "--set-size", "2", "--save-sets", temp["avg.json"]));
        var sets = averageK.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("set").GetArrayLength()).ToArray();
        Assert.Equal(20, sets.Length);
        Assert.Equal(2.0, sets.Average(), 12);
        var saved = SetPredictor.FromJson(File.ReadAllText(temp["avg.json"]));
        Assert.Equal(SetRule.AverageK, saved.Rule);
        Assert.Equal(20, saved.CalibrationSamples);
        Assert.Equal(averageK.GetProperty("header").GetProperty("thresholds")[0].GetDouble(), saved.Thresholds[0]);

        // The saved predictor applied by --load-sets gives the same sets as fitting again.
        var reloaded = Json(CliRunner.RunOk("predict", "--checkpoint", run, "--split", "validation", "--format", "json", "--load-sets", temp["avg.json"]));
        Assert.Equal(averageK.GetProperty("predictions").ToString(), reloaded.GetProperty("predictions").ToString());
        File.WriteAllText(temp["bad.json"], "{\"rule\": \"aps\"}");
        var (code, _, error) = CliRunner.Run("predict", "--checkpoint", run, "--load-sets", temp["bad.json"]);
        Assert.Equal(2, code);
        Assert.Contains("set predictor: not a valid predictor file", error);
        Assert.Contains("--load-sets and --sets are alternatives",
            CliRunner.Run("predict", "--checkpoint", run, "--load-sets", temp["avg.json"], "--sets", "conformal").Err);

        // Conformal sets: every set lists classes in rank order, and the header says how they were made.
        var conformal = Json(CliRunner.RunOk("predict", "--checkpoint", run, "--format", "json", "--sets", "conformal", "--alpha", "0.2",
            "--set-score", "raps", "--raps-k-reg", "1"));
        Assert.Equal("conformal raps sets, α = 0.2", conformal.GetProperty("header").GetProperty("sets").GetString());
        foreach (var p in conformal.GetProperty("predictions").EnumerateArray())
        {
            var set = p.GetProperty("set").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var top = TopNames(p);
            Assert.Equal(top.Take(Math.Min(set.Length, top.Length)), set.Take(top.Length));   // a prefix of the ranking
        }
    }

    [Fact]
    public void Predict_on_image_files_and_folders_names_the_class_folders_in_input_order()
    {
        using var temp = new TempFolder();
        string data = temp["images"];
        var colors = new Dictionary<string, SKColor> { ["cat"] = SKColors.Red, ["dog"] = SKColors.Lime, ["owl"] = SKColors.Blue };
        foreach (var (name, color) in colors)
        {
            for (int i = 0; i < 6; i++) DataWriters.Image(Path.Combine(data, "train", name, $"{i}.png"), 12, 10, color.WithAlpha(255));
            for (int i = 0; i < 2; i++) DataWriters.Image(Path.Combine(data, "test", name, $"t{i}.png"), 10, 12, color);
        }
        // Small images keep the test fast: the data opener resizes folder images to 8×8 for train and predict alike.
        var env = new CliEnvironment((spec, o) => DataSources.Open(spec, o with { ImageSize = 8 }), () => new DateTime(2026, 1, 2), false);
        string Run(params string[] args)
        {
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            int code = Program.Run(args, stdout, stderr, env);
            Assert.True(code == 0, $"exit {code}: {stderr}");
            return stdout.ToString();
        }
        string run = temp["run"];
        Run("train", "--data", "folder:" + data, "--epochs", "2", "--k", "1", "--batch-size", "4", "--validation-size", "3", "--out", run);

        string single = Path.Combine(data, "test", "owl", "t1.png");
        var byFiles = Json(Run("predict", "--checkpoint", run, "--input", single, Path.Combine(data, "test"), "--k", "3", "--format", "json"));
        var predictions = byFiles.GetProperty("predictions").EnumerateArray().ToArray();
        var expectedOrder = new[] { single }.Concat(colors.Keys.SelectMany(c => new[] { "t0", "t1" }.Select(t => Path.Combine(data, "test", c, $"{t}.png"))));
        Assert.Equal(expectedOrder, predictions.Select(p => p.GetProperty("input").GetString()));
        foreach (var p in predictions)
        {
            Assert.Equal(JsonValueKind.Null, p.GetProperty("label").ValueKind);   // files carry no label
            Assert.Equal(colors.Keys.Order(), TopNames(p).Order());                // every class, by folder name
        }
        // The files decode exactly as the test split of the same folder: same probabilities, same ranking.
        var bySplit = Json(Run("predict", "--checkpoint", run, "--data", "folder:" + data, "--split", "test", "--k", "3", "--format", "json"))
            .GetProperty("predictions").EnumerateArray().ToArray();
        for (int i = 0; i < bySplit.Length; i++)
            Assert.Equal(bySplit[i].GetProperty("top").ToString(), predictions[i + 1].GetProperty("top").ToString());
        Assert.Equal(predictions[0].GetProperty("top").ToString(), bySplit[5].GetProperty("top").ToString());   // owl/t1 is the 6th test image
    }

    [Fact]
    public void Bad_inputs_exit_2_with_one_line_naming_the_option()
    {
        using var temp = new TempFolder();
        string run = temp["run"];
        CliRunner.RunOk("train", "--data", CliRunner.TinyData, "--epochs", "1", "--k", "2", "--out", run);
        File.WriteAllText(temp["notes.txt"], "not an image");
        foreach (var (args, message) in new (string[], string)[]
                 {
                     ([], "--checkpoint"),
                     (["--checkpoint", temp["missing"]], "--checkpoint: folder not found"),
                     (["--checkpoint", temp.Path], "not a trained run"),
                     (["--checkpoint", run, "--input", temp["nothing.png"]], "--input: no such file or folder"),
                     (["--checkpoint", run, "--input", temp["notes.txt"]], "has no input files; use --data SPEC --split"),
                     (["--checkpoint", run, "--input", temp["notes.txt"], "--split", "test"], "--input and --data/--split are alternatives"),
                     (["--checkpoint", run, "--k", "11"], "--k must be an integer in [1, 10]"),
                     (["--checkpoint", run, "--format", "xml"], "--format must be one of table, csv, json"),
                     (["--checkpoint", run, "--split", "dev"], "--split must be one of test, validation, train"),
                     (["--checkpoint", run, "--sets", "magic"], "--sets must be one of none, average-k, conformal"),
                     (["--checkpoint", run, "--sets", "average-k"], "--sets average-k needs --set-size"),
                     (["--checkpoint", run, "--sets", "average-k", "--set-size", "11"], "--set-size must be in (0, 10]"),
                     (["--checkpoint", run, "--sets", "conformal", "--alpha", "1.5"], "--alpha must be in (0, 1)"),
                     (["--checkpoint", run, "--alpha", "0.1"], "--set-size and --alpha need --sets"),
                     (["--checkpoint", run, "--sets", "conformal", "--raps-k-reg", "11"], "--raps-k-reg must be an integer in [0, 10]"),
                     (["--checkpoint", run, "--sets", "conformal", "--save-sets", temp["no/such/dir/s.json"]], "--save-sets: folder not found"),
                     (["--checkpoint", run, "--data", "synthetic:classes=4,groups=2", "--split", "test"], "do not match the model's 10 classes"),
                 })
        {
            var (code, output, error) = CliRunner.Run(["predict", .. args]);
            Assert.True(code == 2, $"{string.Join(" ", args)}: exit {code}, {error}");
            Assert.Contains(message, error);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("", output);
        }
        Assert.False(File.Exists(temp["no/such/dir/s.json"]));
    }
}

/// <summary>predict is listed and documents its options; eval and compare list their report options.</summary>
public class PredictHelpTests
{
    [Theory]
    [InlineData("predict", new[] { "--checkpoint", "--input", "--data", "--split", "--k", "--format", "--sets", "--set-size", "--alpha", "--set-score", "--save-sets", "--load-sets" })]
    [InlineData("eval", new[] { "--sets", "--set-size", "--alpha", "--calibration", "--shot-table", "--many-shot", "--few-shot" })]
    [InlineData("compare", new[] { "--sets", "--set-alpha", "--calibration", "--shot-table", "--k-mix" })]
    public void Help_lists_the_options(string command, string[] options)
    {
        string help = CliRunner.RunOk(command, "--help");
        foreach (var option in options) Assert.Contains(option, help);
        Assert.Contains("predict", CliRunner.RunOk("--help"));
    }
}
