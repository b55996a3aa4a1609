using SkiaSharp;

namespace TopKLoss.Cli.Data;

/// <summary>
/// JPEG/PNG (and whatever else Skia decodes) → normalized float [3, size, size]: the shorter side is
/// scaled to <c>size</c> and the center square kept (torchvision's Resize + CenterCrop). JPEGs are
/// decoded directly at a reduced scale when the image is much larger than needed (Pl@ntNet-300K v2
/// ships high-resolution images), which is what keeps folder training from waiting on the CPU.
/// A file Skia cannot decode, or whose data end early, is a <see cref="DataFormatException"/>.
/// </summary>
public static class ImageDecoder
{
    public static void Decode(string path, int? sampleIndex, int size, Normalization normalization, Span<float> destination)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DataFormatException.At(path, 0, sampleIndex, $"cannot read image: {e.Message}");
        }
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data) ?? throw Undecodable(path, sampleIndex, bytes);

        var full = codec.Info;
        if (full.Width <= 0 || full.Height <= 0)
            throw DataFormatException.At(path, 0, sampleIndex, $"image has no pixels ({full.Width}×{full.Height})");
        var scaled = codec.GetScaledDimensions(Math.Min(1f, (float)size / Math.Min(full.Width, full.Height)));
        if (Math.Min(scaled.Width, scaled.Height) < Math.Min(size, Math.Min(full.Width, full.Height)))
            scaled = new SKSizeI(full.Width, full.Height);

        var info = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is SKCodecResult.IncompleteInput)
            throw DataFormatException.At(path, bytes.Length, sampleIndex, $"truncated image: the data end at byte {bytes.Length} before the image is complete");
        if (result is not SKCodecResult.Success)
            throw DataFormatException.At(path, 0, sampleIndex, $"corrupt image: decoder says {result}");

        using var target = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(target))
        using (var image = SKImage.FromBitmap(bitmap))
        {
            int side = Math.Min(info.Width, info.Height);
            var source = SKRect.Create((info.Width - side) / 2f, (info.Height - side) / 2f, side, side);
            canvas.Clear(SKColors.Black);
            canvas.DrawImage(image, source, SKRect.Create(0, 0, size, size), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
        }

        var pixels = target.GetPixelSpan();
        int plane = size * size;
        for (int c = 0; c < 3; c++)
        {
            float scale = 1f / (255f * normalization.Std[c]), shift = normalization.Mean[c] / normalization.Std[c];
            for (int p = 0; p < plane; p++)
                destination[c * plane + p] = pixels[4 * p + c] * scale - shift;
        }
    }

    /// <summary>Skia found no codec: a known signature means the header itself is cut or broken.</summary>
    internal static DataFormatException Undecodable(string path, int? sampleIndex, ReadOnlySpan<byte> bytes)
    {
        string? format = Signature(bytes);
        return format is null
            ? DataFormatException.At(path, 0, sampleIndex, $"not a decodable image ({bytes.Length} bytes; JPEG, PNG, BMP, GIF or WebP expected)")
            : DataFormatException.At(path, bytes.Length, sampleIndex, $"truncated or corrupt {format}: its header cannot be read; the file ends at byte {bytes.Length}");
    }

    internal static string? Signature(ReadOnlySpan<byte> b) =>
        b.StartsWith((byte[])[0xFF, 0xD8, 0xFF]) ? "JPEG"
        : b.StartsWith((byte[])[0x89, (byte)'P', (byte)'N', (byte)'G']) ? "PNG"
        : b.StartsWith("GIF8"u8) ? "GIF"
        : b.StartsWith("BM"u8) ? "BMP"
        : b.Length >= 12 && b.StartsWith("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8) ? "WebP"
        : null;
}
