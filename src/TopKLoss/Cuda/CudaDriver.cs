using System.Text;

namespace TopKLoss.Cuda;

/// <summary>
/// The few CUDA driver API functions the kernels need, from libcuda.so.1 (the driver's library,
/// present wherever a GPU is; no CUDA SDK needed). <see cref="TryLoad"/> never throws: without the
/// library, or with one that lacks a function, it says why.
/// </summary>
internal sealed unsafe class CudaDriver
{
    private const int Success = 0;
    private const int ComputeCapabilityMajor = 75, ComputeCapabilityMinor = 76; // CU_DEVICE_ATTRIBUTE_*
    private const int JitInfoLogBuffer = 3, JitInfoLogBufferSize = 4, JitErrorLogBuffer = 5, JitErrorLogBufferSize = 6;

    private readonly delegate* unmanaged<uint, int> cuInit;
    private readonly delegate* unmanaged<int*, int, int> cuDeviceGet;
    private readonly delegate* unmanaged<int*, int, int, int> cuDeviceGetAttribute;
    private readonly delegate* unmanaged<nint*, int, int> cuDevicePrimaryCtxRetain;
    private readonly delegate* unmanaged<nint, int> cuCtxSetCurrent;
    private readonly delegate* unmanaged<nint*, byte*, uint, int*, void**, int> cuModuleLoadDataEx;
    private readonly delegate* unmanaged<nint*, nint, byte*, int> cuModuleGetFunction;
    private readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> cuLaunchKernel;
    private readonly delegate* unmanaged<int, byte**, int> cuGetErrorName;

    private CudaDriver(nint library)
    {
        cuInit = (delegate* unmanaged<uint, int>)NativeLibrary.GetExport(library, "cuInit");
        cuDeviceGet = (delegate* unmanaged<int*, int, int>)NativeLibrary.GetExport(library, "cuDeviceGet");
        cuDeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)NativeLibrary.GetExport(library, "cuDeviceGetAttribute");
        cuDevicePrimaryCtxRetain = (delegate* unmanaged<nint*, int, int>)NativeLibrary.GetExport(library, "cuDevicePrimaryCtxRetain");
        cuCtxSetCurrent = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(library, "cuCtxSetCurrent");
        cuModuleLoadDataEx = (delegate* unmanaged<nint*, byte*, uint, int*, void**, int>)NativeLibrary.GetExport(library, "cuModuleLoadDataEx");
        cuModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)NativeLibrary.GetExport(library, "cuModuleGetFunction");
        cuLaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)
            NativeLibrary.GetExport(library, "cuLaunchKernel");
        cuGetErrorName = (delegate* unmanaged<int, byte**, int>)NativeLibrary.GetExport(library, "cuGetErrorName");
    }

    /// <summary>The driver from <paramref name="libraryName"/>, initialized; null and the reason when it cannot be had.</summary>
    public static CudaDriver? TryLoad(string libraryName, out string? whyNot)
    {
        if (!NativeLibrary.TryLoad(libraryName, out nint library)) { whyNot = $"{libraryName} not found"; return null; }
        CudaDriver driver;
        try { driver = new CudaDriver(library); }
        catch (EntryPointNotFoundException e) { whyNot = $"{libraryName} is not a CUDA driver ({e.Message})"; return null; }
        int status = driver.cuInit(0);
        if (status != Success) { whyNot = $"cuInit failed: {driver.ErrorName(status)}"; return null; }
        whyNot = null;
        return driver;
    }

    /// <summary>The device's compute capability as major·10 + minor (90 for sm_90).</summary>
    public int ComputeCapability(int ordinal)
    {
        int device, major, minor;
        Check(cuDeviceGet(&device, ordinal), "cuDeviceGet");
        Check(cuDeviceGetAttribute(&major, ComputeCapabilityMajor, device), "cuDeviceGetAttribute");
        Check(cuDeviceGetAttribute(&minor, ComputeCapabilityMinor, device), "cuDeviceGetAttribute");
        return major * 10 + minor;
    }

    /// <summary>The device's primary context: the one libtorch runs in, so its tensor pointers are valid there.</summary>
    public nint PrimaryContext(int ordinal)
    {
        int device;
        nint context;
        Check(cuDeviceGet(&device, ordinal), "cuDeviceGet");
        Check(cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        return context;
    }

    public void MakeCurrent(nint context) => Check(cuCtxSetCurrent(context), "cuCtxSetCurrent");

    /// <summary>Loads PTX (JIT-compiled by the driver for the device); on failure the exception carries the JIT's log.</summary>
    public nint LoadModule(byte[] ptx)
    {
        const int logSize = 16384;
        var errorLog = new byte[logSize];
        var infoLog = new byte[logSize];
        var image = new byte[ptx.Length + 1]; // NUL-terminated text
        ptx.CopyTo(image, 0);
        fixed (byte* imagePtr = image, errorPtr = errorLog, infoPtr = infoLog)
        {
            int* options = stackalloc int[] { JitErrorLogBuffer, JitErrorLogBufferSize, JitInfoLogBuffer, JitInfoLogBufferSize };
            void** values = stackalloc void*[] { errorPtr, (void*)logSize, infoPtr, (void*)logSize };
            nint module;
            int status = cuModuleLoadDataEx(&module, imagePtr, 4, options, values);
            if (status != Success)
                throw new CudaException($"cuModuleLoadDataEx failed: {ErrorName(status)}; JIT log: {Text(errorLog)}");
            return module;
        }
    }

    public nint Function(nint module, string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        nint function;
        fixed (byte* namePtr = bytes) Check(cuModuleGetFunction(&function, module, namePtr), $"cuModuleGetFunction({name})");
        return function;
    }

    /// <summary>Launches on stream 0, the legacy default stream that libtorch's own kernels use (gpu-kernels.md).</summary>
    public void Launch(nint function, uint grid, uint block, uint sharedBytes, void** args) =>
        Check(cuLaunchKernel(function, grid, 1, 1, block, 1, 1, sharedBytes, 0, args, null), "cuLaunchKernel");

    private void Check(int status, string call)
    {
        if (status != Success) throw new CudaException($"{call} failed: {ErrorName(status)}");
    }

    private string ErrorName(int status)
    {
        byte* name;
        return cuGetErrorName(status, &name) == Success && name != null ? Marshal.PtrToStringAnsi((nint)name)! : $"CUresult {status}";
    }

    private static string Text(byte[] log) => Encoding.ASCII.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
}
