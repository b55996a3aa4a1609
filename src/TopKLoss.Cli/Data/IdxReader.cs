using System.Buffers.Binary;

namespace TopKLoss.Cli.Data;

/// <summary>
/// IDX files (MNIST, Fashion-MNIST), raw or gzipped: magic 00 00 08 N (unsigned bytes, N dimensions),
/// then N big-endian int32 sizes, then the bytes in row-major order.
/// </summary>
public static class IdxReader
{
    /// <summary>Reads an IDX file of unsigned bytes; checks the magic number, the dimension count and the length.</summary>
    public static (int[] Dimensions, byte[] Data) Read(string path, int expectedDimensions)
    {
        byte[] bytes = DataFiles.ReadMaybeGzip(path);
        if (bytes.Length < 4)
            throw DataFormatException.At(path, bytes.Length, null, $"truncated IDX header: {bytes.Length} bytes, the magic number needs 4");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw DataFormatException.At(path, 0, null, $"not an IDX file: magic number starts {bytes[0]:x2} {bytes[1]:x2}, expected 00 00");
        if (bytes[2] != 0x08)
            throw DataFormatException.At(path, 2, null, $"IDX element type 0x{bytes[2]:x2} is not supported; expected 0x08 (unsigned byte)");
        int dimensionCount = bytes[3];
        if (dimensionCount != expectedDimensions)
            throw DataFormatException.At(path, 3, null, $"IDX file has {dimensionCount} dimensions; expected {expectedDimensions}");
        int headerLength = 4 + 4 * dimensionCount;
        if (bytes.Length < headerLength)
            throw DataFormatException.At(path, bytes.Length, null, $"truncated IDX header: {bytes.Length} bytes, {dimensionCount} dimensions need {headerLength}");

        var dimensions = new int[dimensionCount];
        long expectedLength = 1;
        for (int d = 0; d < dimensionCount; d++)
        {
            dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dimensions[d] <= 0)
                throw DataFormatException.At(path, 4 + 4 * d, null, $"IDX dimension {d} is {dimensions[d]}; it must be positive");
            expectedLength *= dimensions[d];
        }
        long available = bytes.Length - headerLength;
        long recordSize = expectedLength / dimensions[0];
        if (available < expectedLength)
            throw DataFormatException.At(path, bytes.Length, available / recordSize,
                $"truncated: the header announces {dimensions[0]} records of {recordSize} bytes ({headerLength + expectedLength} bytes) but the file ends after {bytes.Length}");
        if (available > expectedLength)
            throw DataFormatException.At(path, headerLength + expectedLength, null,
                $"{available - expectedLength} unexpected bytes after the {dimensions[0]} records the header announces");
        return (dimensions, bytes.AsSpan(headerLength).ToArray());
    }

    /// <summary>Images [N, rows, cols] and labels [N] of one split; labels must lie in [0, classCount).</summary>
    public static (byte[] Pixels, int[] Labels, int Height, int Width) ReadSplit(string imagesPath, string labelsPath, int classCount)
    {
        var (imageDims, pixels) = Read(imagesPath, 3);
        var (labelDims, labelBytes) = Read(labelsPath, 1);
        if (imageDims[0] != labelDims[0])
            throw new DataFormatException($"{imagesPath} holds {imageDims[0]} images but {labelsPath} holds {labelDims[0]} labels; they must match.");
        var labels = new int[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = labelBytes[i];
            if (labels[i] >= classCount)
                throw DataFormatException.At(labelsPath, 8 + i, i, $"label {labels[i]} is beyond the {classCount} classes");
        }
        return (pixels, labels, imageDims[1], imageDims[2]);
    }
}
