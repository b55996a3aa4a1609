namespace TopKLoss.Kernels;

/// <summary>The vector widths the CPU kernels are written for, widest first.</summary>
internal enum VectorWidth { Bits512 = 512, Bits256 = 256, Bits128 = 128, Scalar = 64 }

/// <summary>
/// Which vector width this process runs natively, asked once. Every kernel dispatcher starts from
/// <see cref="Widest"/> (as System.Numerics.Tensors' TensorPrimitives do): Vector512 on AVX-512,
/// Vector256 on AVX2, Vector128 on SSE4 / NEON (ARM64) and scalar code where no SIMD is enabled
/// (DOTNET_EnableHWIntrinsic=0). A width that is not accelerated would run the
/// vector types' software fallback, element by element: slower than scalar code.
/// </summary>
internal static class VectorWidths
{
    /// <summary>The widest natively accelerated width.</summary>
    public static VectorWidth Native { get; } =
        Vector512.IsHardwareAccelerated ? VectorWidth.Bits512
        : Vector256.IsHardwareAccelerated ? VectorWidth.Bits256
        : Vector128.IsHardwareAccelerated ? VectorWidth.Bits128
        : VectorWidth.Scalar;

    /// <summary>
    /// The width the dispatchers use: <see cref="Native"/>, or a narrower one that a test asked for
    /// (<see cref="Narrowed"/>), so that one process checks every path its CPU can run.
    /// </summary>
    public static VectorWidth Widest => narrowed is { } w && w < Native ? w : Native;

    private static VectorWidth? narrowed;

    /// <summary>For tests: dispatch at most <paramref name="width"/> until the result is disposed.</summary>
    internal static IDisposable Narrowed(VectorWidth width)
    {
        var previous = narrowed;
        narrowed = width;
        return new Restore(() => narrowed = previous);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
