using System.IO.Compression;

namespace TopKLoss.Cli.Data;

/// <summary>Finding and reading dataset files; a missing file or folder is a user error naming the path.</summary>
internal static class DataFiles
{
    public static string RequireDirectory(string spec, string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new UsageException($"--data {spec}: the directory is missing; write it after the colon, e.g. {spec.Split(':')[0]}:/path/to/data.");
        if (!Directory.Exists(directory))
            throw new UsageException($"--data {spec}: directory not found: {directory}");
        return directory;
    }

    /// <summary>The first of <paramref name="candidates"/> (names relative to <paramref name="directory"/>) that exists.</summary>
    public static string RequireOneOf(string directory, string what, params string[] candidates)
    {
        foreach (var name in candidates)
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path)) return path;
        }
        throw new UsageException($"{what} not found in {directory}: expected one of {string.Join(", ", candidates)}");
    }

    /// <summary>Whole file, gunzipped when it starts with the gzip magic bytes 1f 8b (whatever its name).</summary>
    public static byte[] ReadMaybeGzip(string path)
    {
        byte[] raw;
        try { raw = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{path}: corrupt or truncated gzip stream ({raw.Length} compressed bytes): {e.Message}");
        }
    }
}
