using System.Globalization;
using System.Text.Json;

namespace TopKLoss.Cli.Data;

/// <summary>
/// Recognizes the two Pl@ntNet-300K releases from their metadata files and reads species names:
/// <list type="bullet">
/// <item>v1.1: 1,081 species; plantnet300K_metadata.json (image id → species_id, split, ...) and
/// plantnet300K_species_id_2_name.json (species_id → name; v1.0 called it plantnet300K_species_names.json);
/// images/{train,val,test}/&lt;species_id&gt;/.</item>
/// <item>v2: 1,000 species; plantnet300K_metadata.csv (species_id, split, ...) and species_metadata.csv
/// (species_id, full_species, ...); images/{train,val,test}/0000..0999/.</item>
/// </list>
/// </summary>
public static class PlantNetMetadata
{
    public sealed record Release(string Version, int ExpectedSpecies, IReadOnlyDictionary<string, string> SpeciesNames, string Note);

    /// <summary>The release found in <paramref name="directory"/>, or null for a plain image folder.</summary>
    public static Release? Detect(string directory)
    {
        if (File.Exists(Path.Combine(directory, "plantnet300K_metadata.json")))
        {
            var namesFile = new[] { "plantnet300K_species_id_2_name.json", "plantnet300K_species_names.json" }
                .Select(n => Path.Combine(directory, n)).FirstOrDefault(File.Exists);
            var names = namesFile is null ? new Dictionary<string, string>() : ReadJsonNames(namesFile);
            return new Release("v1.1", 1081, names, "Pl@ntNet-300K v1.1 (1,081 species, JSON metadata)");
        }
        if (File.Exists(Path.Combine(directory, "plantnet300K_metadata.csv")))
        {
            var speciesFile = Path.Combine(directory, "species_metadata.csv");
            var names = File.Exists(speciesFile) ? ReadCsvNames(speciesFile) : new Dictionary<string, string>();
            return new Release("v2", 1000, names, "Pl@ntNet-300K v2 (1,000 species, CSV metadata)");
        }
        return null;
    }

    /// <summary>{"species_id": "name", ...}.</summary>
    private static Dictionary<string, string> ReadJsonNames(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
                names[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.ToString();
            return names;
        }
        catch (JsonException e)
        {
            throw DataFormatException.At(path, e.BytePositionInLine ?? 0, e.LineNumber, $"corrupt JSON species names: {e.Message}");
        }
    }

    /// <summary>species_metadata.csv: the species_id and full_species columns (keyed by the id as a number and as written).</summary>
    private static Dictionary<string, string> ReadCsvNames(string path)
    {
        var lines = File.ReadAllLines(path);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (lines.Length == 0) return names;
        char delimiter = CsvLine.DetectDelimiter(lines[0]);
        var header = CsvLine.Split(lines[0], delimiter).Select(h => h.Trim()).ToList();
        int id = header.IndexOf("species_id"), name = header.IndexOf("full_species");
        if (id < 0 || name < 0)
            throw DataFormatException.At(path, 0, 0, "the header lacks the species_id and full_species columns");
        for (int l = 1; l < lines.Length; l++)
        {
            if (lines[l].Trim().Length == 0) continue;
            var fields = CsvLine.Split(lines[l], delimiter);
            if (fields.Count <= Math.Max(id, name))
                throw DataFormatException.At(path, 0, l, $"line {l + 1} has {fields.Count} fields; the header has {header.Count}");
            string key = fields[id].Trim();
            names[key] = fields[name].Trim();
            if (int.TryParse(key, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number))
                names[number.ToString(CultureInfo.InvariantCulture)] = fields[name].Trim();
        }
        return names;
    }

    /// <summary>The name of species folder <paramref name="folder"/> ("0042" matches id 42), or the folder name.</summary>
    public static string NameOf(Release release, string folder)
    {
        if (release.SpeciesNames.TryGetValue(folder, out var name)) return name;
        if (int.TryParse(folder, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number)
            && release.SpeciesNames.TryGetValue(number.ToString(CultureInfo.InvariantCulture), out name))
            return name;
        return folder;
    }
}
