using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cuda;

/// <summary>
/// A kernel's arguments as cuLaunchKernel takes them: an array of pointers, each to one value, in
/// the order of the kernel's parameters. Values live in unmanaged memory until disposal.
/// </summary>
internal sealed unsafe class KernelArgs : IDisposable
{
    private const int MaxCount = 24;
    private ulong* values = (ulong*)NativeMemory.AllocZeroed(MaxCount, sizeof(ulong));
    private void** pointers = (void**)NativeMemory.AllocZeroed(MaxCount, (nuint)sizeof(nint));
    private int count;

    /// <summary>The pointer array (kernelParams).</summary>
    public void** Pointers => pointers;

    public int Count => count;

    public KernelArgs Int(int v) => Put((ulong)(uint)v);
    public KernelArgs Double(double v) => Put(BitConverter.DoubleToUInt64Bits(v));
    public KernelArgs UInt64(ulong v) => Put(v);
    public KernelArgs Pointer(nint p) => Put((ulong)p);

    /// <summary>The device (or, emulated, host) address of a contiguous tensor's first element; 0 for null.</summary>
    public KernelArgs Data(Tensor? t) => Pointer(t is null ? 0 : DataPointer(t));

    private KernelArgs Put(ulong v)
    {
        if (count == MaxCount) throw new InvalidOperationException($"at most {MaxCount} kernel arguments");
        values[count] = v; // little-endian: a 32-bit int is the low half of its slot
        pointers[count] = values + count;
        count++;
        return this;
    }

    /// <summary>
    /// Address of element 0 of a contiguous tensor: its storage's base plus the storage offset
    /// (shared/docs/gpu-kernels.md). The same on CPU and CUDA tensors.
    /// </summary>
    public static nint DataPointer(Tensor t)
    {
        if (!t.is_contiguous()) throw new ArgumentException("kernel arguments must be contiguous tensors", nameof(t));
        long offset = t.storage_offset();
        return t.dtype switch
        {
            ScalarType.Float32 => Base<float>(t) + (nint)(offset * sizeof(float)),
            ScalarType.Float64 => Base<double>(t) + (nint)(offset * sizeof(double)),
            ScalarType.Int64 => Base<long>(t) + (nint)(offset * sizeof(long)),
            ScalarType.Int32 => Base<int>(t) + (nint)(offset * sizeof(int)),
            _ => throw new ArgumentException($"no kernel takes {t.dtype} tensors", nameof(t)),
        };
    }

    private static nint Base<T>(Tensor t) where T : unmanaged
    {
        using var storage = t.storage<T>();
        return storage.data_ptr();
    }

    public void Dispose()
    {
        NativeMemory.Free(values);
        NativeMemory.Free(pointers);
        values = null;
        pointers = null;
    }
}
