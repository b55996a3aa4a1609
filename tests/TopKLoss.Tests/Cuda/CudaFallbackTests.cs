using System.Runtime.InteropServices;
using System.Text;
using TopKLoss.Cuda;

namespace TopKLoss.Tests.Cuda;

/// <summary>
/// The driver loader's fallback, on a machine without a GPU: no libcuda.so.1 (or a library that is
/// not the driver) gives null and a reason, never an exception, and the computation keeps its
/// existing path. And the build embedded PTX holding every kernel.
/// </summary>
public class CudaFallbackTests
{
    /// <summary>Runs where there is no CUDA driver (these CPU machines); on a GPU machine tools/device-check.sh covers the loaded path.</summary>
    public sealed class FactWithoutDriverAttribute : FactAttribute
    {
        public FactWithoutDriverAttribute()
        {
            if (NativeLibrary.TryLoad(CudaKernels.DriverLibrary, out _)) Skip = "libcuda.so.1 is present: the fallback for its absence cannot be shown here";
        }
    }

    [FactWithoutDriver]
    public void WithoutLibcuda_NoLauncher_OneReason_SamePath()
    {
        Assert.Null(CudaDriver.TryLoad(CudaKernels.DriverLibrary, out string? whyNot));
        Assert.Equal("libcuda.so.1 not found", whyNot);
        Assert.Null(CudaKernels.ForDevice(0));
        Assert.Contains("libcuda.so.1", CudaKernels.LastFallback);
        Assert.Null(CudaKernels.ForDevice(0)); // cached: asked once per device

        // CPU tensors never take the CUDA branch outside the emulated tests; the result is the CPU kernel's.
        var x = randn(3, 20, dtype: ScalarType.Float64, generator: new Generator(1));
        var y = tensor(new long[] { 1, 2, 3 });
        Assert.Null(CudaPath.SmoothTopKSvm(x, y, 5, 1.0, 1.0));
        Assert.Null(CudaPath.LogEsp(x, 5));
        Assert.Null(CudaPath.PerturbedTopK(x, 5, 1.0, 3, new Generator(2)));
        Assert.Null(CudaPath.NoisedHinge(x, y, 6, 1.0, 3, new Generator(2), null, 1.0));
    }

    [Fact]
    public void ALibraryThatIsNotTheDriver_IsRefusedWithItsName()
    {
        Assert.Null(CudaDriver.TryLoad("libc.so.6", out string? whyNot));
        Assert.StartsWith("libc.so.6 is not a CUDA driver", whyNot);
        Assert.Null(CudaDriver.TryLoad("/nonexistent/libcuda.so.1", out whyNot));
        Assert.Equal("/nonexistent/libcuda.so.1 not found", whyNot);
    }

    /// <summary>Runs where the build had clang-16 (CI installs it); else skipped, saying why.</summary>
    public sealed class FactWhenPtxAttribute : FactAttribute
    {
        public FactWhenPtxAttribute()
        {
            if (CudaKernels.Ptx("sm90") is null) Skip = "this build embedded no PTX (clang-16 was missing at build time: apt-get install clang-16)";
        }
    }

    [FactWhenPtx]
    public void EmbeddedPtx_HasEveryKernel_ForBothArchitectures()
    {
        foreach (var (arch, target) in new[] { ("sm80", ".target sm_80"), ("sm90", ".target sm_90") })
        {
            string ptx = Encoding.ASCII.GetString(CudaKernels.Ptx(arch)!);
            Assert.Contains(target, ptx);
            Assert.Contains(".version 7.8", ptx);
            Assert.DoesNotContain(".extern .func", ptx); // no libdevice: nothing unresolved
            foreach (string name in KernelNames.All) Assert.Contains($".entry {name}(", ptx);
        }
    }
}
