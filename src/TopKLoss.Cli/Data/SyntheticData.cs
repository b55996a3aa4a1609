using System.Globalization;

namespace TopKLoss.Cli.Data;

/// <summary>
/// The embedded default dataset: Gaussian classes in superclasses, so that top-1 is hard and
/// top-k matters. Superclass g has a mean μ_g ~ N(0, GroupSpread²·I); class c of superclass g has
/// mean μ_g + δ_c with δ_c ~ N(0, ClassSpread²·I); a sample is its class mean + N(0, I).
/// Classes of one superclass are therefore confusable, superclasses much less so.
/// Class c belongs to superclass c mod Groups: like CIFAR-100 (alphabetical fine labels), blocks of
/// 5 consecutive labels (the published noise protocol) are NOT the superclasses.
/// Everything comes from <see cref="Settings.Seed"/> (the dataset's own seed, not --seed: the data
/// stay the same across training seeds, as a real dataset does).
/// Class c is named "class c" (what `predict` prints), superclass g "g00", "g01", ... (two digits at least).
/// Earlier versions named class c "g{superclass:D2}-c{c:D3}" (e.g. "g03-c003"); run folders of
/// those versions keep the names stored in their run.json, and groups files may still use them
/// (<see cref="LegacyClassNames"/>).
/// </summary>
public static class SyntheticData
{
    public sealed record Settings
    {
        public int Classes { get; init; } = 100;
        public int Groups { get; init; } = 20;
        /// <summary>Training images per class (before the validation hold-out).</summary>
        public int Train { get; init; } = 100;
        public int Test { get; init; } = 50;
        public int Dimension { get; init; } = 64;
        public double GroupSpread { get; init; } = 0.4;
        public double ClassSpread { get; init; } = 0.18;
        public int Seed { get; init; } = 0;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"classes={Classes},groups={Groups},train={Train},test={Test},dim={Dimension},group-spread={GroupSpread},class-spread={ClassSpread},seed={Seed}");
    }

    /// <summary>Parses "key=value,key=value" (the part after "synthetic:"); unknown keys and bad values are usage errors.</summary>
    public static Settings Parse(string? knobs)
    {
        var settings = new Settings();
        if (string.IsNullOrWhiteSpace(knobs)) return settings;
        foreach (var pair in knobs.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2)
                throw new UsageException($"--data synthetic:{knobs}: \"{pair}\" is not key=value; keys: {Keys}");
            string key = parts[0].ToLowerInvariant(), value = parts[1];
            settings = key switch
            {
                "classes" => settings with { Classes = Int(key, value, 2) },
                "groups" => settings with { Groups = Int(key, value, 1) },
                "train" => settings with { Train = Int(key, value, 2) },
                "test" => settings with { Test = Int(key, value, 1) },
                "dim" => settings with { Dimension = Int(key, value, 1) },
                "group-spread" => settings with { GroupSpread = Real(key, value) },
                "class-spread" => settings with { ClassSpread = Real(key, value) },
                "seed" => settings with { Seed = Int(key, value, int.MinValue) },
                _ => throw new UsageException($"--data synthetic: unknown key \"{parts[0]}\"; keys: {Keys}"),
            };
        }
        if (settings.Groups > settings.Classes)
            throw new UsageException($"--data synthetic: groups ({settings.Groups}) must be ≤ classes ({settings.Classes})");
        if ((long)settings.Classes * (settings.Train + settings.Test) * settings.Dimension > 200_000_000)
            throw new UsageException("--data synthetic: classes × (train + test) × dim exceeds 200 million floats; make it smaller");
        return settings;
    }

    private const string Keys = "classes, groups, train (per class), test (per class), dim, group-spread, class-spread, seed";

    private static int Int(string key, string value, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min
            ? v
            : throw new UsageException($"--data synthetic: {key} must be an integer ≥ {min}; got \"{value}\"");

    private static double Real(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 && double.IsFinite(v)
            ? v
            : throw new UsageException($"--data synthetic: {key} must be a finite number ≥ 0; got \"{value}\"");

    /// <summary>Generated data: train and test features, the superclass groups and the class means (for tests).</summary>
    public sealed record Generated(FeatureDataset Train, FeatureDataset Test, Groups Groups, float[] ClassMeans);

    public static Generated Generate(Settings s, string name = "synthetic")
    {
        var rng = new Random(s.Seed);
        int d = s.Dimension;
        var groupMeans = new float[s.Groups * d];
        for (int i = 0; i < groupMeans.Length; i++) groupMeans[i] = (float)(s.GroupSpread * Gaussian(rng));
        var superclass = new int[s.Classes];
        var means = new float[s.Classes * d];
        for (int c = 0; c < s.Classes; c++)
        {
            superclass[c] = c % s.Groups;
            for (int j = 0; j < d; j++)
                means[c * d + j] = groupMeans[superclass[c] * d + j] + (float)(s.ClassSpread * Gaussian(rng));
        }
        var classNames = ClassNames(s.Classes);
        var groupNames = Enumerable.Range(0, s.Groups).Select(g => string.Create(CultureInfo.InvariantCulture, $"g{g:D2}")).ToArray();

        FeatureDataset Sample(int perClass, string split)
        {
            int count = s.Classes * perClass;
            var features = new float[count * d];
            var labels = new int[count];
            // Interleave classes (0,1,...,C−1,0,1,...) so any prefix is roughly balanced.
            for (int i = 0; i < count; i++)
            {
                int c = i % s.Classes;
                labels[i] = c;
                for (int j = 0; j < d; j++) features[i * d + j] = means[c * d + j] + (float)Gaussian(rng);
            }
            return new FeatureDataset($"{name} ({split})", features, Enumerable.Range(0, count).ToArray(), labels, classNames, d);
        }

        var train = Sample(s.Train, "train");
        var test = Sample(s.Test, "test");
        return new Generated(train, test, new Groups(superclass, groupNames), means);
    }

    /// <summary>The class names: "class 0", "class 1", ... (no zero padding).</summary>
    public static string[] ClassNames(int classes) =>
        Enumerable.Range(0, classes).Select(c => string.Create(CultureInfo.InvariantCulture, $"class {c}")).ToArray();

    /// <summary>
    /// The names earlier versions gave the classes, "g{c mod groups:D2}-c{c:D3}" (e.g. "g03-c003"):
    /// accepted in groups files as aliases, so a groups file written for an older run still reads.
    /// </summary>
    public static string[] LegacyClassNames(int classes, int groups) =>
        Enumerable.Range(0, classes).Select(c => string.Create(CultureInfo.InvariantCulture, $"g{c % groups:D2}-c{c:D3}")).ToArray();

    /// <summary>Standard normal draw (Box–Muller); System.Random with a seed is stable across .NET versions.</summary>
    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
