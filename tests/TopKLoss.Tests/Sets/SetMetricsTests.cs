using CsCheck;
using TopKLoss.Metrics;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.Sets;

/// <summary>Set coverage and size, ECE with its bins, and the many/medium/few table, against brute-force counts.</summary>
public class SetMetricsTests
{
    private static readonly Gen<(int N, bool[][] Sets, int[] Labels)> SetCases =
        from n in Gen.Int[1, 6]
        from batch in Gen.Int[1, 30]
        from sets in Gen.Bool.Array[n].Array[batch]
        from labels in Gen.Int[0, n - 1].Array[batch]
        select (n, sets, labels);

    [Fact]
    public void Set_meter_matches_the_brute_force_count()
    {
        SetCases.Sample(c =>
        {
            using var scope = NewDisposeScope();
            var (n, sets, labels) = c;
            var mask = tensor(sets.SelectMany(s => s).ToArray(), new long[] { sets.Length, n });
            var y = tensor(labels.Select(l => (long)l).ToArray());
            var meter = new SetMeter(n);
            int split = sets.Length / 2;
            if (split > 0) meter.Update(mask[..split], y[..split]);
            meter.Update(mask[split..], y[split..]);
            var report = meter.Report();
            var covered = sets.Select((s, i) => s[labels[i]]).ToArray();
            Assert.Equal(sets.Length, report.Samples);
            Assert.Equal(covered.Average(b => b ? 1.0 : 0.0), report.Coverage, 14);
            Assert.Equal(sets.Average(s => s.Count(m => m)), report.MeanSize, 14);
            for (int size = 0; size <= n; size++) Assert.Equal(sets.Count(s => s.Count(m => m) == size), report.SizeCounts[size]);
            var perClass = Enumerable.Range(0, n).Select(cl =>
            {
                var members = Enumerable.Range(0, sets.Length).Where(i => labels[i] == cl).ToArray();
                return members.Length == 0 ? double.NaN : members.Average(i => covered[i] ? 1.0 : 0.0);
            }).ToArray();
            for (int cl = 0; cl < n; cl++) Assert.Equal(perClass[cl], report.PerClassCoverage[cl], 14);
            Assert.Equal(perClass.Where(v => !double.IsNaN(v)).Average(), report.MacroCoverage, 14);
            Assert.Equal(perClass.Where(v => !double.IsNaN(v)).Min(), report.WorstClassCoverage, 14);
            Assert.Equal(report.Coverage, F.set_coverage(mask, y), 14);
        }, iter: 150);
    }

