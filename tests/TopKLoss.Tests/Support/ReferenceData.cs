using System.Text.Json;

namespace TopKLoss.Tests.Support;

/// <summary>
/// Reads the papers' reference vectors, tests/data/reference/*.json (outputs of the published
/// code; provenance and format in the README there). The test project copies them beside the
/// test assembly, so a clone of the repository is all the tests need.
/// </summary>
public static class ReferenceData
{
    /// <summary>The reference files this project holds, with their case counts (tests/data/reference/README.md).</summary>
    public static readonly IReadOnlyDictionary<string, int> Files = new Dictionary<string, int>
    {
        ["smooth_svm.json"] = 54, ["esp.json"] = 5, ["noised.json"] = 5, ["baselines.json"] = 5,
    };

    /// <summary>The copy beside the test assembly (what every test reads).</summary>
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "reference");

    /// <summary>tests/data/reference of the repository this assembly was built from, or null when it cannot be found.</summary>
    public static string? RepositoryFolder => RepositoryRoot() is { } root ? Path.Combine(root, "tests", "data", "reference") : null;

    /// <summary>../shared/testdata/reference beside the repository, the source the vectors were copied from; null when absent.</summary>
    public static string? SharedFolder
    {
        get
        {
            if (RepositoryRoot() is not { } root) return null;
            string shared = Path.GetFullPath(Path.Combine(root, "..", "shared", "testdata", "reference"));
            return Directory.Exists(shared) ? shared : null;
        }
    }

    /// <summary>The first folder above the test assembly that holds TopKLoss.sln.</summary>
    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TopKLoss.sln"))) return dir.FullName;
        return null;
    }

    private static readonly Dictionary<string, JsonElement[]> Cache = new();

    /// <summary>All cases of one reference file.</summary>
    public static JsonElement[] Cases(string file)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out var cases))
            {
                string path = Path.Combine(Folder, file);
                if (!File.Exists(path))
                    throw new FileNotFoundException($"reference file {file} is not beside the test assembly ({Folder}); tests/data/reference/*.json are copied there by the build.", path);
                using var stream = File.OpenRead(path);
                using var doc = JsonDocument.Parse(stream);
                cases = doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
                Cache[file] = cases;
            }
            return cases;
        }
    }

    /// <summary>Case indices, for xunit MemberData.</summary>
    public static IEnumerable<object[]> Indices(string file, Func<JsonElement, bool>? where = null) =>
        Cases(file).Select((c, i) => (c, i)).Where(p => where is null || where(p.c)).Select(p => new object[] { p.i });

    public static double[] Flat(JsonElement e)
    {
        var list = new List<double>();
        void Walk(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (var y in x.EnumerateArray()) Walk(y);
            else list.Add(x.ValueKind == JsonValueKind.Null ? double.NaN : x.GetDouble());
        }
        Walk(e);
        return list.ToArray();
    }

    public static long[] Shape(JsonElement e)
    {
        var shape = new List<long>();
        while (e.ValueKind == JsonValueKind.Array) { shape.Add(e.GetArrayLength()); if (e.GetArrayLength() == 0) break; e = e[0]; }
        return shape.ToArray();
    }

    /// <summary>A nested JSON array as a tensor of the given dtype (float64 by default).</summary>
    public static Tensor Tensor(JsonElement e, ScalarType dtype = ScalarType.Float64) =>
        tensor(Flat(e), dtype: ScalarType.Float64).reshape(Shape(e)).to_type(dtype);

    public static Tensor Labels(JsonElement e) => tensor(Flat(e).Select(v => (long)v).ToArray());

    public static ScalarType DType(JsonElement c) =>
        c.TryGetProperty("dtype", out var d) && d.GetString() == "float32" ? ScalarType.Float32 : ScalarType.Float64;
}
