using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Tests.Training;

public class EvalMeterTests
{
    /// <summary>Brute force: correct at k when fewer than k other classes score ≥ the label's score.</summary>
    private static bool Correct(float[] row, int label, int k) => row.Where((s, c) => c != label && s >= row[label]).Count() < k;

    [Fact]
    public void MatchesBruteForceWithTiesAndAbsentClasses()
    {
        var rng = new Random(5);
        int n = 40, classes = 6;
        // Scores on a coarse grid produce many ties; class 5 never appears as a label.
        var scores = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, classes).Select(_ => (float)rng.Next(3)).ToArray()).ToArray();
        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(classes - 1)).ToArray();
        var meter = new EvalMeter([1, 2, 3], classes);
        for (int start = 0; start < n; start += 16)   // streamed in uneven batches
        {
            int count = Math.Min(16, n - start);
            using var s = tensor(scores.Skip(start).Take(count).SelectMany(r => r).ToArray(), [count, classes]);
            using var y = tensor(labels.Skip(start).Take(count).Select(l => (long)l).ToArray());
            meter.Add(s, y);
        }
        var report = meter.Report();
        Assert.Equal([5], report.AbsentClasses);
        foreach (int k in new[] { 1, 2, 3 })
        {
            double micro = Enumerable.Range(0, n).Count(i => Correct(scores[i], labels[i], k)) / (double)n;
            double macro = Enumerable.Range(0, classes - 1).Average(c =>
            {
                var members = Enumerable.Range(0, n).Where(i => labels[i] == c).ToArray();
                return members.Count(i => Correct(scores[i], labels[i], k)) / (double)members.Length;
            });
            Assert.Equal(micro, report.MicroAt(k), 12);
            Assert.Equal(macro, report.MacroAt(k), 12);
        }
    }

    [Fact]
    public void ConstantScoresScoreZero()
    {
        var meter = new EvalMeter([1, 3], 4);
        meter.Add(zeros(8, 4), arange(8) % 4);
        Assert.Equal(0.0, meter.Report().MicroAt(3));
    }
}
