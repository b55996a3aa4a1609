using System.Runtime.Intrinsics;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>
/// Philox4x32-10 against the Random123 known-answer vectors, and every vector width this CPU runs
/// (512, 256, 128 bits, scalar lanes) against the scalar block.
/// </summary>
public class PhiloxTests
{
    /// <summary>Random123's known answers: counter (c0..c3), key (k0, k1), expected output (e0..e3).</summary>
    public static TheoryData<uint, uint, uint, uint, uint, uint, uint, uint, uint, uint> KnownAnswers => new()
    {
        { 0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u },
        { 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu },
        { 0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u },
    };

    /// <summary>The widths this process runs natively, in bits (64: scalar).</summary>
    public static IEnumerable<object[]> Widths() =>
        Enum.GetValues<VectorWidth>().Where(w => w <= VectorWidths.Native).Select(w => new object[] { (int)w });

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void Scalar_and_sixteen_lane_blocks_reproduce_the_Random123_known_answers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        uint e0, uint e1, uint e2, uint e3)
    {
        Assert.Equal((e0, e1, e2, e3), Philox.Block(c0, c1, c2, c3, k0, k1));
        foreach (var width in Enum.GetValues<VectorWidth>().Where(w => w <= VectorWidths.Native))
        {
            var output = Sixteen(width, [Enumerable.Repeat(c0, 16).ToArray(), Enumerable.Repeat(c1, 16).ToArray(),
                Enumerable.Repeat(c2, 16).ToArray(), Enumerable.Repeat(c3, 16).ToArray()], k0, k1);
            Assert.All(output[0], w => Assert.Equal(e0, w));
            Assert.All(output[1], w => Assert.Equal(e1, w));
            Assert.All(output[2], w => Assert.Equal(e2, w));
            Assert.All(output[3], w => Assert.Equal(e3, w));
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Sixteen_lane_blocks_at_each_width_equal_scalar_blocks_for_random_counters_and_keys(int bits)
    {
        var random = new Random(bits);
        uint Next() => (uint)random.NextInt64(0, 1L << 32);
        for (int trial = 0; trial < 200; trial++)
        {
            var words = new uint[4][];
            for (int w = 0; w < 4; w++) words[w] = Enumerable.Range(0, 16).Select(_ => Next()).ToArray();
            uint k0 = Next(), k1 = Next();
            var output = Sixteen((VectorWidth)bits, words, k0, k1);
            for (int lane = 0; lane < 16; lane++)
                Assert.Equal(Philox.Block(words[0][lane], words[1][lane], words[2][lane], words[3][lane], k0, k1),
                    (output[0][lane], output[1][lane], output[2][lane], output[3][lane]));
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Two_interleaved_sets_at_each_width_equal_two_separate_scalar_computed_sets(int bits)
    {
        var random = new Random(32 + bits);
        uint Next() => (uint)random.NextInt64(0, 1L << 32);
        for (int trial = 0; trial < 100; trial++)
        {
            var v = Enumerable.Range(0, 8).Select(_ => Vector512.Create<uint>(Enumerable.Range(0, 16).Select(_ => Next()).ToArray())).ToArray();
            uint k0 = Next(), k1 = Next();
            var expected = v.ToArray();
            Philox.Block16At(VectorWidth.Scalar, ref expected[0], ref expected[1], ref expected[2], ref expected[3], k0, k1);
            Philox.Block16At(VectorWidth.Scalar, ref expected[4], ref expected[5], ref expected[6], ref expected[7], k0, k1);
            Philox.Block16x2At((VectorWidth)bits, ref v[0], ref v[1], ref v[2], ref v[3], ref v[4], ref v[5], ref v[6], ref v[7], k0, k1);
            Assert.Equal(expected, v);
        }
    }

    private static uint[][] Sixteen(VectorWidth width, uint[][] words, uint k0, uint k1)
    {
        var v = words.Select(w => Vector512.Create<uint>(w)).ToArray();
        Philox.Block16At(width, ref v[0], ref v[1], ref v[2], ref v[3], k0, k1);
        return v.Select(x => Enumerable.Range(0, 16).Select(i => x[i]).ToArray()).ToArray();
    }
}
