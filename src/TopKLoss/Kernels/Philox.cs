using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
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
    /// Sixteen blocks at once, lane i of (c0..c3) being counter i, all under the same key; the words
    /// are replaced by the outputs. Bit-identical to sixteen calls of <see cref="Block"/> at every
    /// width. Always fully optimized: the tier-1 JIT kept the words in memory across the rounds,
    /// 40 % slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block16(ref Vector512<uint> c0, ref Vector512<uint> c1, ref Vector512<uint> c2, ref Vector512<uint> c3,
        uint k0, uint k1) => Block16At(VectorWidths.Native, ref c0, ref c1, ref c2, ref c3, k0, k1);

    /// <summary>
    /// Two independent sets of sixteen blocks under one key, their rounds interleaved: one set's
    /// ten rounds are a dependency chain of multiplies, so a second set fills the idle pipelines
    /// (1.5x the throughput of two <see cref="Block16"/> calls on Zen 5). Bit-identical to them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block16x2(ref Vector512<uint> a0, ref Vector512<uint> a1, ref Vector512<uint> a2, ref Vector512<uint> a3,
        ref Vector512<uint> b0, ref Vector512<uint> b1, ref Vector512<uint> b2, ref Vector512<uint> b3, uint k0, uint k1) =>
        Block16x2At(VectorWidths.Native, ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3, k0, k1);

    /// <summary>
    /// <see cref="Block16"/> at a given width (the dispatcher; tests run every width the CPU has):
    /// one 512-bit set, two 256-bit halves interleaved, four 128-bit quarters two at a time, or
    /// sixteen scalar blocks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Block16At(VectorWidth width, ref Vector512<uint> c0, ref Vector512<uint> c1, ref Vector512<uint> c2, ref Vector512<uint> c3,
        uint k0, uint k1)
    {
        switch (width)
        {
            case VectorWidth.Bits512:
                VectorRounds<Vector512<uint>, Words512>(ref c0, ref c1, ref c2, ref c3, k0, k1);
                return;
            case VectorWidth.Bits256:
            {
                var (l0, l1, l2, l3) = (c0.GetLower(), c1.GetLower(), c2.GetLower(), c3.GetLower());
                var (u0, u1, u2, u3) = (c0.GetUpper(), c1.GetUpper(), c2.GetUpper(), c3.GetUpper());
                VectorRounds2<Vector256<uint>, Words256>(ref l0, ref l1, ref l2, ref l3, ref u0, ref u1, ref u2, ref u3, k0, k1);
                (c0, c1, c2, c3) = (Vector512.Create(l0, u0), Vector512.Create(l1, u1), Vector512.Create(l2, u2), Vector512.Create(l3, u3));
                return;
            }
            case VectorWidth.Bits128:
            {
                var lower = (c0.GetLower(), c1.GetLower(), c2.GetLower(), c3.GetLower());
                var upper = (c0.GetUpper(), c1.GetUpper(), c2.GetUpper(), c3.GetUpper());
                Quarters(ref lower, k0, k1);
                Quarters(ref upper, k0, k1);
                (c0, c1, c2, c3) = (Vector512.Create(lower.Item1, upper.Item1), Vector512.Create(lower.Item2, upper.Item2),
                    Vector512.Create(lower.Item3, upper.Item3), Vector512.Create(lower.Item4, upper.Item4));
                return;
            }
            default:
                Scalar16(ref c0, ref c1, ref c2, ref c3, k0, k1);
                return;
        }
    }

    /// <summary><see cref="Block16x2"/> at a given width (see <see cref="Block16At"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Block16x2At(VectorWidth width, ref Vector512<uint> a0, ref Vector512<uint> a1, ref Vector512<uint> a2, ref Vector512<uint> a3,
        ref Vector512<uint> b0, ref Vector512<uint> b1, ref Vector512<uint> b2, ref Vector512<uint> b3, uint k0, uint k1)
    {
        if (width == VectorWidth.Bits512)
        {
            VectorRounds2<Vector512<uint>, Words512>(ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3, k0, k1);
            return;
        }
        // Narrower: each set's halves are already two independent sets to interleave.
        Block16At(width, ref a0, ref a1, ref a2, ref a3, k0, k1);
        Block16At(width, ref b0, ref b1, ref b2, ref b3, k0, k1);
    }

    /// <summary>Eight blocks (one 256-bit half of each word) as two 128-bit quarters, their rounds interleaved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quarters(ref (Vector256<uint>, Vector256<uint>, Vector256<uint>, Vector256<uint>) c, uint k0, uint k1)
    {
        var (l0, l1, l2, l3) = (c.Item1.GetLower(), c.Item2.GetLower(), c.Item3.GetLower(), c.Item4.GetLower());
        var (u0, u1, u2, u3) = (c.Item1.GetUpper(), c.Item2.GetUpper(), c.Item3.GetUpper(), c.Item4.GetUpper());
        VectorRounds2<Vector128<uint>, Words128>(ref l0, ref l1, ref l2, ref l3, ref u0, ref u1, ref u2, ref u3, k0, k1);
        c = (Vector256.Create(l0, u0), Vector256.Create(l1, u1), Vector256.Create(l2, u2), Vector256.Create(l3, u3));
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

    /// <summary>Two independent sets' rounds interleaved (see <see cref="Block16x2"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void VectorRounds2<V, W>(ref V a0, ref V a1, ref V a2, ref V a3, ref V b0, ref V b1, ref V b2, ref V b3, uint k0, uint k1)
        where V : struct where W : IWords<V>
    {
        V m0 = W.Broadcast(M0), m1 = W.Broadcast(M1);
        var (x0, x1, x2, x3) = (a0, a1, a2, a3);
        var (y0, y1, y2, y3) = (b0, b1, b2, b3);
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            V key0 = W.Broadcast(k0), key1 = W.Broadcast(k1);
            var (xHi0, xLo0) = W.MulHiLo(m0, x0);
            var (xHi1, xLo1) = W.MulHiLo(m1, x2);
            var (yHi0, yLo0) = W.MulHiLo(m0, y0);
            var (yHi1, yLo1) = W.MulHiLo(m1, y2);
            (x0, x1, x2, x3) = (W.Xor(xHi1, x1, key0), xLo1, W.Xor(xHi0, x3, key1), xLo0);
            (y0, y1, y2, y3) = (W.Xor(yHi1, y1, key0), yLo1, W.Xor(yHi0, y3, key1), yLo0);
        }
        (a0, a1, a2, a3) = (x0, x1, x2, x3);
        (b0, b1, b2, b3) = (y0, y1, y2, y3);
    }

    private static void Scalar16(ref Vector512<uint> c0, ref Vector512<uint> c1, ref Vector512<uint> c2, ref Vector512<uint> c3, uint k0, uint k1)
    {
        Span<uint> w = stackalloc uint[64];
        for (int i = 0; i < 16; i++)
            (w[i], w[16 + i], w[32 + i], w[48 + i]) = Block(c0.GetElement(i), c1.GetElement(i), c2.GetElement(i), c3.GetElement(i), k0, k1);
        (c0, c1, c2, c3) = (Vector512.Create<uint>(w[..16]), Vector512.Create<uint>(w[16..32]), Vector512.Create<uint>(w[32..48]), Vector512.Create<uint>(w[48..]));
    }

    private interface IWords<V> where V : struct
    {
        static abstract V Broadcast(uint value);
        /// <summary>High and low halves of the 64-bit products m·c, lane by lane.</summary>
        static abstract (V Hi, V Lo) MulHiLo(V m, V c);
        static abstract V Xor(V a, V b, V c);
    }

    /// <summary>AVX-512: vpmuludq on 8 even and 8 odd lanes; the merges are single vpternlogq selects.</summary>
    private readonly struct Words512 : IWords<Vector512<uint>>
    {
        public static Vector512<uint> Broadcast(uint value) => Vector512.Create(value);
        public static Vector512<uint> Xor(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c) => a ^ b ^ c;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector512<uint> Hi, Vector512<uint> Lo) MulHiLo(Vector512<uint> m, Vector512<uint> c)
        {
            var lowHalves = Vector512.Create(0x0000_0000_FFFF_FFFFUL);
            var even = Avx512F.Multiply(m, c);                               // lanes 0,2,..,14 → 64-bit
            var odd = Avx512F.Multiply(m, (c.AsUInt64() >> 32).AsUInt32()); // lanes 1,3,..,15 → 64-bit
            return (Vector512.ConditionalSelect(lowHalves, even >> 32, odd).AsUInt32(), Vector512.ConditionalSelect(lowHalves, even, odd << 32).AsUInt32());
        }
    }

    /// <summary>AVX2: vpmuludq on even and odd lanes, merged by blends.</summary>
    private readonly struct Words256 : IWords<Vector256<uint>>
    {
        public static Vector256<uint> Broadcast(uint value) => Vector256.Create(value);
        public static Vector256<uint> Xor(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c) => a ^ b ^ c;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector256<uint> Hi, Vector256<uint> Lo) MulHiLo(Vector256<uint> m, Vector256<uint> c)
        {
            var even = Avx2.Multiply(m, c);                                                    // lanes 0,2,4,6 → 64-bit
            var odd = Avx2.Multiply(m, Avx2.ShiftRightLogical(c.AsUInt64(), 32).AsUInt32());   // lanes 1,3,5,7 → 64-bit
            var lo = Avx2.Blend(even.AsUInt32(), Avx2.ShiftLeftLogical(odd, 32).AsUInt32(), 0b1010_1010);
            var hi = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsUInt32(), odd.AsUInt32(), 0b1010_1010);
            return (hi, lo);
        }
    }

    /// <summary>
    /// 128-bit: SSE2's pmuludq on even and odd lanes (x86), or NEON's widening multiplies of the low and
    /// high pairs (ARM64; compiled, not run on this project's x86 machines), else 64-bit lane products.
    /// </summary>
    private readonly struct Words128 : IWords<Vector128<uint>>
    {
        public static Vector128<uint> Broadcast(uint value) => Vector128.Create(value);
        public static Vector128<uint> Xor(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c) => a ^ b ^ c;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector128<uint> Hi, Vector128<uint> Lo) MulHiLo(Vector128<uint> m, Vector128<uint> c)
        {
            if (Sse2.IsSupported)
            {
                var lowHalves = Vector128.Create(0x0000_0000_FFFF_FFFFUL);
                var even = Sse2.Multiply(m, c);                               // lanes 0, 2 → 64-bit
                var odd = Sse2.Multiply(m, (c.AsUInt64() >> 32).AsUInt32());  // lanes 1, 3 → 64-bit
                return (Vector128.ConditionalSelect(lowHalves, even >> 32, odd).AsUInt32(), Vector128.ConditionalSelect(lowHalves, even, odd << 32).AsUInt32());
            }
            if (AdvSimd.Arm64.IsSupported)
            {
                var low = AdvSimd.MultiplyWideningLower(m.GetLower(), c.GetLower()).AsUInt32(); // lanes 0, 1 → 64-bit
                var high = AdvSimd.MultiplyWideningUpper(m, c).AsUInt32();                       // lanes 2, 3 → 64-bit
                return (AdvSimd.Arm64.UnzipOdd(low, high), AdvSimd.Arm64.UnzipEven(low, high));
            }
            var (mLow, mHigh) = Vector128.Widen(m);
            var (cLow, cHigh) = Vector128.Widen(c);
            var (pLow, pHigh) = (mLow * cLow, mHigh * cHigh);
            return (Vector128.Narrow(pLow >> 32, pHigh >> 32), Vector128.Narrow(pLow, pHigh));
        }
    }
}
