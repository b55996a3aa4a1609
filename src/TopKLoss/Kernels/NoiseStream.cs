using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TopKLoss.Kernels;

/// <summary>
/// The standard normals z(seed, stream, row, column, sample) of the noised top-k loss, each a pure
/// function of its coordinates, so any subset can be generated in any order, on any thread, or by
/// a CUDA kernel that repeats this layout.
/// <para>Counter layout (Philox4x32-10, see <see cref="Philox"/>):</para>
/// <code>
/// key      (k0, k1) = first two words of Philox(counter = (stream lo, stream hi, 0, 0x6E6F6973 "nois"),
///                                             key     = (seed lo, seed hi))
/// block    b = column / 4
/// counter  = (b, sample, row lo, row hi)
/// words    (w0, w1, w2, w3) = Philox(counter, key)
/// normals  columns 4b, 4b+1 = Box–Muller(w0, w1) (cos, sin);  columns 4b+2, 4b+3 = Box–Muller(w2, w3)
/// </code>
/// Sample-major: one block is four neighbouring columns of one sample, so a row's limits (which
/// depend on the column only) line up with the blocks of every sample, and a draw depends neither
/// on n nor on the number of samples B (the first B samples of B + 1 are the B samples of B).
/// The key derivation is a keyed bijection of the stream, so distinct streams under one seed get
/// distinct keys except with probability ~2⁻⁶⁴.
/// </summary>
internal readonly struct NoiseStream
{
    private const uint Tag = 0x6E6F6973; // "nois": separates key derivation from any data counter
    private readonly uint k0, k1;

    public NoiseStream(ulong seed, ulong stream)
    {
        (k0, k1, _, _) = Philox.Block((uint)stream, (uint)(stream >> 32), 0, Tag, (uint)seed, (uint)(seed >> 32));
    }

    /// <summary>Columns (normals) per Philox block.</summary>
    public const int PerBlock = 4;

    /// <summary>Blocks drawn at once (the lanes of one AVX-512 Philox call).</summary>
    public const int GroupSize = 16;

    /// <summary>Philox words of 16 blocks of (row, sample); lane i is block blocks[i] (<see cref="Listed"/>, <see cref="Consecutive"/>).</summary>
    public void Group(long row, int sample, Vector512<uint> blocks,
        out Vector512<uint> w0, out Vector512<uint> w1, out Vector512<uint> w2, out Vector512<uint> w3)
    {
        (w0, w1, w2, w3) = (blocks, Vector512.Create((uint)sample), Vector512.Create((uint)row), Vector512.Create((uint)((ulong)row >> 32)));
        Philox.Block16(ref w0, ref w1, ref w2, ref w3, k0, k1);
    }

    /// <summary>Counter words w0 of the 16 blocks list[start .. start+15].</summary>
    public static Vector512<uint> Listed(ReadOnlySpan<int> list, int start) =>
        Vector512.Create<uint>(MemoryMarshal.Cast<int, uint>(list.Slice(start, GroupSize)));

    /// <summary>Counter words w0 of the consecutive blocks first .. first+15.</summary>
    public static Vector512<uint> Consecutive(int first) => Vector512.Create((uint)first) + Vector512<uint>.Indices;

    /// <summary>
    /// Philox words of the same 16 blocks (lane i = block blocks[i]) for two samples of a row, the
    /// two drawn interleaved (<see cref="Philox.Block16x2"/>); each equals its <see cref="Group"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void GroupPair(long row, int sampleA, int sampleB, Vector512<uint> blocks, out Words16 a, out Words16 b)
    {
        var (rowLow, rowHigh) = (Vector512.Create((uint)row), Vector512.Create((uint)((ulong)row >> 32)));
        a = new Words16 { W0 = blocks, W1 = Vector512.Create((uint)sampleA), W2 = rowLow, W3 = rowHigh };
        b = new Words16 { W0 = blocks, W1 = Vector512.Create((uint)sampleB), W2 = rowLow, W3 = rowHigh };
        Philox.Block16x2(ref a.W0, ref a.W1, ref a.W2, ref a.W3, ref b.W0, ref b.W1, ref b.W2, ref b.W3, k0, k1);
    }

    /// <summary>
    /// The normals of columns 0 .. 4·blocks − 1 of (row, sample) → output[column]; output holds at
    /// least 4·blocks rounded up to a multiple of 64 (the last group is written whole).
    /// </summary>
    public void FillSample<T>(long row, int sample, int blocks, Span<T> output) where T : unmanaged
    {
        for (int first = 0; first < blocks; first += GroupSize)
        {
            Group(row, sample, Consecutive(first), out var w0, out var w1, out var w2, out var w3);
            BoxMuller.Normals16(w0, w1, w2, w3, output.Slice(first * PerBlock, GroupSize * PerBlock));
        }
    }

    /// <summary>One normal, by its coordinates (slow: for tests and documentation of the layout).</summary>
    public double At(long row, long column, int sample)
    {
        Span<double> group = stackalloc double[GroupSize * PerBlock];
        Group(row, sample, Consecutive((int)(column / PerBlock)), out var w0, out var w1, out var w2, out var w3);
        BoxMuller.Normals16(w0, w1, w2, w3, group);
        return group[(int)(column % PerBlock)];
    }
}

/// <summary>The four Philox output words of 16 blocks, lane i of each being block i.</summary>
internal struct Words16
{
    public Vector512<uint> W0, W1, W2, W3;
}
