namespace TopKLoss.Tests.SmoothSvm;

/// <summary>The smooth top-k SVM straight from its definition: a sum over every k-subset (small n only).</summary>
internal static class BruteForce
{
    /// <summary>
    /// L = τ·log Σ_{|A|=k} exp((α[y∉A] + Σ_{A} s/k)/τ) − τ·log Σ_{|A|=k, y∈A} exp((Σ_{A} s/k)/τ), via log-sum-exp.
    /// </summary>
    public static double SmoothLoss(double[] s, int y, int k, double tau, double alpha)
    {
        var all = new List<double>();
        var withY = new List<double>();
        foreach (var subset in Subsets(s.Length, k))
        {
            double mean = subset.Sum(j => s[j]) / k;
            bool hasY = subset.Contains(y);
            all.Add(((hasY ? 0 : alpha) + mean) / tau);
            if (hasY) withY.Add(mean / tau);
        }
        return tau * (LogSumExp(all) - LogSumExp(withY));
    }

    /// <summary>l_k from its definition: the k largest other scores, with and without margins.</summary>
    public static double HardLoss(double[] s, int y, int k, double alpha)
    {
        var others = s.Where((_, j) => j != y).OrderByDescending(v => v).ToArray();
        double first = others.Take(k).Sum(v => v + alpha) / k;
        double second = (s[y] + others.Take(k - 1).Sum()) / k;
        return Math.Max(0, first - second);
    }

    public static double LogBinomial(int n, int k) =>
        Enumerable.Range(1, k).Sum(i => Math.Log(n - k + i) - Math.Log(i));

    public static IEnumerable<int[]> Subsets(int n, int k)
    {
        var pick = Enumerable.Range(0, k).ToArray();
        while (true)
        {
            yield return (int[])pick.Clone();
            int i = k - 1;
            while (i >= 0 && pick[i] == n - k + i) i--;
            if (i < 0) yield break;
            pick[i]++;
            for (int j = i + 1; j < k; j++) pick[j] = pick[j - 1] + 1;
        }
    }

    private static double LogSumExp(List<double> v)
    {
        double max = v.Max();
        return max + Math.Log(v.Sum(x => Math.Exp(x - max)));
    }
}
