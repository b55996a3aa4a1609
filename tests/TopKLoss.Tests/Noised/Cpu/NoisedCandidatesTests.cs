using System.Numerics;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>
/// The pruning of the noised kernel, checked directly against every draw (not only through the
/// result, which a missed candidate changes only when it would have been the k-th): each sample's
/// floor is at most its k-th largest, and every draw that reaches the floor is kept for settling.
/// </summary>
public class NoisedCandidatesTests
{
    [Theory]
    [InlineData(50, 6, 1.0)]
    [InlineData(1000, 6, 1.0)]
    [InlineData(1000, 6, 0.2)]
    [InlineData(1000, 1, 5.0)]
    [InlineData(3000, 21, 0.2)]
    [InlineData(2000, 6, 0.01)]
    [InlineData(70000, 6, 1.0)]
    public void Floors_are_below_each_samples_kth_and_every_draw_reaching_the_floor_is_kept(int n, int k, double epsilon)
    {
        Check<float>(n, k, epsilon, ScalarType.Float32);
        Check<double>(n, k, epsilon, ScalarType.Float64);
    }

    [Fact]
    public void Lists_that_outgrow_their_first_capacity_keep_every_draw_reaching_the_floor()
    {
        // Equal scores: the seeds' floor is low against the row's k-th, so about 300 draws per sample
        // are listed, past the 128 a sample's list starts with.
        Tensor Flat(long rows, int n, Generator _) => zeros(rows, n, dtype: ScalarType.Float64);
        Check<float>(4000, 6, 1.0, ScalarType.Float32, Flat);
        Check<double>(4000, 6, 1.0, ScalarType.Float64, Flat);
        var kept = NoisedRows<float>.CandidatesOf(new float[4000], 0, 6, 1f, 10, new NoiseStream(7, 3))!.Value.Kept;
        Assert.True(kept.Max(list => list.Length) > 128, "the lists did not grow: the test checks nothing more");
    }

    [Fact]
    public void Thresholds_are_sound_where_buckets_are_wider_than_the_threshold_grid()
    {
        // 16 columns at 10, two in each of the first 8 groups (so they are the seeds), set the floor F
        // near 10; the other columns spread over [4, 8] need z from about 2 to 6 to reach it, through
        // the last buckets, which are wider than the grid the thresholds are read from.
        Tensor Row(long rows, int n, Generator generator)
        {
            var x = rand(rows, n, dtype: ScalarType.Float64, generator: generator) * 4 + 4;
            for (int g = 0; g < 8; g++) x[TensorIndex.Colon, TensorIndex.Slice(128 * g, 128 * g + 2)] = tensor(10.0);
            return x;
        }
        Check<float>(20000, 6, 1.0, ScalarType.Float32, Row);
        Check<double>(20000, 6, 1.0, ScalarType.Float64, Row);
    }

    [Theory]
    [InlineData(4.3)]   // inside the last bucket, z ∈ [4.17, 7.87]: its own threshold bucket
    [InlineData(4.09)]  // inside the one before, z ∈ [4.01, 4.17]
    public void Draws_of_a_columns_threshold_bucket_that_reach_the_floor_are_kept(double gap)
    {
        // The same 16 seed columns at 10 fix every sample's floor; the other columns sit exactly `gap`
        // below the lowest floor, so only draws of their threshold bucket can reach it, and some do.
        const int n = 60016, samples = 10, k = 6;
        var noise = new NoiseStream(7, 3);
        int reached = 0;
        for (int row = 0; row < 3; row++)
        {
            var x = new float[n];
            for (int g = 0; g < 8; g++) x[128 * g] = x[128 * g + 1] = 10;
            float floor = NoisedRows<float>.CandidatesOf(x, row, k, 1f, samples, noise)!.Value.Floors.Min();
            for (int j = 0; j < n; j++) if (x[j] != 10) x[j] = (float)(floor - gap);
            var (floors, thresholds, kept) = NoisedRows<float>.CandidatesOf(x, row, k, 1f, samples, noise)!.Value;
            Assert.Equal(floor, floors.Min()); // the seeds alone set the floors
            AssertThresholdsAreSound(x, 1f, floor, thresholds, $"gap {gap} row {row}");
            for (int q = 0; q < samples; q++)
            {
                var set = kept[q].ToHashSet();
                for (int j = 0; j < n; j++)
                {
                    if (x[j] == 10 || x[j] + (float)noise.At(row, j, q) < floors[q]) continue;
                    reached++;
                    Assert.True(set.Contains(j), $"gap {gap} row {row} sample {q}: column {j} reaches the floor but is not kept");
                }
            }
        }
        Assert.True(reached > 0, "no draw reached the floor: the test checks nothing");
    }

