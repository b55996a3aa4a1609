namespace TopKLoss.Cli.Data;

/// <summary>
/// A dataset file that is truncated or corrupt. The message names the file and the byte offset
/// and/or the record (sample) index where reading failed, so the CLI can print it as one line on
/// stderr (exit 2). Derives from <see cref="IOException"/>, so a caller that handles I/O errors
/// handles these too.
/// </summary>
public sealed class DataFormatException(string message) : IOException(message)
{
    /// <summary>"FILE: truncated at byte OFFSET (record R): DETAIL".</summary>
    public static DataFormatException At(string file, long byteOffset, long? record, string detail) =>
        new(record is { } r
            ? $"{file}: {detail} (record {r}, byte offset {byteOffset})"
            : $"{file}: {detail} (byte offset {byteOffset})");
}
