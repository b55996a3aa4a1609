using System.Globalization;

namespace TopKLoss.Cli.Training;

/// <summary>
/// The --k-mix option of the multi-k smooth SVM: "k:weight,k:weight", e.g. "1:0.5,5:0.5"
/// (distinct k ≥ 1, weights finite and &gt; 0). The range k &lt; C is checked against the data.
/// </summary>
public static class KMixSpec
{
    public const string Option = "--k-mix";

    /// <summary>Parses <paramref name="text"/>; a malformed list is a <see cref="UsageException"/> naming --k-mix.</summary>
    public static (int[] Ks, double[] Weights) Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw Bad(text, "it lists no k:weight pair");
        var ks = new int[parts.Length];
        var weights = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            var pair = parts[i].Split(':');
            if (pair.Length != 2
                || !int.TryParse(pair[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out ks[i])
                || !double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out weights[i]))
                throw Bad(text, $"'{parts[i]}' is not k:weight");
            if (ks[i] < 1) throw Bad(text, $"k must be ≥ 1 (got {ks[i]})");
            if (!(weights[i] > 0) || !double.IsFinite(weights[i])) throw Bad(text, $"weights must be finite and > 0 (got {pair[1]})");
        }
        if (ks.Distinct().Count() != ks.Length) throw Bad(text, "a k appears twice");
        return (ks, weights);
    }

    /// <summary>Parses and checks every k against the class count.</summary>
    public static (int[] Ks, double[] Weights) For(string? text, int classCount, string loss)
    {
        if (text is null) throw new UsageException($"--loss {loss} needs {Option}, e.g. {Option} 1:0.5,5:0.5.");
        var mix = Parse(text);
        foreach (int k in mix.Ks)
            if (k > classCount - 1)
                throw new UsageException($"{Option}: every k must be in [1, {classCount - 1}] for loss {loss} on {classCount} classes; got {k}.");
        return mix;
    }

    private static UsageException Bad(string text, string why) =>
        new($"{Option} must be a comma-separated list of k:weight pairs with distinct k ≥ 1 and weights > 0, e.g. 1:0.5,5:0.5; got '{text}': {why}.");
}
