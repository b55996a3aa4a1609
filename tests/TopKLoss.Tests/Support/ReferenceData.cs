using System.Text.Json;

namespace TopKLoss.Tests.Support;

/// <summary>
/// Reads ../shared/testdata/reference/*.json (outputs of the papers' published code; format in
/// the README there). The folder is found beside the repository root, or via TOPKLOSS_TESTDATA.
/// </summary>
public static class ReferenceData
{
    public static string Folder { get; } = Locate();

    private static string Locate()
    {
        var env = Environment.GetEnvironmentVariable("TOPKLOSS_TESTDATA");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "testdata", "reference");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("shared/testdata/reference not found beside the repository (set TOPKLOSS_TESTDATA).");
    }

    private static readonly Dictionary<string, JsonElement[]> Cache = new();

    /// <summary>All cases of one reference file.</summary>
    public static JsonElement[] Cases(string file)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out var cases))
            {
                using var stream = File.OpenRead(Path.Combine(Folder, file));
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
