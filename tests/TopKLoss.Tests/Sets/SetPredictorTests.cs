using CsCheck;
using TopKLoss.Sets;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.Sets;

/// <summary>Each set rule against its brute-force definition (ties included), and the fitted object's save/load.</summary>
public class SetPredictorTests
{
    internal sealed record Data(int N, double[][] Rows, int[] Labels)
    {
        public Tensor Scores => tensor(Rows.SelectMany(r => r).ToArray()).reshape(Rows.Length, N);
        public Tensor LabelTensor => tensor(Labels.Select(l => (long)l).ToArray());
    }

    /// <summary>Integer logits from a few levels (many exact ties, whole rows repeated across splits), labels from all classes.</summary>
    private static Gen<Data> DataOf(int n, int levels, int minRows, int maxRows) =>
        from batch in Gen.Int[minRows, maxRows]
        from rows in Gen.Int[0, levels - 1].Select(v => (double)v).Array[n].Array[batch]
        from labels in Gen.Int[0, n - 1].Array[batch]
        select new Data(n, rows, labels);

    private sealed record Split(Data Cal, Data Test);

    private static Gen<Split> Splits =>
        from n in Gen.Int[2, 7]
        from levels in Gen.Int[1, 4]
        from cal in DataOf(n, levels, 1, 30)
        from test in DataOf(n, levels, 1, 12)
        select new Split(cal, test);

    private static bool[][] Host(Tensor sets, int n)
    {
        var flat = sets.cpu().data<bool>().ToArray();
        return Enumerable.Range(0, flat.Length / n).Select(i => flat.Skip(i * n).Take(n).ToArray()).ToArray();
    }

    [Fact]
    public void Top_k_sets_are_the_k_best_ranks_with_ties_by_class_index()
    {
        Gen.Select(Splits, Gen.Int[1, 7]).Sample((split, kRaw) =>
        {
            using var scope = NewDisposeScope();
            var d = split.Test;
            int k = Math.Min(kRaw, d.N);
            var sets = Host(F.topk_sets(d.Scores, k), d.N);
            for (int i = 0; i < d.Rows.Length; i++)
            {
                Assert.Equal(SetOracle.TopK(d.Rows[i], k), sets[i]);
                Assert.Equal(k, sets[i].Count(m => m));
            }
        }, iter: 150);
    }

    [Fact]
    public void Average_k_threshold_and_sets_follow_the_definition()
    {
        Gen.Select(Splits, Gen.Int[1, 28]).Sample((split, quarters) =>
        {
            using var scope = NewDisposeScope();
            int q = Math.Min(quarters, 4 * split.Cal.N);
            var predictor = SetPredictor.FitAverageK(split.Cal.Scores, q / 4.0);
            var calP = split.Cal.Rows.Select(SetOracle.Softmax).ToArray();
            double t = SetOracle.AverageKThreshold(calP, q);
            Assert.Equal(t, predictor.Thresholds[0]);
            var sets = Host(predictor.Predict(split.Test.Scores), split.Test.N);
            for (int i = 0; i < sets.Length; i++)
                Assert.Equal(SetOracle.Softmax(split.Test.Rows[i]).Select(p => p >= t).ToArray(), sets[i]);
            // On the calibration set the mean size reaches K (more only through ties at t).
            var calSizes = Host(predictor.Predict(split.Cal.Scores), split.Cal.N).Select(s => s.Count(m => m)).ToArray();
            Assert.True(4 * calSizes.Sum() >= q * split.Cal.Rows.Length);
        }, iter: 150);
    }

    [Fact]
    public void Aps_and_raps_sets_follow_the_definition_marginal_and_class_conditional()
    {
        var gen = from split in Splits
                  from alphaPercent in Gen.Int[1, 60]
                  from lambda in Gen.Int[0, 2].Select(i => new[] { 0.0, 0.05, 0.5 }[i])
                  from kReg in Gen.Int[0, 7]
                  from classConditional in Gen.Bool
                  from seed in Gen.Int[-300, 1000].Select(s => s < 0 ? (int?)null : s)
                  select (split, alphaPercent, lambda, kReg, classConditional, seed);
        gen.Sample(c =>
        {
            using var scope = NewDisposeScope();
            var (cal, test) = (c.split.Cal, c.split.Test);
            int kReg = Math.Min(c.kReg, cal.N);
            double alpha = c.alphaPercent / 100.0;
            var predictor = c.lambda == 0 && kReg == 0
                ? SetPredictor.FitAps(cal.Scores, cal.LabelTensor, alpha, c.classConditional, c.seed)
                : SetPredictor.FitRaps(cal.Scores, cal.LabelTensor, alpha, c.lambda, kReg, c.classConditional, c.seed);
            var expected = SetOracle.ConformalSets(cal.Rows, cal.Labels, test.Rows, c.alphaPercent, c.lambda, kReg, c.classConditional, c.seed);
            var actual = Host(predictor.Predict(test.Scores), test.N);
            for (int i = 0; i < actual.Length; i++) Assert.Equal(expected[i], actual[i]);
        }, iter: 300);
    }

