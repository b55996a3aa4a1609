namespace TopKLoss.Cuda;

/// <summary>
/// Runs a kernel of Kernels/topk_kernels.cu: on a GPU through the CUDA driver (<see cref="DriverLauncher"/>),
/// in the tests through the g++ emulation of the same source. Both take the arguments as
/// cuLaunchKernel does, so everything above this interface is the same code for both.
/// </summary>
internal interface IKernelLauncher
{
    /// <summary>Where the kernels run, for messages ("cuda:0 sm_90", "CPU emulation").</summary>
    string Description { get; }

    /// <summary>
    /// Launches <paramref name="name"/> on <paramref name="grid"/> blocks of <paramref name="block"/>
    /// threads with <paramref name="sharedBytes"/> of dynamic shared memory, ordered after the work
    /// already queued on the tensors' stream. Throws <see cref="CudaException"/> when the launch fails.
    /// </summary>
    void Launch(string name, uint grid, uint block, uint sharedBytes, KernelArgs args);
}

/// <summary>A CUDA driver call or kernel launch that failed, with the driver's error name.</summary>
internal sealed class CudaException(string message) : Exception(message);