    /// <summary>Bucket H_j − 1 (and so every lower one) cannot reach the common floor F from column j.</summary>
    private static void AssertThresholdsAreSound<T>(T[] x, T epsilon, T floor, ushort[] thresholds, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var upper = typeof(T) == typeof(float) ? CoarseBounds.UpperF.Select(v => T.CreateTruncating(v)).ToArray() : CoarseBounds.UpperD.Select(v => T.CreateTruncating(v)).ToArray();
        for (int j = 0; j < x.Length; j++)
            if (thresholds[j] > 0)
                Assert.True(x[j] + epsilon * upper[thresholds[j] - 1] < floor, $"{what}: column {j} (x = {x[j]}) reaches the floor {floor} from bucket {thresholds[j] - 1}, below its threshold {thresholds[j]}");
    }

    private static void Check<T>(int n, int k, double epsilon, ScalarType dtype, Func<long, int, Generator, Tensor>? makeScores = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var scope = NewDisposeScope();
        const int samples = 10, rows = 2;
        var generator = new Generator((ulong)(n + k));
        foreach (bool ties in makeScores is null ? new[] { false, true } : new[] { false })
        {
            var x = (makeScores is not null ? makeScores(rows, n, generator)
                : ties ? randint(-3, 4, new long[] { rows, n }, generator: generator).to_type(ScalarType.Float64) : randn(rows, n, dtype: ScalarType.Float64, generator: generator)).to_type(dtype).contiguous();
            var z = KernelNoise.Of(rows, n, samples, 7, 3, dtype).to_type(ScalarType.Float64).data<double>().ToArray();
            var scores = x.to_type(ScalarType.Float64).data<double>().ToArray();
            T eps = T.CreateTruncating(epsilon);
            for (int row = 0; row < rows; row++)
            {
                var xs = scores.AsSpan(row * n, n).ToArray().Select(T.CreateTruncating).ToArray();
                var candidates = NoisedRows<T>.CandidatesOf(xs, row, k, eps, samples, new NoiseStream(7, 3));
                Assert.NotNull(candidates);
                var (floors, thresholds, kept) = candidates.Value;
                AssertThresholdsAreSound(xs, eps, floors.Min(), thresholds, $"{dtype} n {n} ε {epsilon} row {row}");
                for (int q = 0; q < samples; q++)
                {
                    // the same arithmetic as the kernel and the tensor formula: fl(x + fl(ε·z)) in T
                    var values = Enumerable.Range(0, n).Select(j => xs[j] + eps * T.CreateTruncating(z[((long)row * n + j) * samples + q])).ToArray();
                    T kth = values.OrderDescending().ElementAt(k - 1);
                    Assert.True(floors[q] <= kth, $"{dtype} n {n} ε {epsilon} row {row} sample {q}: floor {floors[q]} above the k-th {kth}");
                    var set = kept[q].ToHashSet();
                    for (int j = 0; j < n; j++)
                        Assert.True(values[j] < floors[q] || set.Contains(j), $"{dtype} n {n} ε {epsilon} row {row} sample {q}: column {j} ({values[j]}) reaches the floor {floors[q]} but is not kept");
                    if (n >= 1000 && k <= 8 && !ties && makeScores is null) Assert.True(kept[q].Length < n / 20, $"{kept[q].Length} of {n} kept: the pruning does nothing");
                }
            }
        }
    }
}
