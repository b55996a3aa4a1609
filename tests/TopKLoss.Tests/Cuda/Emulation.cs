using System.Runtime.InteropServices;
using TopKLoss.Cuda;

namespace TopKLoss.Tests.Cuda;

/// <summary>
/// The g++ build of the CUDA kernels (native/emulation.cpp, built with the test project) behind
/// the same <see cref="IKernelLauncher"/> as the driver: each CUDA thread a std::thread, blocks
/// one after another. <see cref="Route"/> sends CPU tensors through it, so the tests run the very
/// C# code (argument marshalling, scratch sizes, autograd) that a GPU runs.
/// </summary>
internal sealed unsafe class Emulation : IKernelLauncher
{
    public const string LibraryName = "libtopk_cuda_emu.so";

    private static readonly Lazy<nint> library = new(() =>
        NativeLibrary.TryLoad(Path.Combine(AppContext.BaseDirectory, LibraryName), out nint handle) ? handle : 0);

    public static bool Available => library.Value != 0;

    public static readonly Emulation Instance = new();

    public string Description => "CPU emulation";

    /// <summary>Kernel launches so far (tests check that a computation really took the CUDA path).</summary>
    public int Launches { get; private set; }

    public void Launch(string name, uint grid, uint block, uint sharedBytes, KernelArgs args)
    {
        var launch = (delegate* unmanaged<byte*, uint, uint, uint, void**, int>)NativeLibrary.GetExport(library.Value, "tk_emu_launch");
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        int status;
        fixed (byte* namePtr = bytes) status = launch(namePtr, grid, block, sharedBytes, args.Pointers);
        if (status != 0) throw new CudaException($"the emulation has no kernel {name}");
        Launches++;
    }

    /// <summary>tk_log / tk_exp of tk_math.cuh, element by element.</summary>
    public static double[] Math(string function, double[] x)
    {
        var f = (delegate* unmanaged<double*, double*, int, void>)NativeLibrary.GetExport(library.Value, $"tk_emu_{function}");
        var y = new double[x.Length];
        fixed (double* xp = x, yp = y) f(xp, yp, x.Length);
        return y;
    }

    /// <summary>While the result lives, CPU float32/float64 tensors take the CUDA path through the emulation, with blocks of <paramref name="threads"/>.</summary>
    public static IDisposable Route(int threads = 8)
    {
        CudaKernels.Emulation = Instance;
        KernelNames.ThreadsOverride = threads;
        return new Restore();
    }

    private sealed class Restore : IDisposable
    {
        public void Dispose()
        {
            CudaKernels.Emulation = null;
            KernelNames.ThreadsOverride = null;
        }
    }
}

/// <summary>A fact that needs the emulation library: skipped, saying why, when the build had no g++.</summary>
public sealed class FactWhenEmulatedAttribute : FactAttribute
{
    public FactWhenEmulatedAttribute()
    {
        if (!Emulation.Available) Skip = $"{Emulation.LibraryName} was not built (g++ missing at build time: apt-get install g++)";
    }
}
