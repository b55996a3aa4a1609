using TopKLoss.Validation;
using static TorchSharp.torch;

namespace TopKLoss.Sets;

/// <summary>
/// Host-side, float64 row work shared by the set rules: the scores or softmax probabilities as one
/// row-major array, the descending order of a row, the conformal scores of a row and the
/// finite-sample quantile. Everything that decides membership lives here, so that calibration and
/// prediction compute each number in exactly the same order of operations (a calibration score and
/// the same input's test score are bitwise equal, which the coverage guarantee relies on).
/// </summary>
internal static class SetRows
{
    /// <summary>The scores as float64, row-major, after checking they are finite.</summary>
    public static double[] Scores(Tensor scores)
    {
        using var scope = NewDisposeScope();
        var values = scores.detach().to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        SetCheck.Finite(values);
        return values;
    }

    /// <summary>softmax of each row of <paramref name="scores"/> (row-major, rows of <paramref name="n"/>), in float64.</summary>
    public static double[] Probabilities(double[] scores, int n)
    {
        var p = new double[scores.Length];
        for (int start = 0; start < scores.Length; start += n)
        {
            var row = scores.AsSpan(start, n);
            double max = double.NegativeInfinity, sum = 0;
            foreach (double s in row) max = Math.Max(max, s);
            for (int j = 0; j < n; j++) sum += p[start + j] = Math.Exp(row[j] - max);
            for (int j = 0; j < n; j++) p[start + j] /= sum;
        }
        return p;
    }

    /// <summary>
    /// Class indices of <paramref name="row"/> by descending value; equal values keep ascending class
    /// order, so every rule breaks ties the same, deterministic way.
    /// </summary>
    public static int[] Order(ReadOnlySpan<double> row)
    {
        var order = new int[row.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = row.ToArray();
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[b].CompareTo(keys[a]) : a.CompareTo(b));
        return order;
    }

    /// <summary>
    /// The RAPS conformity score of every class of one probability row (APS when λ = 0), written to
    /// <paramref name="scores"/> by class: for the class at 1-based rank r of <see cref="Order"/>,
    /// <code>
    /// E = Σ_{j&lt;r} π_(j) + u·π_(r) + λ·max(0, r − k_reg)
    /// </code>
    /// with u = 1 (not randomized) or one uniform draw per row (randomized, Romano et al. 2020).
    /// The partial sum is accumulated in rank order.
    /// </summary>
    public static void ConformalScores(ReadOnlySpan<double> probabilities, double u, double lambda, int kReg, Span<double> scores)
    {
        var order = Order(probabilities);
        double before = 0;
        for (int r = 1; r <= order.Length; r++)
        {
            double p = probabilities[order[r - 1]];
            scores[order[r - 1]] = before + u * p + lambda * Math.Max(0, r - kReg);
            before += p;
        }
    }

    /// <summary>
    /// The split-conformal threshold: the ⌈(m + 1)(1 − α)⌉-th smallest of the m calibration scores, or
    /// +∞ when that rank exceeds m (too few samples for this α: the set must be everything). The rank is
    /// computed in decimal, so that α = 0.1 is 0.1 and (m + 1)(1 − α) an exact integer where it should be.
    /// </summary>
    public static double Quantile(List<double> calibrationScores, double alpha)
    {
        long rank = CeilingOfProduct(calibrationScores.Count + 1, 1 - (decimal)alpha);
        if (rank > calibrationScores.Count) return double.PositiveInfinity;
        calibrationScores.Sort();
        return calibrationScores[(int)rank - 1];
    }

    /// <summary>⌈count·factor⌉ in exact decimal arithmetic (factor read as its shortest decimal).</summary>
    public static long CeilingOfProduct(long count, decimal factor) => (long)Math.Ceiling(count * factor);

    /// <summary>One uniform [0, 1) draw per row from <paramref name="seed"/>, or 1 for every row when not randomized.</summary>
    public static double[] Uniforms(long rows, int? seed)
    {
        var u = new double[rows];
        if (seed is null) { Array.Fill(u, 1.0); return u; }
        var random = new Random(seed.Value);
        for (long i = 0; i < rows; i++) u[i] = random.NextDouble();
        return u;
    }
}
