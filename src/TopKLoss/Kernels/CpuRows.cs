using System.Buffers;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Kernels;

/// <summary>
/// Row access to contiguous CPU float32/float64 tensors in float64, and a row-parallel loop.
/// The kernels compute in float64 whatever the storage type.
/// </summary>
internal static unsafe class CpuRows
{
    /// <summary>Whether the fused kernels handle this tensor (CPU, float32 or float64).</summary>
    public static bool Supports(Tensor t) =>
        t.device_type == DeviceType.CPU && (t.dtype == ScalarType.Float32 || t.dtype == ScalarType.Float64);

    /// <summary>Base pointer of a contiguous CPU tensor (valid while the tensor lives).</summary>
    public static nint Pointer(Tensor contiguous)
    {
        fixed (byte* p = contiguous.bytes) return (nint)p;
    }

    /// <summary>Row <paramref name="row"/> of a contiguous [rows, n] tensor of element type T, in place.</summary>
    public static ReadOnlySpan<T> Row<T>(nint basePtr, long row, int n) where T : unmanaged =>
        new((T*)basePtr + row * n, n);

    /// <summary>Element <paramref name="offset"/> of a contiguous float32/float64 tensor, as float64.</summary>
    public static double Read(nint basePtr, bool isFloat, long offset) =>
        isFloat ? ((float*)basePtr)[offset] : ((double*)basePtr)[offset];

    /// <summary><see cref="RowTop.Scan{T}"/> of row <paramref name="row"/> in its storage type.</summary>
    public static bool ScanTop(nint basePtr, bool isFloat, long row, int n, Span<double> values, Span<int> indices) =>
        isFloat ? RowTop.Scan(Row<float>(basePtr, row, n), values, indices) : RowTop.Scan(Row<double>(basePtr, row, n), values, indices);

    /// <summary><see cref="RowTop.Bounds{T}"/> of row <paramref name="row"/> in its storage type.</summary>
    public static bool TopBounds(nint basePtr, bool isFloat, long row, int n, int q, int skip,
        out double lowerQth, out double largest, out double largestExcept) => isFloat
        ? RowTop.Bounds(Row<float>(basePtr, row, n), q, skip, out lowerQth, out largest, out largestExcept)
        : RowTop.Bounds(Row<double>(basePtr, row, n), q, skip, out lowerQth, out largest, out largestExcept);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Load(nint basePtr, bool isFloat, long row, int n, Span<double> destination)
    {
        if (isFloat)
        {
            var src = new ReadOnlySpan<float>((float*)basePtr + row * n, n);
            for (int i = 0; i < n; i++) destination[i] = src[i];
        }
        else new ReadOnlySpan<double>((double*)basePtr + row * n, n).CopyTo(destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Store(nint basePtr, bool isFloat, long row, int n, ReadOnlySpan<double> source)
    {
        if (isFloat)
        {
            var dst = new Span<float>((float*)basePtr + row * n, n);
            for (int i = 0; i < n; i++) dst[i] = (float)source[i];
        }
        else source[..n].CopyTo(new Span<double>((double*)basePtr + row * n, n));
    }

    /// <summary>Threads the kernels may use (tests and benchmarks lower it; results do not depend on it).</summary>
    internal static int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Runs <paramref name="body"/>(firstRow, endRow, scratch) over row ranges, in parallel when
    /// the work is large enough to pay for it. Each thread gets its own float64 scratch buffer of
    /// <paramref name="scratchPerRange"/> elements. The rows are cut into several chunks per thread,
    /// taken dynamically: a worker that starts late (waking on a busy or idle core, which on a small
    /// VM takes a good part of a millisecond) takes fewer chunks instead of the others waiting for
    /// its fixed share.
    /// </summary>
    public static void For(long rows, long workPerRow, int scratchPerRange, Action<long, long, double[]> body)
    {
        int threads = (int)Math.Min(MaxDegreeOfParallelism, rows);
        if (rows * workPerRow < 32_768 || threads <= 1)
        {
            var scratch = ArrayPool<double>.Shared.Rent(scratchPerRange);
            try { body(0, rows, scratch); }
            finally { ArrayPool<double>.Shared.Return(scratch); }
            return;
        }
        int chunks = (int)Math.Min(rows, threads * 8L);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => ArrayPool<double>.Shared.Rent(scratchPerRange),
            (chunk, _, scratch) =>
            {
                body(rows * chunk / chunks, rows * (chunk + 1) / chunks, scratch);
                return scratch;
            },
            scratch => ArrayPool<double>.Shared.Return(scratch));
    }
}
