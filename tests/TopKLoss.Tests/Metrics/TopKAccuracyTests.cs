using CsCheck;
using TopKLoss.Metrics;
using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.Metrics;

/// <summary>The streaming meter and the functional metrics against a brute-force count.</summary>
public class TopKAccuracyTests
{
    private sealed record Case(int N, double[][] Rows, int[] Labels, int[] Ks)
    {
        public Tensor Scores(ScalarType dtype = ScalarType.Float64) =>
            tensor(Rows.SelectMany(r => r).ToArray()).reshape(Rows.Length, N).to_type(dtype);
        public Tensor LabelTensor => tensor(Labels.Select(l => (long)l).ToArray());
        public override string ToString() => $"n {N}, batch {Rows.Length}, ks {{{string.Join(", ", Ks)}}}";
    }

    /// <summary>Integer scores in a small range (many ties); labels from a subset of the classes (absent classes).</summary>
    private static Gen<Case> Cases =>
        from n in Gen.Int[2, 9]
        from batch in Gen.Int[1, 40]
        from levels in Gen.Int[1, 5]
        from rows in Gen.Int[0, levels - 1].Select(v => (double)v).Array[n].Array[batch]
        from usedClasses in Gen.Int[1, n]
        from labels in Gen.Int[0, usedClasses - 1].Array[batch]
        from ks in Gen.Int[1, n].Array[1, 4]
        select new Case(n, rows, labels, ks);

    [Fact]
    public void Meter_matches_the_brute_force_count_with_ties_and_absent_classes()
    {
        Cases.Sample(c =>
        {
            using var scope = NewDisposeScope();
            var meter = new TopKAccuracyMeter(c.Ks, c.N);
            // Stream in two uneven batches.
            int split = c.Rows.Length / 3;
            var scores = c.Scores();
            var labels = c.LabelTensor;
            if (split > 0) meter.Update(scores[..split], labels[..split]);
            meter.Update(scores[split..], labels[split..]);
            var report = meter.Report();
            Assert.Equal(c.Rows.Length, report.Samples);
            var absent = Enumerable.Range(0, c.N).Where(cl => !c.Labels.Contains(cl)).ToArray();
            Assert.Equal(absent, report.AbsentClasses);
            foreach (int k in c.Ks.Distinct())
            {
                Assert.Equal(MetricsOracle.Micro(c.Rows, c.Labels, k), report.Micro(k), 12);
                var (macro, perClass) = MetricsOracle.Macro(c.Rows, c.Labels, k, c.N);
                Assert.Equal(macro, report.Macro(k), 12);
                for (int cl = 0; cl < c.N; cl++) Assert.Equal(perClass[cl], report.PerClass[cl].Accuracy(k), 12);
                Assert.Equal(MetricsOracle.Micro(c.Rows, c.Labels, k), F.topk_accuracy(scores, labels, k), 12);
                Assert.Equal(macro, F.macro_topk_accuracy(scores, labels, k, c.N), 12);
            }
        }, iter: 150);
    }

    [Fact]
    public void Macro_and_micro_are_monotone_in_k()
    {
        Cases.Sample(c =>
        {
            using var scope = NewDisposeScope();
            var meter = new TopKAccuracyMeter(Enumerable.Range(1, c.N), c.N);
            meter.Update(c.Scores(), c.LabelTensor);
            var report = meter.Report();
            for (int k = 2; k <= c.N; k++)
            {
                Assert.True(report.Macro(k) >= report.Macro(k - 1), $"{c}: macro top-{k} {report.Macro(k)} < top-{k - 1} {report.Macro(k - 1)}");
                Assert.True(report.Micro(k) >= report.Micro(k - 1), $"{c}: micro top-{k}");
            }
            Assert.Equal(1.0, report.Micro(c.N));
            Assert.Equal(1.0, report.Macro(c.N));
        }, iter: 100);
    }

    [Fact]
    public void A_constant_model_scores_zero_below_n_and_one_at_n()
    {
        using var scope = NewDisposeScope();
        var meter = new TopKAccuracyMeter(new[] { 1, 3, 5 }, 5);
        meter.Update(zeros(6, 5), tensor(new long[] { 0, 1, 2, 3, 4, 4 }));
        var report = meter.Report();
        Assert.Equal(new[] { 0.0, 0.0, 1.0 }, new[] { report.Micro(1), report.Micro(3), report.Micro(5) });
        Assert.Equal(new[] { 0.0, 0.0, 1.0 }, new[] { report.Macro(1), report.Macro(3), report.Macro(5) });
        Assert.Equal(0.0, F.topk_accuracy(full(3, 10, 7.0), tensor(new long[] { 1, 2, 3 }), 9));
    }

