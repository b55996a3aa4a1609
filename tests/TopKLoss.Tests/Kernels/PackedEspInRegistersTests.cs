using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>The register-resident recursions (K ≤ 24, widths 8, 16, 24) against the in-memory ones: bit for bit.</summary>
public class PackedEspInRegistersTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 40)]
    [InlineData(2, 33)]
    [InlineData(5, 1000)]
    [InlineData(5, 31)]
    [InlineData(7, 64)]
    [InlineData(8, 257)]
    [InlineData(8, 8)]
    [InlineData(9, 100)]
    [InlineData(16, 65)]
    [InlineData(17, 3)]
    [InlineData(20, 1000)]
    [InlineData(23, 97)]
    [InlineData(24, 64)]
    public void Forward_and_reverse_equal_the_in_memory_recursions_bit_for_bit(int K, int n)
    {
        var random = new Random(K * 1000 + n);
        var lanes = new double[n * 8];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = random.Next(10) == 0 ? 0 : random.NextDouble(); // zeros: skipped labels
        var e = MemoryMarshal.Cast<double, Vector512<double>>(lanes).ToArray();
        int checkpoints = PackedEsp<Vector512<double>, Lanes512>.CheckpointLength(n, K);
        int block = PackedEsp<Vector512<double>, Lanes512>.BlockLength(K);

        var (sigma, saved) = (new Vector512<double>[K + 1], new Vector512<double>[checkpoints]);
        var (sigmaRef, savedRef) = (new Vector512<double>[K + 1], new Vector512<double>[checkpoints]);
        PackedEsp<Vector512<double>, Lanes512>.Start(sigma);
        PackedEspInRegisters<Vector512<double>, Lanes512>.Continue(e, sigma, saved);
        PackedEsp<Vector512<double>, Lanes512>.ForwardInMemory(e, sigmaRef, savedRef);
        Assert.Equal(sigmaRef, sigma);
        Assert.Equal(savedRef, saved);

        var adjoint = new Vector512<double>[K + 1];
        for (int t = 1; t <= K; t++) adjoint[t] = Vector512.Create(random.NextDouble() - 0.5) / sigma[t];
        var adjointRef = adjoint.ToArray();
        var gradient = e.ToArray();
        var gradientRef = e.ToArray();
        PackedEspInRegisters<Vector512<double>, Lanes512>.Reverse(gradient, adjoint, saved, new Vector512<double>[block]);
        PackedEsp<Vector512<double>, Lanes512>.ReverseInMemory(gradientRef, adjointRef, savedRef, new Vector512<double>[block]);
        Assert.Equal(gradientRef, gradient);
    }

    [Theory]
    [InlineData(5, 1000, 64)]
    [InlineData(20, 333, 96)]
    [InlineData(30, 200, 32)]  // the in-memory path
    public void A_sequence_split_at_block_multiples_gives_the_values_of_one_call(int K, int n, int part)
    {
        var random = new Random(K + n);
        var lanes = new double[n * 8];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = random.NextDouble();
        var e = MemoryMarshal.Cast<double, Vector512<double>>(lanes).ToArray();
        int checkpoints = PackedEsp<Vector512<double>, Lanes512>.CheckpointLength(n, K);
        int block = PackedEsp<Vector512<double>, Lanes512>.BlockLength(K);

        var (sigma, saved) = (new Vector512<double>[K + 1], new Vector512<double>[checkpoints]);
        PackedEsp<Vector512<double>, Lanes512>.Forward(e, sigma, saved);
        var (sigmaParts, savedParts) = (new Vector512<double>[K + 1], new Vector512<double>[checkpoints]);
        PackedEsp<Vector512<double>, Lanes512>.Start(sigmaParts);
        for (int start = 0; start < n; start += part)
            PackedEsp<Vector512<double>, Lanes512>.Continue(e.AsSpan(start, Math.Min(part, n - start)), sigmaParts,
                savedParts.AsSpan(start / PackedEsp<Vector512<double>, Lanes512>.Block * K));
        Assert.Equal(sigma, sigmaParts);
        Assert.Equal(saved, savedParts);

        var adjoint = new Vector512<double>[K + 1];
        for (int t = 1; t <= K; t++) adjoint[t] = Vector512.Create(random.NextDouble() - 0.5) / sigma[t];
        var adjointParts = adjoint.ToArray();
        var gradient = e.ToArray();
        var gradientParts = e.ToArray();
        PackedEsp<Vector512<double>, Lanes512>.Reverse(gradient, adjoint, saved, new Vector512<double>[block]);
        for (int start = (n - 1) / part * part; start >= 0; start -= part)
            PackedEsp<Vector512<double>, Lanes512>.Reverse(gradientParts.AsSpan(start, Math.Min(part, n - start)), adjointParts,
                saved.AsSpan(start / PackedEsp<Vector512<double>, Lanes512>.Block * K), new Vector512<double>[block]);
        Assert.Equal(gradient, gradientParts);
    }
}