    [Fact]
    public void Raps_with_no_penalty_is_aps()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        var cal = randn(60, 6, dtype: ScalarType.Float64, generator: g).mul(2);
        var y = randint(0, 6, new long[] { 60 }, generator: g);
        var test = randn(40, 6, dtype: ScalarType.Float64, generator: g).mul(2);
        var aps = SetPredictor.FitAps(cal, y, 0.2, seed: 3);
        var raps = SetPredictor.FitRaps(cal, y, 0.2, lambda: 0, k_reg: 0, seed: 3);
        Assert.Equal(aps.Thresholds, raps.Thresholds);
        Assert.True(aps.Predict(test).eq(raps.Predict(test)).all().item<bool>());
    }

    [Fact]
    public void A_threshold_beyond_the_calibration_set_gives_every_class()
    {
        // m = 5, α = 0.1: ⌈6·0.9⌉ = 6 > 5, so q̂ = +∞.
        using var scope = NewDisposeScope();
        var cal = randn(5, 4, dtype: ScalarType.Float64, generator: new Generator(1));
        var predictor = SetPredictor.FitAps(cal, tensor(new long[] { 0, 1, 2, 3, 0 }), 0.1);
        Assert.Equal(double.PositiveInfinity, predictor.Thresholds[0]);
        Assert.True(predictor.Predict(randn(3, 4, dtype: ScalarType.Float64)).all().item<bool>());
    }

    [Theory]
    [InlineData(SetRule.TopK)]
    [InlineData(SetRule.AverageK)]
    [InlineData(SetRule.Aps)]
    [InlineData(SetRule.Raps)]
    public void A_saved_predictor_loads_back_and_predicts_the_same_sets(SetRule rule)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(11);
        var cal = randn(30, 5, dtype: ScalarType.Float32, generator: g).mul(3);
        var y = randint(0, 5, new long[] { 30 }, generator: g);
        var test = randn(50, 5, dtype: ScalarType.Float32, generator: g).mul(3);
        var predictor = rule switch
        {
            SetRule.TopK => SetPredictor.ForTopK(2, 5),
            SetRule.AverageK => SetPredictor.FitAverageK(cal, 1.7),
            SetRule.Aps => SetPredictor.FitAps(cal, y, 0.3, class_conditional: true, seed: 9),   // classes with few samples: +∞
            _ => SetPredictor.FitRaps(cal, y, 0.25, lambda: 0.2, k_reg: 1),
        };
        var loaded = SetPredictor.FromJson(predictor.ToJson());
        Assert.Equal(predictor.ToJson(), loaded.ToJson());
        Assert.Equal(predictor.Thresholds, loaded.Thresholds);
        Assert.True(predictor.Predict(test).eq(loaded.Predict(test)).all().item<bool>());
    }

    [Theory]
    [InlineData("{}", "not a valid predictor file")]
    [InlineData("not json", "not a valid predictor file")]
    [InlineData("{\"rule\":\"magic\",\"num_classes\":3,\"k\":0,\"set_size\":0,\"alpha\":0,\"lambda\":0,\"k_reg\":0,\"class_conditional\":false,\"seed\":null,\"calibration_samples\":0,\"thresholds\":[]}", "unknown rule 'magic'")]
    [InlineData("{\"rule\":\"aps\",\"num_classes\":3,\"k\":0,\"set_size\":0,\"alpha\":0.1,\"lambda\":0,\"k_reg\":0,\"class_conditional\":true,\"seed\":null,\"calibration_samples\":9,\"thresholds\":[0.5]}", "holds 3 threshold(s); got 1")]
    [InlineData("{\"rule\":\"aps\",\"num_classes\":3,\"k\":0,\"set_size\":0,\"alpha\":1.5,\"lambda\":0,\"k_reg\":0,\"class_conditional\":false,\"seed\":null,\"calibration_samples\":9,\"thresholds\":[0.5]}", "alpha must lie in (0, 1)")]
    [InlineData("{\"rule\":\"top-k\",\"num_classes\":3,\"k\":4,\"set_size\":0,\"alpha\":0,\"lambda\":0,\"k_reg\":0,\"class_conditional\":false,\"seed\":null,\"calibration_samples\":0,\"thresholds\":[]}", "k must satisfy")]
    public void A_bad_predictor_file_is_rejected_with_its_reason(string json, string reason)
    {
        var e = Assert.Throws<InvalidDataException>(() => SetPredictor.FromJson(json));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Bad_arguments_name_the_argument_and_the_range()
    {
        using var scope = NewDisposeScope();
        var s = randn(4, 3, dtype: ScalarType.Float64);
        var y = tensor(new long[] { 0, 1, 2, 0 });
        Assert.Contains("alpha must lie in (0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => SetPredictor.FitAps(s, y, 1.0)).Message);
        Assert.Contains("set_size must lie in (0, 3]", Assert.Throws<ArgumentOutOfRangeException>(() => SetPredictor.FitAverageK(s, 3.5)).Message);
        Assert.Contains("k_reg must lie in [0, 3]", Assert.Throws<ArgumentOutOfRangeException>(() => SetPredictor.FitRaps(s, y, 0.1, 0.1, 4)).Message);
        Assert.Contains("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => SetPredictor.FitRaps(s, y, 0.1, -1, 1)).Message);
        Assert.Contains("k must satisfy 1 ≤ k ≤ n = 3", Assert.Throws<ArgumentOutOfRangeException>(() => F.topk_sets(s, 4)).Message);
        var nan = s.clone(); nan[1, 1] = tensor(double.NaN);
        Assert.Contains("scores must be finite", Assert.Throws<ArgumentException>(() => SetPredictor.FitAps(nan, y, 0.1)).Message);
        Assert.Contains("classes but the predictor's num_classes is 3",
            Assert.Throws<ArgumentException>(() => SetPredictor.ForTopK(1, 3).Predict(randn(2, 4))).Message);
    }
}
