using System.Collections.Concurrent;

namespace TopKLoss.Cuda;

/// <summary>
/// The kernels' module loaded on one GPU (in its primary context), with its functions looked up
/// once. Made by <see cref="CudaKernels"/>, one per device.
/// </summary>
internal sealed unsafe class DriverLauncher : IKernelLauncher
{
    private readonly CudaDriver driver;
    private readonly nint context, module;
    private readonly ConcurrentDictionary<string, nint> functions = new();

    public string Description { get; }

    private DriverLauncher(CudaDriver driver, nint context, nint module, string description)
    {
        (this.driver, this.context, this.module) = (driver, context, module);
        Description = description;
    }

    /// <summary>
    /// Loads the PTX for the device's architecture and checks that every kernel is there. Throws
    /// <see cref="CudaException"/> (unsupported architecture, JIT failure, a missing kernel).
    /// </summary>
    public static DriverLauncher Load(CudaDriver driver, int ordinal, Func<string, byte[]?> ptxFor)
    {
        int capability = driver.ComputeCapability(ordinal);
        string? arch = capability >= 90 ? "sm90" : capability >= 80 ? "sm80" : null;
        if (arch is null) throw new CudaException($"compute capability {capability / 10}.{capability % 10} is below the kernels' 8.0");
        var ptx = ptxFor(arch) ?? throw new CudaException($"this build of TopKLoss has no {arch} PTX (built without clang-16)");
        nint context = driver.PrimaryContext(ordinal);
        driver.MakeCurrent(context);
        var launcher = new DriverLauncher(driver, context, driver.LoadModule(ptx), $"cuda:{ordinal} {arch}");
        foreach (string name in KernelNames.All) launcher.functions[name] = driver.Function(launcher.module, name);
        return launcher;
    }

    public void Launch(string name, uint grid, uint block, uint sharedBytes, KernelArgs args)
    {
        if (!functions.TryGetValue(name, out nint function)) throw new CudaException($"no kernel named {name}");
        driver.MakeCurrent(context); // the calling thread may not have it current yet; it is libtorch's own
        driver.Launch(function, grid, block, sharedBytes, args.Pointers);
    }
}
