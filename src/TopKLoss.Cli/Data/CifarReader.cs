namespace TopKLoss.Cli.Data;

/// <summary>
/// CIFAR-10 / CIFAR-100 "binary version" files. A CIFAR-10 record is 1 label byte + 3072 pixel bytes
/// (32×32 red, then green, then blue planes: already [C,H,W]); a CIFAR-100 record is 1 coarse-label
/// byte (superclass), 1 fine-label byte, then the same 3072 pixel bytes.
/// </summary>
public static class CifarReader
{
    public const int PixelBytes = 3 * 32 * 32;

    /// <summary>One file's records: pixels [N,3,32,32], fine labels, and coarse labels (CIFAR-100 only).</summary>
    public sealed record Records(byte[] Pixels, int[] Labels, int[]? CoarseLabels);

    /// <param name="labelBytes">1 for CIFAR-10, 2 for CIFAR-100.</param>
    public static Records Read(string path, int labelBytes, int classCount, int coarseClassCount = 0)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
        int recordSize = labelBytes + PixelBytes;
        if (bytes.Length == 0)
            throw DataFormatException.At(path, 0, 0, "empty file: no records");
        if (bytes.Length % recordSize != 0)
        {
            long complete = bytes.Length / recordSize;
            throw DataFormatException.At(path, bytes.Length, complete,
                $"truncated: {bytes.Length} bytes is not a whole number of {recordSize}-byte records; the last record is cut after {bytes.Length - complete * recordSize} bytes");
        }
        int count = bytes.Length / recordSize;
        var pixels = new byte[(long)count * PixelBytes];
        var labels = new int[count];
        int[]? coarse = labelBytes == 2 ? new int[count] : null;
        for (int r = 0; r < count; r++)
        {
            long offset = (long)r * recordSize;
            if (coarse is not null)
            {
                coarse[r] = bytes[offset];
                if (coarse[r] >= coarseClassCount)
                    throw DataFormatException.At(path, offset, r, $"coarse label {coarse[r]} is beyond the {coarseClassCount} superclasses");
            }
            labels[r] = bytes[offset + labelBytes - 1];
            if (labels[r] >= classCount)
                throw DataFormatException.At(path, offset + labelBytes - 1, r, $"label {labels[r]} is beyond the {classCount} classes");
            Buffer.BlockCopy(bytes, (int)(offset + labelBytes), pixels, r * PixelBytes, PixelBytes);
        }
        return new Records(pixels, labels, coarse);
    }

    /// <summary>Concatenates the records of several files (CIFAR-10's data_batch_1..5).</summary>
    public static Records Concat(IReadOnlyList<Records> parts)
    {
        if (parts.Count == 1) return parts[0];
        var pixels = new byte[parts.Sum(p => (long)p.Pixels.Length)];
        long offset = 0;
        foreach (var part in parts)
        {
            Buffer.BlockCopy(part.Pixels, 0, pixels, (int)offset, part.Pixels.Length);
            offset += part.Pixels.Length;
        }
        var labels = parts.SelectMany(p => p.Labels).ToArray();
        var coarse = parts[0].CoarseLabels is null ? null : parts.SelectMany(p => p.CoarseLabels!).ToArray();
        return new Records(pixels, labels, coarse);
    }

    /// <summary>
    /// Superclass of each fine class from the records' coarse labels; a fine class seen with two
    /// different coarse labels means a corrupt file.
    /// </summary>
    public static int[] SuperclassOf(Records records, int classCount, string path)
    {
        var superclass = Enumerable.Repeat(-1, classCount).ToArray();
        for (int r = 0; r < records.Labels.Length; r++)
        {
            int fine = records.Labels[r], coarse = records.CoarseLabels![r];
            if (superclass[fine] < 0) superclass[fine] = coarse;
            else if (superclass[fine] != coarse)
                throw DataFormatException.At(path, (long)r * (2 + PixelBytes), r,
                    $"fine label {fine} has coarse label {coarse} here but {superclass[fine]} in earlier records");
        }
        for (int c = 0; c < classCount; c++)
            if (superclass[c] < 0)
                throw new DataFormatException($"{path}: no training record of fine class {c}, so its superclass is unknown");
        return superclass;
    }

    /// <summary>Class names from a label-names text file (one per line), or "0", "1", ... when absent.</summary>
    public static string[] ClassNames(string directory, string fileName, int classCount)
    {
        var path = Path.Combine(directory, fileName);
        if (File.Exists(path))
        {
            var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            if (names.Length == classCount) return names;
        }
        return Enumerable.Range(0, classCount).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
