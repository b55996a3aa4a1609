using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using SkiaSharp;

namespace TopKLoss.Cli.Data;

/// <summary>
/// Checks image files before training, without decoding their pixels: the header (Skia reads the
/// format and dimensions from the first 64 KiB) and the end of the file, where JPEG, PNG, GIF and
/// WebP files carry an end marker or a declared size that a cut-off file lacks. Only a file whose end
/// looks wrong is decoded in full, so a valid file with an odd ending is still accepted and a
/// truncated one is named before the first epoch rather than hours into training.
/// </summary>
public static class ImageHeaders
{
    /// <summary>The largest default image side (ImageNet's and Pl@ntNet's 224).</summary>
    public const int DefaultMaxSize = 224;
    private const int PrefixBytes = 64 * 1024;
    private static readonly byte[] PngEnd = [0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82];

    /// <summary>
    /// Width and height of every file, in parallel; the first failing file in list order is
    /// thrown as a <see cref="DataFormatException"/> (never wrapped in an AggregateException).
    /// </summary>
    public static (int Width, int Height)[] ReadAll(IReadOnlyList<string> paths)
    {
        var sizes = new (int, int)[paths.Count];
        var errors = new DataFormatException?[paths.Count];
        Parallel.For(0, paths.Count, i =>
        {
            try { sizes[i] = Read(paths[i]); }
            catch (DataFormatException e) { errors[i] = e; }
        });
        if (errors.FirstOrDefault(e => e is not null) is { } first) throw first;
        return sizes;
    }

    /// <summary>Width and height of one image file; a <see cref="DataFormatException"/> naming it when it is not a whole image.</summary>
    public static (int Width, int Height) Read(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path);
            long length = RandomAccess.GetLength(handle);
            if (length == 0) throw DataFormatException.At(path, 0, null, "empty file (0 bytes); an image expected");
            var prefix = ReadAt(handle, 0, (int)Math.Min(length, PrefixBytes));
            using var data = SKData.CreateCopy(prefix);
            using var codec = SKCodec.Create(data);
            if (codec is null)
            {
                // A header longer than the prefix (large EXIF blocks) needs the whole file.
                if (length > prefix.Length) return DecodeFully(path);
                throw ImageDecoder.Undecodable(path, null, prefix);
            }
            var info = codec.Info;
            if (info.Width <= 0 || info.Height <= 0)
                throw DataFormatException.At(path, 0, null, $"image has no pixels ({info.Width}×{info.Height})");
            var tail = ReadAt(handle, Math.Max(0, length - PngEnd.Length), (int)Math.Min(length, PngEnd.Length));
            if (!EndsWhole(ImageDecoder.Signature(prefix), prefix, tail, length)) DecodeFully(path);
            return (info.Width, info.Height);
        }
        catch (Exception e) when (e is IOException and not DataFormatException or UnauthorizedAccessException)
        {
            throw DataFormatException.At(path, 0, null, $"cannot read image: {e.Message}");
        }
    }

    /// <summary>Whether the file ends the way a complete file of its format does (unknown formats: assumed so).</summary>
    private static bool EndsWhole(string? format, ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, long length) => format switch
    {
        "JPEG" => tail.EndsWith((byte[])[0xFF, 0xD9]),
        "PNG" => tail.EndsWith(PngEnd),
        "GIF" => tail.EndsWith((byte[])[0x3B]),
        "WebP" => length >= 8 + BinaryPrimitives.ReadUInt32LittleEndian(head[4..8]),
        _ => true,
    };

    /// <summary>Decodes the file at a small size: throws the decoder's own error, naming the file and byte.</summary>
    private static (int Width, int Height) DecodeFully(string path)
    {
        var scratch = new float[3 * 8 * 8];
        ImageDecoder.Decode(path, null, 8, Normalization.ImageNet, scratch);
        using var codec = SKCodec.Create(path) ?? throw ImageDecoder.Undecodable(path, null, File.ReadAllBytes(path));
        return (codec.Info.Width, codec.Info.Height);
    }

    private static byte[] ReadAt(SafeFileHandle handle, long offset, int count)
    {
        var buffer = new byte[count];
        int done = 0;
        while (done < count)
        {
            int n = RandomAccess.Read(handle, buffer.AsSpan(done), offset + done);
            if (n == 0) break;
            done += n;
        }
        return done == count ? buffer : buffer[..done];
    }
}
