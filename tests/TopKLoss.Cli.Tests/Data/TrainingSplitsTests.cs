using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

public class TrainingSplitsTests
{
    [Fact]
    public void LongTail_Cifar100LtProfile_Has10847Images()
    {
        var counts = TrainingSplits.LongTailCounts(500, 100, 100);
        Assert.Equal(10_847, counts.Sum());
        Assert.Equal(500, counts[0]);
        Assert.Equal(5, counts[99]);
        Assert.True(counts.Zip(counts.Skip(1)).All(t => t.First >= t.Second));
        // ρ = 10 on CIFAR-10 (LDAM's CIFAR-10-LT): 5000 · 0.1^(c/9).
        Assert.Equal([5000, 3871, 2997, 2320, 1796, 1391, 1077, 834, 645, 500], TrainingSplits.LongTailCounts(5000, 10, 10));
        Assert.Equal(Enumerable.Repeat(7, 4), TrainingSplits.LongTailCounts(7, 4, 1));
    }

    [Fact]
    public void HoldOut_IsStratified_ExactSize_Disjoint_Deterministic()
    {
        var labels = Enumerable.Range(0, 1000).Select(i => i % 10).ToArray();
        var (train, validation) = TrainingSplits.HoldOut(labels, 10, 100, seed: 5);
        Assert.Equal(100, validation.Length);
        Assert.Equal(900, train.Length);
        Assert.Empty(train.Intersect(validation));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(10, validation.Count(i => labels[i] == c)));
        Assert.Equal(validation, TrainingSplits.HoldOut(labels, 10, 100, seed: 5).Validation);
        Assert.NotEqual(validation, TrainingSplits.HoldOut(labels, 10, 100, seed: 6).Validation);
    }

    [Fact]
    public void Apportion_LargestRemainders_ExactTotal()
    {
        Assert.Equal([3, 2, 2], TrainingSplits.Apportion([10, 10, 10], 7));
        Assert.Equal([5, 0, 1], TrainingSplits.Apportion([90, 1, 9], 6));
        Assert.Equal([0, 0], TrainingSplits.Apportion([0, 0], 0));
    }

    [Fact]
    public void Take_KeepsRequestedCountsPerClass_FromSeededShuffle()
    {
        var labels = Enumerable.Range(0, 300).Select(i => i % 3).ToArray();
        var kept = TrainingSplits.Take(labels, 3, [50, 20, 5], seed: 1, "--long-tail");
        Assert.Equal([50, 20, 5], Enumerable.Range(0, 3).Select(c => kept.Count(i => labels[i] == c)));
        Assert.Equal(kept, TrainingSplits.Take(labels, 3, [50, 20, 5], seed: 1, "--long-tail"));
        Assert.NotEqual(kept, TrainingSplits.Take(labels, 3, [50, 20, 5], seed: 2, "--long-tail"));
        var e = Assert.Throws<UsageException>(() => TrainingSplits.Take(labels, 3, [101, 1, 1], 1, "--train-size"));
        Assert.Contains("--train-size: class 0 needs 101", e.Message);
    }

    [Fact]
    public void BadSizes_AreUsageErrors()
    {
        Assert.Contains("--train-size must be at least the number of classes (10)", Assert.Throws<UsageException>(() => TrainingSplits.BalancedCounts(9, 10)).Message);
        Assert.Contains("--long-tail must be a finite ratio ≥ 1", Assert.Throws<UsageException>(() => TrainingSplits.LongTailCounts(10, 10, 0.5)).Message);
        Assert.Contains("--validation-size must be in [0, 4)", Assert.Throws<UsageException>(() => TrainingSplits.HoldOut([0, 1, 0, 1], 2, 4, 1)).Message);
    }
}
