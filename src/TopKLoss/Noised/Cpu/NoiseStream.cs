using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TopKLoss.Kernels;

/// <summary>
/// The standard normals z(seed, stream, row, column, sample) of the noised top-k loss, each a pure
/// function of its coordinates, so any subset can be generated in any order, on any thread, or by
/// a CUDA kernel that repeats this layout.
/// <para>Each normal is Φ⁻¹ of a 48-bit uniform (<see cref="NormalQuantile.FromBits"/>) whose
/// leading 16 bits (the bucket) and trailing 32 bits come from two Philox4x32-10 streams
/// (<see cref="Philox"/>):</para>
/// <code>
/// (c0, c1, f0, f1) = Philox(counter = (stream lo, stream hi, 0, 0x6E6F6973 "nois"), key = (seed lo, seed hi))
/// coarse  group g = column / 128, within it r = column mod 128 = 32m + 2i + h (m &lt; 4, i &lt; 16, h &lt; 2):
///         block c = 16g + i,  (w0..w3) = Philox((c, sample, row lo, row hi), (c0, c1)),
///         bucket = 16-bit half h (0 low, 1 high) of w_m
/// fine    block f = column / 4,  (v0..v3) = Philox((f, sample, row lo, row hi), (f0, f1))
///         fine word of column 4f + m = v_m
/// z       = Φ⁻¹((bucket·2³² + fine + ½)/2⁴⁸)
/// </code>
/// The split is what makes the kernel cheap: one coarse block holds the buckets of eight draws,
/// the bucket bounds the draw (<see cref="CoarseBounds"/>), and the fine words are generated only
/// for the few draws the bounds cannot settle. The coarse layout puts word m of 16 consecutive
/// blocks (one AVX-512 Philox call) on 32 consecutive columns, in column order, so the kernel
/// compares it with 32 per-column thresholds in one instruction. Sample-major: a block belongs
/// to one sample, so a draw depends neither on n nor on the number of samples B. The key derivation
/// is a keyed bijection of the stream, so distinct streams under one seed get distinct keys
/// except with probability ~2⁻⁶⁴.
/// </summary>
internal readonly struct NoiseStream
{
    private const uint Tag = 0x6E6F6973; // "nois": separates key derivation from any data counter
    private readonly uint c0, c1, f0, f1;

    public NoiseStream(ulong seed, ulong stream)
    {
        (c0, c1, f0, f1) = Philox.Block((uint)stream, (uint)(stream >> 32), 0, Tag, (uint)seed, (uint)(seed >> 32));
    }

    /// <summary>Columns per coarse block (eight 16-bit buckets, 32 columns apart in pairs).</summary>
    public const int PerBlock = 8;

    /// <summary>Columns per fine block (four 32-bit words).</summary>
    public const int PerFineBlock = 4;

    /// <summary>Blocks drawn at once (the lanes of one AVX-512 Philox call).</summary>
    public const int GroupSize = 16;

    /// <summary>Columns of one group of coarse blocks.</summary>
    public const int GroupColumns = GroupSize * PerBlock;

    /// <summary>Coarse words of 16 blocks of (row, sample); lane i is block blocks[i] (<see cref="Listed"/>, <see cref="Consecutive"/>).</summary>
    public Words16 Coarse(long row, int sample, Vector512<uint> blocks) => Draw(row, sample, blocks, c0, c1);

    /// <summary>Fine words of 16 fine blocks of (row, sample), lane i being fine block blocks[i].</summary>
    public Words16 Fine(long row, int sample, Vector512<uint> blocks) => Draw(row, sample, blocks, f0, f1);

    private static Words16 Draw(long row, int sample, Vector512<uint> blocks, uint k0, uint k1)
    {
        var w = new Words16 { W0 = blocks, W1 = Vector512.Create((uint)sample), W2 = Vector512.Create((uint)row), W3 = Vector512.Create((uint)((ulong)row >> 32)) };
        Philox.Block16(ref w.W0, ref w.W1, ref w.W2, ref w.W3, k0, k1);
        return w;
    }

    /// <summary>
    /// Coarse words of the same 16 blocks for two samples of a row, the two drawn interleaved
    /// (<see cref="Philox.Block16x2"/>); each equals its <see cref="Coarse"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CoarsePair(long row, int sampleA, int sampleB, Vector512<uint> blocks, out Words16 a, out Words16 b)
    {
        var (rowLow, rowHigh) = (Vector512.Create((uint)row), Vector512.Create((uint)((ulong)row >> 32)));
        a = new Words16 { W0 = blocks, W1 = Vector512.Create((uint)sampleA), W2 = rowLow, W3 = rowHigh };
        b = new Words16 { W0 = blocks, W1 = Vector512.Create((uint)sampleB), W2 = rowLow, W3 = rowHigh };
        Philox.Block16x2(ref a.W0, ref a.W1, ref a.W2, ref a.W3, ref b.W0, ref b.W1, ref b.W2, ref b.W3, c0, c1);
    }

    /// <summary>The fine word of one draw (scalar Philox: for the few draws the kernel must settle).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public uint FineWord(long row, int sample, int column)
    {
        var (v0, v1, v2, v3) = Philox.Block((uint)(column / PerFineBlock), (uint)sample, (uint)row, (uint)((ulong)row >> 32), f0, f1);
        return (column % PerFineBlock) switch { 0 => v0, 1 => v1, 2 => v2, _ => v3 };
    }

    /// <summary>The bucket in half <paramref name="half"/> (0 low, 1 high) of a coarse word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Bucket(uint word, int half) => half == 0 ? word & 0xFFFF : word >> 16;

    /// <summary>Counter words of the 16 blocks list[start .. start+15].</summary>
    public static Vector512<uint> Listed(ReadOnlySpan<int> list, int start) =>
        Vector512.Create<uint>(MemoryMarshal.Cast<int, uint>(list.Slice(start, GroupSize)));

    /// <summary>Counter words of the consecutive blocks first .. first+15.</summary>
    public static Vector512<uint> Consecutive(int first) => Vector512.Create((uint)first) + Vector512<uint>.Indices;

    /// <summary>
    /// The normals of columns 0 .. n − 1 of (row, sample) → output[column], output holding n
    /// rounded up to <see cref="GroupColumns"/> (whole groups are written). For the slow paths
    /// (every draw of a sample).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FillSample<T>(long row, int sample, int n, Span<T> output) where T : unmanaged, System.Numerics.INumberBase<T>
    {
        Span<uint> buckets = stackalloc uint[GroupColumns], fine = stackalloc uint[GroupColumns];
        for (int first = 0; first < n; first += GroupColumns)
        {
            int group = first / GroupColumns;
            var w = Coarse(row, sample, Consecutive(group * GroupSize));
            for (int m = 0; m < 4; m++)
                for (int lane = 0; lane < GroupSize; lane++)
                    for (int half = 0; half < 2; half++)
                        buckets[32 * m + 2 * lane + half] = Bucket(w[m].GetElement(lane), half);
            for (int part = 0; part < 2; part++)
            {
                var v = Fine(row, sample, Consecutive((2 * group + part) * GroupSize));
                for (int m = 0; m < 4; m++)
                    for (int lane = 0; lane < GroupSize; lane++)
                        fine[part * 64 + PerFineBlock * lane + m] = v[m].GetElement(lane);
            }
            for (int j = 0; j < GroupColumns; j++) output[first + j] = T.CreateTruncating(NormalQuantile.FromBits(buckets[j], fine[j]));
        }
    }
}

/// <summary>The four Philox output words of 16 blocks, lane i of each being block i.</summary>
internal struct Words16
{
    public Vector512<uint> W0, W1, W2, W3;

    public readonly Vector512<uint> this[int m] => m switch { 0 => W0, 1 => W1, 2 => W2, _ => W3 };
}
