using CsCheck;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>The vectorized top-q scan against the plain insertion, ties and non-finite rows included.</summary>
public class RowTopTests
{
    private static readonly Gen<(double[] Row, int Q)> Rows =
        from n in Gen.Int[1, 600]
        from q in Gen.Int[1, Math.Min(n, 25)]
        from levels in Gen.Int[2, 1000] // few levels: many ties
        from row in Gen.Int[0, levels].Array[n]
        select (row.Select(v => (double)v / levels * 10 - 5).ToArray(), q);

    [Fact]
    public void Scan_equals_the_plain_insertion_on_float64_and_float32()
    {
        Rows.Sample(c =>
        {
            var (expectedValues, expectedIndices) = Plain(c.Row, c.Q);
            var values = new double[c.Q];
            var indices = new int[c.Q];
            Assert.True(RowTop.Scan<double>(c.Row, values, indices));
            Assert.Equal(expectedValues, values);
            Assert.Equal(expectedIndices, indices);

            var single = c.Row.Select(v => (float)v).ToArray();
            (expectedValues, expectedIndices) = Plain(single.Select(v => (double)v).ToArray(), c.Q);
            Assert.True(RowTop.Scan<float>(single, values, indices));
            Assert.Equal(expectedValues, values);
            Assert.Equal(expectedIndices, indices);
        }, iter: 300);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Scan_reports_a_non_finite_entry_anywhere(double bad)
    {
        foreach (int n in new[] { 5, 100, 1001 })
            for (int at = 0; at < n; at += Math.Max(1, n / 7))
            {
                var row = Enumerable.Range(0, n).Select(i => Math.Sin(i)).ToArray();
                row[at] = bad;
                Assert.False(RowTop.Scan<double>(row, new double[3], new int[3]), $"n {n}, at {at}");
                Assert.False(RowTop.Scan<float>(row.Select(v => (float)v).ToArray(), new double[3], new int[3]), $"float n {n}, at {at}");
            }
    }

    private static (double[] Values, int[] Indices) Plain(double[] row, int q)
    {
        var values = new double[q];
        var indices = new int[q];
        RowTop.Largest(row, values, indices);
        return (values, indices);
    }

    [Theory]
    [InlineData(1000, 6)]
    [InlineData(1000, 21)]
    [InlineData(333, 2)]
    public void Bounds_bracket_the_qth_largest_and_give_the_exact_maxima(int n, int q)
    {
        var random = new Random(n + q);
        for (int trial = 0; trial < 200; trial++)
        {
            // a third of the rows integer-valued: ties at the top and at the q-th
            var row = Enumerable.Range(0, n).Select(_ => trial % 3 == 0 ? (float)random.Next(-3, 4) : (float)(random.NextDouble() * 6 - 3)).ToArray();
            int skip = random.Next(n);
            Assert.True(RowTop.Bounds<float>(row, q, skip, out double lower, out double largest, out double largestExcept));
            var sorted = row.Select(v => (double)v).OrderDescending().ToArray();
            Assert.True(lower <= sorted[q - 1], $"trial {trial}: bound {lower} above the {q}-th largest {sorted[q - 1]}");
            Assert.Equal(sorted[0], largest);
            Assert.Equal(row.Where((_, i) => i != skip).Max(), largestExcept);
        }
        var withNaN = new float[n];
        withNaN[n / 2] = float.NaN;
        Assert.False(RowTop.Bounds<float>(withNaN, q, 0, out _, out _, out _));
        Assert.False(RowTop.Bounds<float>(new float[8], q, 0, out _, out _, out _)); // too short: use Scan
    }
}
