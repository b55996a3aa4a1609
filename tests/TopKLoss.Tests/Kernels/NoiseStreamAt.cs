using System.Runtime.Intrinsics;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>
/// One normal of a <see cref="NoiseStream"/> by its coordinates, from the stream's own coarse and
/// fine words: the layout of the NoiseStream summary written out for one draw (slow, for tests).
/// </summary>
internal static class NoiseStreamAt
{
    public static double At(this NoiseStream stream, long row, int column, int sample)
    {
        int r = column % NoiseStream.GroupColumns; // r = 32m + 2i + h: word m, block i of the group, half h
        var w = stream.Coarse(row, sample, Vector512.Create((uint)(column / NoiseStream.GroupColumns * NoiseStream.GroupSize + r % 32 / 2)));
        return NormalQuantile.FromBits(NoiseStream.Bucket(w[r / 32].ToScalar(), r % 2), stream.FineWord(row, sample, column));
    }
}
