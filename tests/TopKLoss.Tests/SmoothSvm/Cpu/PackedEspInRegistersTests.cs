using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TopKLoss.Kernels;
using E = TopKLoss.Kernels.PackedEsp<System.Runtime.Intrinsics.Vector512<double>, TopKLoss.Kernels.Lanes512>;

namespace TopKLoss.Tests.Kernels;

/// <summary>The register-resident recursions (K ≤ 24, widths 2, 4, 8, 16, 24) against the in-memory ones: bit for bit.</summary>
public class PackedEspInRegistersTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 40)]
    [InlineData(2, 33)]
    [InlineData(3, 50)]
    [InlineData(4, 129)]
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
        var e = Pack(n, random, zeros: true);
        var (sigma, saved) = Buffers(K, n);
        var (sigmaRef, savedRef) = Buffers(K, n);
        E.Start(sigma);
        PackedEspInRegisters<Vector512<double>, Lanes512>.Continue(e, sigma, saved);
        E.ForwardInMemory(e, sigmaRef, savedRef);
        Assert.Equal(sigmaRef, sigma);
        Assert.Equal(savedRef, saved);

        var (adjoint, adjointRef) = Adjoints(sigma, random);
        var (gradient, gradientRef) = (e.ToArray(), e.ToArray());
        PackedEspInRegisters<Vector512<double>, Lanes512>.Reverse(gradient, adjoint, saved, new Vector512<double>[E.BlockLength(K)]);
        E.ReverseInMemory(gradientRef, adjointRef, savedRef, new Vector512<double>[E.BlockLength(K)]);
        Assert.Equal(gradientRef, gradient);
    }

    [Theory]
    [InlineData(5, 1000, 64)]
    [InlineData(20, 333, 96)]
    [InlineData(30, 200, 32)]  // the in-memory path
    public void A_sequence_split_at_block_multiples_gives_the_values_of_one_call(int K, int n, int part)
    {
        var random = new Random(K + n);
        var e = Pack(n, random, zeros: false);
        var (sigma, saved) = Buffers(K, n);
        var (sigmaParts, savedParts) = Buffers(K, n);
        E.Start(sigma);
        E.Continue(e, sigma, saved);
        E.Start(sigmaParts);
        for (int start = 0; start < n; start += part)
            E.Continue(e.AsSpan(start, Math.Min(part, n - start)), sigmaParts, savedParts.AsSpan(start / E.Block * K));
        Assert.Equal(sigma, sigmaParts);
        Assert.Equal(saved, savedParts);

        var (adjoint, adjointParts) = Adjoints(sigma, random);
        var (gradient, gradientParts) = (e.ToArray(), e.ToArray());
        E.Reverse(gradient, adjoint, saved, new Vector512<double>[E.BlockLength(K)]);
        for (int start = (n - 1) / part * part; start >= 0; start -= part)
            E.Reverse(gradientParts.AsSpan(start, Math.Min(part, n - start)), adjointParts, saved.AsSpan(start / E.Block * K),
                new Vector512<double>[E.BlockLength(K)]);
        Assert.Equal(gradient, gradientParts);
    }

    /// <summary>n elements of 8 rows in (0, 1), a tenth of them 0 (skipped labels) when asked.</summary>
    private static Vector512<double>[] Pack(int n, Random random, bool zeros)
    {
        var lanes = new double[n * 8];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = zeros && random.Next(10) == 0 ? 0 : random.NextDouble();
        return MemoryMarshal.Cast<double, Vector512<double>>(lanes).ToArray();
    }

    private static (Vector512<double>[] Sigma, Vector512<double>[] Checkpoints) Buffers(int K, int n) =>
        (new Vector512<double>[K + 1], new Vector512<double>[E.CheckpointLength(n, K)]);

    /// <summary>adjoint_t = w_t/σ_t with random weights, and a copy (the reverse sweep consumes it).</summary>
    private static (Vector512<double>[], Vector512<double>[]) Adjoints(Vector512<double>[] sigma, Random random)
    {
        var adjoint = new Vector512<double>[sigma.Length];
        for (int t = 1; t < sigma.Length; t++) adjoint[t] = Vector512.Create(random.NextDouble() - 0.5) / sigma[t];
        return (adjoint, adjoint.ToArray());
    }
}