    [Fact]
    public void Ece_and_reliability_bins_match_their_definition()
    {
        var gen = from n in Gen.Int[1, 6]
                  from batch in Gen.Int[1, 40]
                  from rows in Gen.Int[-3, 3].Select(v => v * 0.7).Array[n].Array[batch]
                  from labels in Gen.Int[0, n - 1].Array[batch]
                  from bins in Gen.Int[1, 20]
                  select (n, rows, labels, bins);
        gen.Sample(c =>
        {
            using var scope = NewDisposeScope();
            var (n, rows, labels, bins) = c;
            var scores = tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, n });
            var y = tensor(labels.Select(l => (long)l).ToArray());
            var meter = new CalibrationMeter(bins);
            meter.Update(scores, y);
            var report = meter.Report();
            var confidence = rows.Select(r => SetOracle.Softmax(r).Max()).ToArray();
            var correct = rows.Select((r, i) => Enumerable.Range(0, n).All(j => j == labels[i] || r[j] < r[labels[i]])).ToArray();
            double ece = 0;
            for (int b = 0; b < bins; b++)
            {
                double lo = (double)b / bins, hi = (double)(b + 1) / bins;
                var members = Enumerable.Range(0, rows.Length).Where(i => (confidence[i] > lo || b == 0) && confidence[i] <= hi).ToArray();
                Assert.Equal(members.Length, report.Bins[b].Count);
                Assert.Equal(lo, report.Bins[b].Lower);
                Assert.Equal(hi, report.Bins[b].Upper);
                if (members.Length == 0) { Assert.True(double.IsNaN(report.Bins[b].Accuracy)); continue; }
                double acc = members.Average(i => correct[i] ? 1.0 : 0.0), conf = members.Average(i => confidence[i]);
                Assert.Equal(acc, report.Bins[b].Accuracy, 14);
                Assert.Equal(conf, report.Bins[b].MeanConfidence, 12);
                ece += (double)members.Length / rows.Length * Math.Abs(acc - conf);
            }
            Assert.Equal(ece, report.Ece, 12);
            Assert.Equal(ece, F.expected_calibration_error(scores, y, bins), 12);
        }, iter: 150);
    }

    [Fact]
    public void Confidences_on_a_bin_edge_go_to_the_lower_bin()
    {
        Assert.Equal(0, CalibrationMeter.BinOf(1.0 / 15, 15));
        Assert.Equal(1, CalibrationMeter.BinOf(Math.BitIncrement(1.0 / 15), 15));
        Assert.Equal(14, CalibrationMeter.BinOf(1.0, 15));
        Assert.Equal(0, CalibrationMeter.BinOf(0.0, 15));
        for (int b = 1; b < 15; b++) Assert.Equal(b - 1, CalibrationMeter.BinOf((double)b / 15, 15));
    }

    [Fact]
    public void A_perfectly_calibrated_bin_has_no_error_and_a_confident_miss_has_all()
    {
        using var scope = NewDisposeScope();
        // Two classes, equal logits would tie; logits (log 3, 0): confidence 0.75; labels 0,0,0,1 → accuracy 0.75.
        var s = tensor(new[] { Math.Log(3), 0, Math.Log(3), 0, Math.Log(3), 0, Math.Log(3), 0 }, new long[] { 4, 2 });
        Assert.Equal(0.0, F.expected_calibration_error(s, tensor(new long[] { 0, 0, 0, 1 })), 14);
        Assert.Equal(0.75, F.expected_calibration_error(s, tensor(new long[] { 1, 1, 1, 1 })), 14);
    }

    [Fact]
    public void Long_tail_groups_follow_the_thresholds_and_average_their_classes()
    {
        var gen = from n in Gen.Int[2, 8]
                  from counts in Gen.Int[0, 150].Select(v => (long)v).Array[n]
                  from batch in Gen.Int[1, 40]
                  from rows in Gen.Int[0, 3].Select(v => (double)v).Array[n].Array[batch]
                  from labels in Gen.Int[0, n - 1].Array[batch]
                  from many in Gen.Int[0, 120]
                  from few in Gen.Int[0, 121]
                  select (n, counts, rows, labels, many: (long)many, few: (long)Math.Min(few, many + 1));
        gen.Sample(c =>
        {
            using var scope = NewDisposeScope();
            var meter = new TopKAccuracyMeter(new[] { 1, 2 }, c.n);
            meter.Update(tensor(c.rows.SelectMany(r => r).ToArray(), new long[] { c.rows.Length, c.n }), tensor(c.labels.Select(l => (long)l).ToArray()));
            var report = meter.Report().LongTail(c.counts, c.many, c.few);
            foreach (var (group, member) in new (ShotGroup, Func<long, bool>)[]
                     { (ShotGroup.Many, n => n > c.many), (ShotGroup.Medium, n => n >= c.few && n <= c.many), (ShotGroup.Few, n => n < c.few) })
            {
                var classes = Enumerable.Range(0, c.n).Where(cl => member(c.counts[cl])).ToArray();
                Assert.Equal(classes, report.Classes(group));
                foreach (int k in new[] { 1, 2 })
                {
                    var accs = classes.Where(cl => c.labels.Contains(cl)).Select(cl =>
                        c.labels.Select((l, i) => (l, i)).Where(p => p.l == cl).Average(p => Metrics.MetricsOracle.Correct(c.rows[p.i], cl, k) ? 1.0 : 0.0)).ToArray();
                    Assert.Equal(accs.Length, report.PresentClasses(group));
                    Assert.Equal(accs.Length == 0 ? double.NaN : accs.Average(), report.Macro(group, k), 14);
                }
            }
        }, iter: 150);
    }

    [Fact]
    public void Long_tail_defaults_are_100_and_20_and_bad_arguments_are_named()
    {
        var meter = new TopKAccuracyMeter(new[] { 1 }, 4);
        var report = meter.Report().LongTail(new long[] { 101, 100, 20, 19 });
        Assert.Equal(new[] { ShotGroup.Many, ShotGroup.Medium, ShotGroup.Medium, ShotGroup.Few }, report.GroupOf);
        Assert.Contains("class_counts must hold one training count per class (4)",
            Assert.Throws<ArgumentException>(() => meter.Report().LongTail(new long[] { 1, 2 })).Message);
        Assert.Contains("few_threshold must be ≤ many_threshold + 1",
            Assert.Throws<ArgumentOutOfRangeException>(() => meter.Report().LongTail(new long[] { 1, 2, 3, 4 }, 10, 12)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => report.Macro(ShotGroup.Few, 3));
    }
}

/// <summary>Every new entry point leaves exactly its result in the caller's dispose scope.</summary>
public class IssueFifteenDisposeTests
{
    [Fact]
    public void New_functions_leave_only_their_result_in_the_callers_scope()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(8);
        var s = randn(12, 5, dtype: ScalarType.Float64, generator: g);
        var y = randint(0, 5, new long[] { 12 }, generator: g);
        long[] counts = { 9, 4, 3, 2, 1 };
        void Leaves(int results, Action call, string what)
        {
            long before = scope.DisposablesCount;
            call();
            Assert.True(before + results == scope.DisposablesCount, $"{what}: {scope.DisposablesCount - before} tensors left, expected {results}");
        }
        TopKLoss.Sets.SetPredictor aps = null!;
        Leaves(0, () => aps = TopKLoss.Sets.SetPredictor.FitAps(s, y, 0.2, seed: 1), "FitAps");
        Leaves(0, () => TopKLoss.Sets.SetPredictor.FitAverageK(s, 2), "FitAverageK");
        Tensor sets = null!;
        Leaves(1, () => sets = aps.Predict(s), "Predict");
        Leaves(1, () => F.topk_sets(s, 2), "topk_sets");
        Leaves(0, () => new SetMeter(5).Update(sets, y), "SetMeter.Update");
        Leaves(0, () => new CalibrationMeter().Update(s, y), "CalibrationMeter.Update");
        Leaves(1, () => F.balanced_softmax_loss(s, y, counts), "balanced_softmax_loss");
        Leaves(1, () => F.logit_adjusted_loss(s, y, counts), "logit_adjusted_loss");
        Leaves(1, () => F.multik_smooth_topk_svm_loss(s, y, [1, 3], [0.5, 0.5]), "multik_smooth_topk_svm_loss");
    }
}
