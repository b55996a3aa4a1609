namespace TopKLoss.Tests.Noised;

/// <summary>Independent host-side oracle: sorts every perturbed row in plain C#.</summary>
internal static class NoisedOracle
{
    /// <summary>Per row: mean_b of the k-th largest of x + ε·Z[:, :, b], and the averaged one-hot gradient.</summary>
    public static (double[] Value, double[,] Grad) PerturbedTopK(double[,] x, double[,,] z, int k, double epsilon)
    {
        int batch = x.GetLength(0), n = x.GetLength(1), samples = z.GetLength(2);
        var value = new double[batch];
        var grad = new double[batch, n];
        for (int r = 0; r < batch; r++)
            for (int b = 0; b < samples; b++)
            {
                var order = Enumerable.Range(0, n).OrderByDescending(j => x[r, j] + epsilon * z[r, j, b]).ToArray();
                int at = order[k - 1];
                value[r] += (x[r, at] + epsilon * z[r, at, b]) / samples;
                grad[r, at] += 1.0 / samples;
            }
        return (value, grad);
    }

    public static double[,] Matrix(Tensor t)
    {
        var flat = t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        var m = new double[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(flat, 0, m, 0, flat.Length * sizeof(double));
        return m;
    }

    public static double[,,] Cube(Tensor t)
    {
        var flat = t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        var m = new double[t.shape[0], t.shape[1], t.shape[2]];
        Buffer.BlockCopy(flat, 0, m, 0, flat.Length * sizeof(double));
        return m;
    }

    public static double[] Flatten(double[,] m) => m.Cast<double>().ToArray();
}
