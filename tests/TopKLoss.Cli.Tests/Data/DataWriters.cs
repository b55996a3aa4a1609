using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace TopKLoss.Cli.Tests.Data;

/// <summary>Writes small dataset files in the real formats (IDX, CIFAR binary, PNG/JPEG through Skia).</summary>
internal static class DataWriters
{
    /// <summary>IDX of unsigned bytes: 00 00 08 N, N big-endian sizes, data.</summary>
    public static byte[] Idx(int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dims.Length;
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(raw);
        return output.ToArray();
    }

    /// <summary>Pixel value of image i at flat position p: a pattern the tests can recompute.</summary>
    public static byte Pixel(int i, int p) => (byte)((i * 31 + p * 7) % 256);

    /// <summary>The four IDX files of an (Fashion-)MNIST-like dataset with n train / m test images of h×w.</summary>
    public static void IdxDataset(string dir, int train, int test, int h, int w, bool gz, Func<int, int>? label = null)
    {
        label ??= i => i % 10;
        void Split(string prefix, int n)
        {
            var pixels = new byte[n * h * w];
            for (int i = 0; i < n; i++) for (int p = 0; p < h * w; p++) pixels[i * h * w + p] = Pixel(i, p);
            var labels = Enumerable.Range(0, n).Select(i => (byte)label(i)).ToArray();
            var images = Idx([n, h, w], pixels);
            var labelFile = Idx([n], labels);
            string suffix = gz ? ".gz" : "";
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-images-idx3-ubyte{suffix}"), gz ? Gzip(images) : images);
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte{suffix}"), gz ? Gzip(labelFile) : labelFile);
        }
        Split("train", train);
        Split("t10k", test);
    }

    /// <summary>CIFAR records: [coarse,] fine, 3072 pixels.</summary>
    public static byte[] CifarRecords(int count, bool hundred, Func<int, int> fine, Func<int, int>? coarse = null)
    {
        int labelBytes = hundred ? 2 : 1, size = labelBytes + 3072;
        var bytes = new byte[count * size];
        for (int r = 0; r < count; r++)
        {
            if (hundred) bytes[r * size] = (byte)coarse!(fine(r));
            bytes[r * size + labelBytes - 1] = (byte)fine(r);
            for (int p = 0; p < 3072; p++) bytes[r * size + labelBytes + p] = Pixel(r, p);
        }
        return bytes;
    }

    /// <summary>A w×h image of pseudo-random pixels (compresses badly: a truncation lands in the pixel data).</summary>
    public static void NoiseImage(string path, int w, int h, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var rng = new Random(1);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>A w×h image of one solid color, encoded by Skia as PNG or JPEG.</summary>
    public static void Image(string path, int w, int h, SKColor color, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(color);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data.ToArray());
    }
}
