using SkiaSharp;
using TopKLoss.Cli.Tests.Data;

namespace TopKLoss.Cli.Tests.Support;

/// <summary>Small image-folder datasets for command tests: root/split/class/imgI.png, random pixels.</summary>
internal static class ImageTrees
{
    public static void Write(string root, string[] splits, int classes, int perClass, int side)
    {
        foreach (var split in splits)
            for (int c = 0; c < classes; c++)
                for (int i = 0; i < perClass; i++)
                {
                    string folder = Directory.CreateDirectory(Path.Combine(root, split, $"class{c}")).FullName;
                    DataWriters.NoiseImage(Path.Combine(folder, $"img{i}.png"), side, side, SKEncodedImageFormat.Png);
                }
    }

    /// <summary>Cuts the file to half its length (its header intact, its pixel data not).</summary>
    public static void Truncate(string path)
    {
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
    }
}
