using System.Text.Json;
using System.Text.Json.Serialization;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Reporting;

/// <summary>JSON settings of every file the CLI writes (results.json, run.json, metrics.json).</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write<T>(string path, T value) => AtomicFile.WriteText(path, JsonSerializer.Serialize(value, Options));

    public static T Read<T>(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options) ?? throw new InvalidDataException($"{path}: empty JSON.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON at line {e.LineNumber + 1}: {e.Message}");
        }
    }

    /// <summary>Metrics as a flat name → value map (top5_micro, top5_macro, ...).</summary>
    public static Dictionary<string, double> Named(MetricsReport report) => report.Named().ToDictionary(p => p.Key, p => p.Value);
}
