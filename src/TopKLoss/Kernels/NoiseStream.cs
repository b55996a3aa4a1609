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
/// t        = column·B + sample           (flat index of the normal in its row's [n, B] block)
/// counter  = (q lo, q hi, row lo, row hi),  q = t / 4 (64-bit)
/// normal t = lane t mod 4 of Box–Muller(Philox(counter, key))   (see <see cref="BoxMuller"/>)
/// </code>
/// The key derivation is a keyed bijection of the stream, so distinct streams under one seed get
/// distinct keys except with probability ~2⁻⁶⁴. The flat index packs a row's n·B normals into
/// ⌈n·B/4⌉ blocks with no waste, at the price that the draws of (column, sample) depend on B.
/// </summary>
internal readonly struct NoiseStream
{
    private const uint Tag = 0x6E6F6973; // "nois": separates key derivation from any data counter
    private readonly uint k0, k1;

    public NoiseStream(ulong seed, ulong stream)
    {
        (k0, k1, _, _) = Philox.Block((uint)stream, (uint)(stream >> 32), 0, Tag, (uint)seed, (uint)(seed >> 32));
    }

    /// <summary>Normals per Philox block.</summary>
    public const int PerBlock = 4;

    /// <summary>The four normals of each block in <paramref name="blocks"/> → output[4i .. 4i+3].</summary>
    public void Fill<T>(long row, ReadOnlySpan<long> blocks, Span<T> output) where T : unmanaged =>
        Generate(row, blocks, 0, blocks.Length, output);

    /// <summary>The normals of the consecutive blocks first .. first+count−1 → output[0 .. 4·count).</summary>
    public void FillRange<T>(long row, long first, int count, Span<T> output) where T : unmanaged =>
        Generate(row, default, first, count, output);

    /// <summary>One normal, by its coordinates (slow: for tests and documentation of the layout).</summary>
    public double At(long row, long column, long sample, int samples)
    {
        long t = column * samples + sample;
        Span<double> four = stackalloc double[PerBlock];
        FillRange(row, t / PerBlock, 1, four);
        return four[(int)(t % PerBlock)];
    }

    /// <summary>
    /// Philox words of the 8 blocks start .. start+7 of a block list (or, with an empty list, of the
    /// range first .. first+count−1); lanes past count repeat the last block, or take the list's
    /// entries past count where the caller padded it to a multiple of 8. Lane i of w0..w3 is block i.
    /// </summary>
    public void Group(long row, ReadOnlySpan<long> list, long first, int count, int start,
        out Vector256<uint> w0, out Vector256<uint> w1, out Vector256<uint> w2, out Vector256<uint> w3)
    {
        int lanes = Math.Min(8, count - start);
        ulong q0 = (ulong)(list.IsEmpty ? first + start : list[start]);
        if (list.IsEmpty && lanes == 8 && (q0 >> 32) == ((q0 + 7) >> 32))
        {
            w0 = Vector256.Create((uint)q0) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7); // consecutive, no carry
            w1 = Vector256.Create((uint)(q0 >> 32));
        }
        else if (!list.IsEmpty && start + 8 <= list.Length) // a list padded by the caller: load and split the words
        {
            var a = Vector256.Create<ulong>(MemoryMarshal.Cast<long, ulong>(list.Slice(start, 4)));
            var b = Vector256.Create<ulong>(MemoryMarshal.Cast<long, ulong>(list.Slice(start + 4, 4)));
            w0 = Vector256.Narrow(a, b);
            w1 = Vector256.Narrow(a >> 32, b >> 32);
        }
        else
        {
            Span<uint> lo = stackalloc uint[8], hi = stackalloc uint[8];
            for (int lane = 0; lane < 8; lane++)
            {
                int i = start + Math.Min(lane, lanes - 1);
                ulong q = (ulong)(list.IsEmpty ? first + i : list[i]);
                lo[lane] = (uint)q;
                hi[lane] = (uint)(q >> 32);
            }
            w0 = Vector256.Create<uint>(lo);
            w1 = Vector256.Create<uint>(hi);
        }
        w2 = Vector256.Create((uint)row);
        w3 = Vector256.Create((uint)((ulong)row >> 32));
        Philox.Block8(ref w0, ref w1, ref w2, ref w3, k0, k1);
    }

    private void Generate<T>(long row, ReadOnlySpan<long> list, long first, int count, Span<T> output) where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"normals are float or double, not {typeof(T).Name}");
        Span<T> partial = stackalloc T[8 * PerBlock];
        for (int start = 0; start < count; start += 8)
        {
            int lanes = Math.Min(8, count - start);
            Group(row, list, first, count, start, out var w0, out var w1, out var w2, out var w3);
            var destination = lanes == 8 ? output.Slice(start * PerBlock, 8 * PerBlock) : partial;
            if (typeof(T) == typeof(float))
                BoxMuller.Normals8(w0, w1, w2, w3, MemoryMarshal.Cast<T, float>(destination));
            else
                BoxMuller.Normals8(w0, w1, w2, w3, MemoryMarshal.Cast<T, double>(destination));
            if (lanes < 8) partial[..(lanes * PerBlock)].CopyTo(output[(start * PerBlock)..]);
        }
    }
}
