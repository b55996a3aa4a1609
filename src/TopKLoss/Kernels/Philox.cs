using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TopKLoss.Kernels;

/// <summary>
/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random
/// numbers: as easy as 1, 2, 3" (SC 2011): a keyed bijection of a 128-bit counter into 128 random
/// bits, 10 rounds of two 32×32→64 multiplications. Any draw is a pure function of (counter, key),
/// so rows can be generated in any order, on any thread, or on a GPU (curand's Philox is the same
/// function), with the same result. Checked against the Random123 known-answer vectors.
/// </summary>
internal static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85; // key bumps: golden ratio, √3 − 1
    public const int Rounds = 10;

    /// <summary>One block: the 4 output words of counter (c0..c3) under key (k0, k1).</summary>
    public static (uint, uint, uint, uint) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>
    /// Eight blocks at once, lane i of (c0..c3) being counter i, all under the same key; the words
    /// are replaced by the outputs. Bit-identical to eight calls of <see cref="Block"/>.
    /// </summary>
    public static void Block8(ref Vector256<uint> c0, ref Vector256<uint> c1, ref Vector256<uint> c2, ref Vector256<uint> c3,
        uint k0, uint k1)
    {
        if (!Avx2.IsSupported) { Block8Scalar(ref c0, ref c1, ref c2, ref c3, k0, k1); return; }
        VectorRounds<Vector256<uint>, Words256>(ref c0, ref c1, ref c2, ref c3, k0, k1);
    }

    /// <summary>The ten rounds on vectors of counters (lane i = block i), whatever the width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void VectorRounds<V, W>(ref V c0, ref V c1, ref V c2, ref V c3, uint k0, uint k1)
        where V : struct where W : IWords<V>
    {
        V m0 = W.Broadcast(M0), m1 = W.Broadcast(M1);
        var (a0, a1, a2, a3) = (c0, c1, c2, c3); // registers, not the callers' memory, across the rounds
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            var (hi0, lo0) = W.MulHiLo(m0, a0);
            var (hi1, lo1) = W.MulHiLo(m1, a2);
            (a0, a1, a2, a3) = (W.Xor(hi1, a1, W.Broadcast(k0)), lo1, W.Xor(hi0, a3, W.Broadcast(k1)), lo0);
        }
        (c0, c1, c2, c3) = (a0, a1, a2, a3);
    }

    private interface IWords<V> where V : struct
    {
        static abstract V Broadcast(uint value);
        /// <summary>High and low halves of the 64-bit products m·c, lane by lane.</summary>
        static abstract (V Hi, V Lo) MulHiLo(V m, V c);
        static abstract V Xor(V a, V b, V c);
    }

    private readonly struct Words256 : IWords<Vector256<uint>>
    {
        public static Vector256<uint> Broadcast(uint value) => Vector256.Create(value);
        public static (Vector256<uint> Hi, Vector256<uint> Lo) MulHiLo(Vector256<uint> m, Vector256<uint> c) => Philox.MulHiLo(m, c);
        public static Vector256<uint> Xor(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c) => a ^ b ^ c;
    }

    private readonly struct Words512 : IWords<Vector512<uint>>
    {
        public static Vector512<uint> Broadcast(uint value) => Vector512.Create(value);
        public static (Vector512<uint> Hi, Vector512<uint> Lo) MulHiLo(Vector512<uint> m, Vector512<uint> c) => Philox.MulHiLo(m, c);
        public static Vector512<uint> Xor(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c) => a ^ b ^ c;
    }

    /// <summary>High and low halves of the 64-bit products m·c, lane by lane (vpmuludq on even and odd lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<uint> Hi, Vector256<uint> Lo) MulHiLo(Vector256<uint> m, Vector256<uint> c)
    {
        var even = Avx2.Multiply(m, c);                                                    // lanes 0,2,4,6 → 64-bit
        var odd = Avx2.Multiply(m, Avx2.ShiftRightLogical(c.AsUInt64(), 32).AsUInt32());   // lanes 1,3,5,7 → 64-bit
        var lo = Avx2.Blend(even.AsUInt32(), Avx2.ShiftLeftLogical(odd, 32).AsUInt32(), 0b1010_1010);
        var hi = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsUInt32(), odd.AsUInt32(), 0b1010_1010);
        return (hi, lo);
    }

    /// <summary>
    /// Sixteen blocks at once (AVX-512: vpmuludq on 8 even and 8 odd lanes), lane i of (c0..c3)
    /// being counter i; elsewhere two <see cref="Block8"/> calls. Bit-identical to sixteen calls of
    /// <see cref="Block"/>. Always fully optimized: the tier-1 JIT kept the words in memory across
    /// the rounds, 40 % slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block16(ref Vector512<uint> c0, ref Vector512<uint> c1, ref Vector512<uint> c2, ref Vector512<uint> c3,
        uint k0, uint k1)
    {
        if (!Avx512F.IsSupported)
        {
            var (l0, l1, l2, l3) = (c0.GetLower(), c1.GetLower(), c2.GetLower(), c3.GetLower());
            var (u0, u1, u2, u3) = (c0.GetUpper(), c1.GetUpper(), c2.GetUpper(), c3.GetUpper());
            Block8(ref l0, ref l1, ref l2, ref l3, k0, k1);
            Block8(ref u0, ref u1, ref u2, ref u3, k0, k1);
            (c0, c1, c2, c3) = (Vector512.Create(l0, u0), Vector512.Create(l1, u1), Vector512.Create(l2, u2), Vector512.Create(l3, u3));
            return;
        }
        VectorRounds<Vector512<uint>, Words512>(ref c0, ref c1, ref c2, ref c3, k0, k1);
    }

    /// <summary>
    /// Two independent sets of sixteen blocks under one key, their rounds interleaved: one set's
    /// ten rounds are a dependency chain of multiplies, so a second set fills the idle pipelines
    /// (1.5x the throughput of two <see cref="Block16"/> calls on Zen 5). Bit-identical to them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block16x2(ref Vector512<uint> a0, ref Vector512<uint> a1, ref Vector512<uint> a2, ref Vector512<uint> a3,
        ref Vector512<uint> b0, ref Vector512<uint> b1, ref Vector512<uint> b2, ref Vector512<uint> b3, uint k0, uint k1)
    {
        if (!Avx512F.IsSupported)
        {
            Block16(ref a0, ref a1, ref a2, ref a3, k0, k1);
            Block16(ref b0, ref b1, ref b2, ref b3, k0, k1);
            return;
        }
        Vector512<uint> m0 = Vector512.Create(M0), m1 = Vector512.Create(M1);
        var (x0, x1, x2, x3) = (a0, a1, a2, a3);
        var (y0, y1, y2, y3) = (b0, b1, b2, b3);
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            Vector512<uint> key0 = Vector512.Create(k0), key1 = Vector512.Create(k1);
            var (xHi0, xLo0) = MulHiLo(m0, x0);
            var (xHi1, xLo1) = MulHiLo(m1, x2);
            var (yHi0, yLo0) = MulHiLo(m0, y0);
            var (yHi1, yLo1) = MulHiLo(m1, y2);
            (x0, x1, x2, x3) = (xHi1 ^ x1 ^ key0, xLo1, xHi0 ^ x3 ^ key1, xLo0);
            (y0, y1, y2, y3) = (yHi1 ^ y1 ^ key0, yLo1, yHi0 ^ y3 ^ key1, yLo0);
        }
        (a0, a1, a2, a3) = (x0, x1, x2, x3);
        (b0, b1, b2, b3) = (y0, y1, y2, y3);
    }

    /// <summary>As the 256-bit MulHiLo on 16 lanes; the merges are single vpternlogq selects.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<uint> Hi, Vector512<uint> Lo) MulHiLo(Vector512<uint> m, Vector512<uint> c)
    {
        var lowHalves = Vector512.Create(0x0000_0000_FFFF_FFFFUL);
        var even = Avx512F.Multiply(m, c);                      // lanes 0,2,..,14 → 64-bit
        var odd = Avx512F.Multiply(m, (c.AsUInt64() >> 32).AsUInt32()); // lanes 1,3,..,15 → 64-bit
        var lo = Vector512.ConditionalSelect(lowHalves, even, odd << 32).AsUInt32();
        var hi = Vector512.ConditionalSelect(lowHalves, even >> 32, odd).AsUInt32();
        return (hi, lo);
    }

    private static void Block8Scalar(ref Vector256<uint> c0, ref Vector256<uint> c1, ref Vector256<uint> c2, ref Vector256<uint> c3,
        uint k0, uint k1)
    {
        Span<uint> w = stackalloc uint[32];
        for (int i = 0; i < 8; i++)
            (w[i], w[8 + i], w[16 + i], w[24 + i]) = Block(c0[i], c1[i], c2[i], c3[i], k0, k1);
        c0 = Vector256.Create<uint>(w[..8]);
        c1 = Vector256.Create<uint>(w[8..16]);
        c2 = Vector256.Create<uint>(w[16..24]);
        c3 = Vector256.Create<uint>(w[24..]);
    }
}
