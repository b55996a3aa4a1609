using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TopKLoss.Kernels;

/// <summary>
/// Rows ↔ 8-lane pack (element i of row l in lane l of vector i) by 8×8 transposes in registers
/// (AVX-512: 8 unpacks and 16 128-bit shuffles per 64 elements) instead of 64 scalar strided
/// moves. Callers check <see cref="Avx512F.IsSupported"/> and finish the last n mod 8 elements.
/// </summary>
internal static unsafe class Transposed8
{
    /// <summary>
    /// pack[i] lane l = row rows[l] element start + i (rows of n elements), as float64, for i below
    /// the returned multiple of 8 (≤ length); lanes without a row get −∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Load(nint basePtr, bool isFloat, int n, int start, int length, ReadOnlySpan<int> rows, Span<Vector512<double>> pack)
    {
        Span<nint> starts = stackalloc nint[8];
        for (int l = 0; l < 8; l++) starts[l] = l < rows.Length ? basePtr + (nint)(((long)rows[l] * n + start) * (isFloat ? 4 : 8)) : 0;
        var absent = Vector512.Create(double.NegativeInfinity);
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            var r0 = Read(starts[0], isFloat, i, absent); var r1 = Read(starts[1], isFloat, i, absent);
            var r2 = Read(starts[2], isFloat, i, absent); var r3 = Read(starts[3], isFloat, i, absent);
            var r4 = Read(starts[4], isFloat, i, absent); var r5 = Read(starts[5], isFloat, i, absent);
            var r6 = Read(starts[6], isFloat, i, absent); var r7 = Read(starts[7], isFloat, i, absent);
            Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            (pack[i], pack[i + 1], pack[i + 2], pack[i + 3]) = (r0, r1, r2, r3);
            (pack[i + 4], pack[i + 5], pack[i + 6], pack[i + 7]) = (r4, r5, r6, r7);
        }
        return i;
    }

    /// <summary>
    /// Row rows[l] element start + i = pack[i] lane l (rounded to float for float32; with
    /// <paramref name="accumulate"/>, added to the element first), for i below the returned multiple
    /// of 8 (≤ length); rows.Length must be 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Store(nint basePtr, bool isFloat, int n, int start, int length, ReadOnlySpan<int> rows, ReadOnlySpan<Vector512<double>> pack,
        bool accumulate = false)
    {
        Span<nint> starts = stackalloc nint[8];
        for (int l = 0; l < 8; l++) starts[l] = basePtr + (nint)(((long)rows[l] * n + start) * (isFloat ? 4 : 8));
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            var (r0, r1, r2, r3) = (pack[i], pack[i + 1], pack[i + 2], pack[i + 3]);
            var (r4, r5, r6, r7) = (pack[i + 4], pack[i + 5], pack[i + 6], pack[i + 7]);
            Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            if (accumulate)
            {
                var absent = Vector512<double>.Zero; // every start is a row here
                r0 += Read(starts[0], isFloat, i, absent); r1 += Read(starts[1], isFloat, i, absent);
                r2 += Read(starts[2], isFloat, i, absent); r3 += Read(starts[3], isFloat, i, absent);
                r4 += Read(starts[4], isFloat, i, absent); r5 += Read(starts[5], isFloat, i, absent);
                r6 += Read(starts[6], isFloat, i, absent); r7 += Read(starts[7], isFloat, i, absent);
            }
            Write(starts[0], isFloat, i, r0); Write(starts[1], isFloat, i, r1);
            Write(starts[2], isFloat, i, r2); Write(starts[3], isFloat, i, r3);
            Write(starts[4], isFloat, i, r4); Write(starts[5], isFloat, i, r5);
            Write(starts[6], isFloat, i, r6); Write(starts[7], isFloat, i, r7);
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Read(nint start, bool isFloat, int i, Vector512<double> absent)
    {
        if (start == 0) return absent;
        return isFloat ? Avx512F.ConvertToVector512Double(Vector256.Load((float*)start + i)) : Vector512.Load((double*)start + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(nint start, bool isFloat, int i, Vector512<double> v)
    {
        if (isFloat) Avx512F.ConvertToVector256Single(v).Store((float*)start + i);
        else v.Store((double*)start + i);
    }

    /// <summary>In-place transpose of the 8×8 matrix whose rows are r0..r7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(ref Vector512<double> r0, ref Vector512<double> r1, ref Vector512<double> r2, ref Vector512<double> r3,
        ref Vector512<double> r4, ref Vector512<double> r5, ref Vector512<double> r6, ref Vector512<double> r7)
    {
        // pairs: t0 = (r0_0 r1_0 r0_2 r1_2 r0_4 r1_4 r0_6 r1_6), t1 = the odd elements, ...
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        // 128-bit blocks: 0x88 takes blocks 0, 2 of each source, 0xDD blocks 1, 3
        var u0 = Avx512F.Shuffle4x128(t0, t2, 0x88); var u1 = Avx512F.Shuffle4x128(t0, t2, 0xDD);
        var u2 = Avx512F.Shuffle4x128(t1, t3, 0x88); var u3 = Avx512F.Shuffle4x128(t1, t3, 0xDD);
        var u4 = Avx512F.Shuffle4x128(t4, t6, 0x88); var u5 = Avx512F.Shuffle4x128(t4, t6, 0xDD);
        var u6 = Avx512F.Shuffle4x128(t5, t7, 0x88); var u7 = Avx512F.Shuffle4x128(t5, t7, 0xDD);
        r0 = Avx512F.Shuffle4x128(u0, u4, 0x88); r4 = Avx512F.Shuffle4x128(u0, u4, 0xDD);
        r2 = Avx512F.Shuffle4x128(u1, u5, 0x88); r6 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        r1 = Avx512F.Shuffle4x128(u2, u6, 0x88); r5 = Avx512F.Shuffle4x128(u2, u6, 0xDD);
        r3 = Avx512F.Shuffle4x128(u3, u7, 0x88); r7 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
    }
}