    [Fact]
    public void Macro_weighs_every_present_class_the_same_and_lists_absent_ones()
    {
        using var scope = NewDisposeScope();
        // Class 0: 3 samples, all right at top-1; class 2: 1 sample, wrong; class 1 and 3 absent.
        var scores = tensor(new float[]
        {
            9, 1, 2, 3,
            9, 1, 2, 3,
            9, 1, 2, 3,
            9, 1, 2, 3,
        }).reshape(4, 4);
        var labels = tensor(new long[] { 0, 0, 0, 2 });
        var meter = new TopKAccuracyMeter(new[] { 1, 2, 3 }, 4);
        meter.Update(scores, labels);
        var report = meter.Report();
        Assert.Equal(0.75, report.Micro(1));
        Assert.Equal(0.5, report.Macro(1));    // (1 + 0)/2, not 3/4
        Assert.Equal(1.0, report.Macro(3));    // label 2 is 3rd
        Assert.Equal(new[] { 1, 3 }, report.AbsentClasses);
        Assert.True(double.IsNaN(report.PerClass[1].Accuracy(1)));
        Assert.Equal(3, report.PerClass[0].Samples);
        Assert.Equal(new[] { "top1_micro", "top1_macro", "top2_micro", "top2_macro", "top3_micro", "top3_macro" },
            report.Named.Select(p => p.Key));
        Assert.Equal(0.5, report.Named.Single(p => p.Key == "top1_macro").Value);
        Assert.Equal("class,samples,top1,top2,top3\n0,3,1,1,1\n1,0,,,\n2,1,0,0,1\n3,0,,,\n", report.PerClassCsv());
    }

    [Fact]
    public void NaN_scores_count_against_the_label()
    {
        using var scope = NewDisposeScope();
        var scores = tensor(new[] { double.NaN, 1, 0, 5, double.NaN, 0 }).reshape(2, 3);
        var labels = tensor(new long[] { 1, 1 });
        Assert.Equal(0.0, F.topk_accuracy(scores, labels, 1));   // row 0: NaN above; row 1: the label itself is NaN
        Assert.Equal(0.5, F.topk_accuracy(scores, labels, 2));
    }

    [Theory]
    [InlineData(ScalarType.Float16, ScalarType.Byte)]
    [InlineData(ScalarType.BFloat16, ScalarType.Int32)]
    [InlineData(ScalarType.Float32, ScalarType.Int16)]
    public void Any_floating_scores_and_integer_labels_work(ScalarType scoreType, ScalarType labelType)
    {
        using var scope = NewDisposeScope();
        var scores = tensor(new float[] { 3, 2, 1, 1, 2, 3 }).reshape(2, 3).to_type(scoreType);
        var labels = tensor(new long[] { 1, 2 }).to_type(labelType);
        Assert.Equal(0.5, F.topk_accuracy(scores, labels, 1));
        Assert.Equal(1.0, F.macro_topk_accuracy(scores, labels, 2, 3));
    }

    [Fact]
    public void Reset_forgets_and_an_empty_meter_reports_NaN()
    {
        using var scope = NewDisposeScope();
        var meter = new TopKAccuracyMeter(new[] { 5, 1, 5 }, 6);
        Assert.Equal(new[] { 1, 5 }, meter.Ks);
        var empty = meter.Report();
        Assert.True(double.IsNaN(empty.Micro(1)) && double.IsNaN(empty.Macro(5)));
        Assert.Equal(6, empty.AbsentClasses.Count);
        meter.Update(randn(4, 6), tensor(new long[] { 0, 1, 2, 3 }));
        Assert.Equal(4, meter.Samples);
        meter.Reset();
        Assert.Equal(0, meter.Samples);
        Assert.True(double.IsNaN(meter.Report().Micro(1)));
    }

    [Fact]
    public void The_meter_keeps_no_tensor_in_the_callers_dispose_scope()
    {
        var meter = new TopKAccuracyMeter(new[] { 1, 3 }, 10);
        using (var scope = NewDisposeScope())
        {
            var scores = randn(8, 10);
            var labels = randint(0, 10, new long[] { 8 });
            long count = scope.DisposablesCount;
            meter.Update(scores, labels);
            F.topk_accuracy(scores, labels, 3);
            F.macro_topk_accuracy(scores, labels, 3, 10);
            Assert.Equal(count, scope.DisposablesCount);
        }
        using (var scope = NewDisposeScope()) meter.Update(randn(8, 10), randint(0, 10, new long[] { 8 }));
        Assert.Equal(16, meter.Report().Samples);
    }
}
