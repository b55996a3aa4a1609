namespace TopKLoss.Tests.Sets;

/// <summary>
/// The set rules written straight from their definitions, with O(n²) rank counting and linear scans in
/// place of sorting, to test <see cref="TopKLoss.Sets.SetPredictor"/> against. α is a/100 and K is q/4,
/// so every rank and count is exact integer arithmetic here.
/// </summary>
internal static class SetOracle
{
    /// <summary>softmax of a row in float64 (the same arithmetic as the library: max shift, then divide).</summary>
    public static double[] Softmax(double[] row)
    {
        double max = row.Max();
        var e = row.Select(v => Math.Exp(v - max)).ToArray();
        double sum = 0;
        foreach (double v in e) sum += v;
        return e.Select(v => v / sum).ToArray();
    }

    /// <summary>1-based rank of class j: 1 + the classes strictly above it, or equal and of lower index.</summary>
    public static int Rank(double[] row, int j)
    {
        int above = 0;
        for (int i = 0; i < row.Length; i++)
            if (row[i] > row[j] || (row[i] == row[j] && i < j)) above++;
        return above + 1;
    }

    public static bool[] TopK(double[] scores, int k) =>
        Enumerable.Range(0, scores.Length).Select(j => Rank(scores, j) <= k).ToArray();

    /// <summary>E(x, j) = Σ_{rank &lt; r} π + u·π_j + λ·max(0, r − k_reg), the partial sum taken in rank order.</summary>
    public static double Conformal(double[] p, int j, double u, double lambda, int kReg)
    {
        int r = Rank(p, j);
        var byRank = new int[p.Length];
        for (int i = 0; i < p.Length; i++) byRank[Rank(p, i) - 1] = i;
        double before = 0;
        for (int q = 0; q < r - 1; q++) before += p[byRank[q]];
        return before + u * p[j] + lambda * Math.Max(0, r - kReg);
    }

    /// <summary>Smallest calibration score v with #{E ≤ v} ≥ ⌈(m + 1)(100 − a)/100⌉; +∞ when that count exceeds m.</summary>
    public static double Quantile(IReadOnlyList<double> scores, int alphaPercent)
    {
        long need = ((scores.Count + 1L) * (100 - alphaPercent) + 99) / 100;
        if (need > scores.Count) return double.PositiveInfinity;
        return scores.Where(v => scores.Count(w => w <= v) >= need).Min();
    }

    /// <summary>Largest probability t with #{p ≥ t} ≥ K·N over the calibration set, K = quarters/4.</summary>
    public static double AverageKThreshold(double[][] probabilities, int quarters)
    {
        var all = probabilities.SelectMany(p => p).ToArray();
        return all.Where(t => 4L * all.Count(p => p >= t) >= (long)quarters * probabilities.Length).Max();
    }

    /// <summary>The draws of the seeded randomization: one NextDouble per row of a Random(seed), or 1 when not randomized.</summary>
    public static double[] Uniforms(int rows, int? seed)
    {
        if (seed is null) return Enumerable.Repeat(1.0, rows).ToArray();
        var random = new Random(seed.Value);
        return Enumerable.Range(0, rows).Select(_ => random.NextDouble()).ToArray();
    }

    /// <summary>Conformal sets from calibration data, marginal or class-conditional, straight from the definition.</summary>
    public static bool[][] ConformalSets(double[][] cal, int[] calLabels, double[][] test, int alphaPercent, double lambda, int kReg,
        bool classConditional, int? seed)
    {
        int n = cal[0].Length;
        var calP = cal.Select(Softmax).ToArray();
        var u = Uniforms(cal.Length, seed);
        var calScores = calP.Select((p, i) => Conformal(p, calLabels[i], u[i], lambda, kReg)).ToArray();
        var thresholds = Enumerable.Range(0, classConditional ? n : 1)
            .Select(c => Quantile(calScores.Where((_, i) => !classConditional || calLabels[i] == c).ToArray(), alphaPercent)).ToArray();
        var testU = Uniforms(test.Length, seed is null ? null : seed + 1);
        return test.Select((row, i) =>
        {
            var p = Softmax(row);
            return Enumerable.Range(0, n).Select(j => Conformal(p, j, testU[i], lambda, kReg) <= thresholds[classConditional ? j : 0]).ToArray();
        }).ToArray();
    }
}
