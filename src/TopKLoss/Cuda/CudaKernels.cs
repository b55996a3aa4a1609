using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cuda;

/// <summary>
/// Which launcher, if any, runs the CUDA kernels for a tensor: CUDA float32/float64 tensors on a
/// device whose module loaded. The driver and each device's module are loaded once; when that
/// fails (no libcuda.so.1, an architecture below sm_80, no PTX in this build, a JIT error) one
/// line says why on stderr and that device keeps the TorchSharp-ops path, never an exception.
/// </summary>
internal static class CudaKernels
{
    /// <summary>The CUDA driver's library.</summary>
    internal const string DriverLibrary = "libcuda.so.1";

    private static readonly Lazy<(CudaDriver? Driver, string? WhyNot)> driver =
        new(() => (CudaDriver.TryLoad(DriverLibrary, out string? whyNot), whyNot));
    private static readonly ConcurrentDictionary<int, IKernelLauncher?> devices = new();

    /// <summary>Tests route CPU tensors through the g++ emulation with this; null otherwise.</summary>
    internal static IKernelLauncher? Emulation { get; set; }

    /// <summary>The last reason a device fell back (for tests and diagnostics).</summary>
    internal static string? LastFallback { get; private set; }

    /// <summary>The launcher for the kernels on <paramref name="t"/>'s device, or null: use the TorchSharp ops.</summary>
    public static IKernelLauncher? For(Tensor t)
    {
        if (t.dtype != ScalarType.Float32 && t.dtype != ScalarType.Float64) return null;
        if (Emulation is { } emulation) return t.device_type == DeviceType.CPU ? emulation : null;
        return t.device_type == DeviceType.CUDA ? ForDevice(t.device_index) : null;
    }

    /// <summary>The launcher of CUDA device <paramref name="ordinal"/>, loaded on first use; null (logged once) when it cannot load.</summary>
    internal static IKernelLauncher? ForDevice(int ordinal) => devices.GetOrAdd(Math.Max(ordinal, 0), Load);

    private static IKernelLauncher? Load(int ordinal)
    {
        var (cuda, whyNot) = driver.Value;
        if (cuda is null) return Fallback(ordinal, whyNot!);
        try { return DriverLauncher.Load(cuda, ordinal, Ptx); }
        catch (CudaException e) { return Fallback(ordinal, e.Message); }
    }

    private static IKernelLauncher? Fallback(int ordinal, string reason)
    {
        LastFallback = reason;
        Console.Error.WriteLine($"TopKLoss: CUDA kernels not used on cuda:{ordinal} ({reason}); using TorchSharp ops there");
        return null;
    }

    /// <summary>The embedded PTX for "sm80" or "sm90" (tools/build-ptx.sh at build time), or null when the build had no clang-16.</summary>
    internal static byte[]? Ptx(string arch)
    {
        using var stream = typeof(CudaKernels).Assembly.GetManifestResourceStream($"TopKLoss.Cuda.topk_{arch}.ptx");
        if (stream is null) return null;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
