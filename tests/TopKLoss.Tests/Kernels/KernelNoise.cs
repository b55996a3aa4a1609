using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>
/// The normals the fused noised kernel draws for (seed, stream), materialized as the [batch, n, B]
/// tensor the tensor-ops formula takes: out[b, j, s] = z(seed, stream, row b, column j, sample s),
/// layout in <see cref="NoiseStream"/>. Oracles feed it to the unfused path.
/// </summary>
internal static class KernelNoise
{
    public static Tensor Of(long batch, long n, int samples, ulong seed, ulong stream, ScalarType dtype) =>
        dtype == ScalarType.Float32 ? Draw<float>(batch, (int)n, samples, new NoiseStream(seed, stream), dtype)
        : Draw<double>(batch, (int)n, samples, new NoiseStream(seed, stream), dtype);

    private static Tensor Draw<T>(long batch, int n, int samples, NoiseStream noise, ScalarType dtype) where T : unmanaged, System.Numerics.INumberBase<T>
    {
        var normals = new T[(n + NoiseStream.GroupColumns - 1) / NoiseStream.GroupColumns * NoiseStream.GroupColumns];
        var values = new T[batch * n * samples];
        for (long r = 0; r < batch; r++)
            for (int s = 0; s < samples; s++)
            {
                noise.FillSample<T>(r, s, n, normals);
                for (int j = 0; j < n; j++) values[(r * n + j) * samples + s] = normals[j];
            }
        return (typeof(T) == typeof(float) ? tensor((float[])(object)values, dtype: dtype) : tensor((double[])(object)values, dtype: dtype))
            .reshape(batch, n, samples);
    }
}
