using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TopKLoss.Cli.Reporting;

/// <summary>One ranked answer: class index, class name and softmax probability.</summary>
public sealed record RankedClass(int Class, string Name, double Probability);

/// <summary>What `topk predict` says about one input: its id, its label when known, the top-k classes and the set when asked.</summary>
public sealed record Prediction(string Input, string? Label, RankedClass[] Top, string[]? Set);

/// <summary>
/// Prints predictions as an aligned table, CSV (one row per input) or JSON. Class names may hold spaces
/// ("class 3", "Ankle boot"): table cells are "name (probability)" and columns are two spaces apart;
/// CSV quotes a field only where RFC 4180 needs it (comma, quote, line break), and a set's names are
/// joined with ';'.
/// </summary>
public static class PredictionWriter
{
    public static readonly string[] Formats = ["table", "csv", "json"];

    public static void Write(TextWriter output, string format, IReadOnlyList<Prediction> predictions, object header)
    {
        switch (format)
        {
            case "csv": Csv(output, predictions); break;
            case "json": output.WriteLine(JsonSerializer.Serialize(new { header, predictions = predictions.Select(Plain) }, Json.Options)); break;
            default: Table(output, predictions); break;
        }
    }

    private static object Plain(Prediction p) => new
    {
        input = p.Input,
        label = p.Label,
        top = p.Top.Select(t => new { @class = t.Class, name = t.Name, probability = t.Probability }),
        set = p.Set,
    };

    private static void Table(TextWriter output, IReadOnlyList<Prediction> predictions)
    {
        int k = predictions.Count == 0 ? 0 : predictions[0].Top.Length;
        var header = new List<string> { "input" };
        bool labelled = predictions.Any(p => p.Label is not null), sets = predictions.Any(p => p.Set is not null);
        if (labelled) header.Add("label");
        header.AddRange(Enumerable.Range(1, k).Select(r => $"top-{r}"));
        if (sets) header.Add("set");
        var rows = predictions.Select(p =>
        {
            var row = new List<string> { p.Input };
            if (labelled) row.Add(p.Label ?? "");
            row.AddRange(p.Top.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Name} ({t.Probability:F3})")));
            if (sets) row.Add(p.Set is null ? "" : "{" + string.Join(", ", p.Set) + "}");
            return row;
        }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Count).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            output.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Count - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
    }

    private static void Csv(TextWriter output, IReadOnlyList<Prediction> predictions)
    {
        int k = predictions.Count == 0 ? 0 : predictions[0].Top.Length;
        var header = new StringBuilder("input,label");
        for (int r = 1; r <= k; r++) header.Append(CultureInfo.InvariantCulture, $",top{r},p{r}");
        header.Append(",set");
        output.WriteLine(header);
        foreach (var p in predictions)
        {
            var line = new StringBuilder(Escape(p.Input)).Append(',').Append(Escape(p.Label ?? ""));
            foreach (var t in p.Top) line.Append(',').Append(Escape(t.Name)).Append(',').Append(t.Probability.ToString("R", CultureInfo.InvariantCulture));
            line.Append(',').Append(Escape(p.Set is null ? "" : string.Join(";", p.Set)));
            output.WriteLine(line);
        }
    }

    /// <summary>RFC 4180 quoting where a field holds a comma, quote or line break.</summary>
    private static string Escape(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
