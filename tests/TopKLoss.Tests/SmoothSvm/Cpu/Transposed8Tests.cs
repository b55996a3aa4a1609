using System.Runtime.Intrinsics;
using TopKLoss.Kernels;
using TopKLoss.Tests.Support;

namespace TopKLoss.Tests.Kernels;

/// <summary>
/// The register transposes that move rows into 8-lane packs and gradients back out. They are
/// AVX-512F code: elsewhere the scalar fallback runs (covered by the pack tests) and these are skipped.
/// </summary>
public class Transposed8Tests
{
    [IsaTheory(Isa.Avx512F)]
    [InlineData(ScalarType.Float32, 8, 8, 0, 8)]
    [InlineData(ScalarType.Float64, 8, 8, 0, 8)]
    [InlineData(ScalarType.Float32, 3, 37, 0, 37)]  // a partial pack: absent lanes are −∞; length mod 8 left to the caller
    [InlineData(ScalarType.Float64, 5, 21, 0, 21)]
    [InlineData(ScalarType.Float32, 8, 50, 16, 27)] // a window of the rows
    [InlineData(ScalarType.Float64, 8, 50, 5, 40)]
    public void Load_puts_element_i_of_row_l_in_lane_l_of_vector_i_and_Store_inverts_it(ScalarType dtype, int rowCount, int n, int start, int length)
    {
        using var scope = NewDisposeScope();
        var x = randn(12, n, dtype: dtype, generator: new Generator(3));
        var values = x.to_type(ScalarType.Float64).data<double>().ToArray();
        int[] rows = [.. new[] { 7, 2, 11, 0, 5, 9, 1, 4 }.Take(rowCount)];
        var pack = new Vector512<double>[length];
        int done = Transposed8.Load(CpuRows.Pointer(x), dtype == ScalarType.Float32, n, start, length, rows, pack);
        Assert.Equal(length / 8 * 8, done);
        for (int i = 0; i < done; i++)
            for (int l = 0; l < 8; l++)
                Assert.Equal(l < rowCount ? values[rows[l] * n + start + i] : double.NegativeInfinity, pack[i][l]);
        if (rowCount < 8) return;
        var back = zeros(12, n, dtype: dtype);
        Assert.Equal(done, Transposed8.Store(CpuRows.Pointer(back), dtype == ScalarType.Float32, n, start, length, rows, pack));
        var stored = back.to_type(ScalarType.Float64).data<double>().ToArray();
        for (int l = 0; l < 8; l++)
            for (int j = 0; j < n; j++)
                Assert.Equal(j >= start && j < start + done ? values[rows[l] * n + j] : 0.0, stored[rows[l] * n + j]);
    }
}
