namespace TopKLoss.Tests.Support;

/// <summary>
/// A fact that needs a CUDA device: skipped, saying so, where libtorch sees none (the package
/// references the CPU libtorch, so that is the usual case; see README "Using a GPU").
/// </summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        // xunit builds attributes at discovery, possibly before any TopKLoss type has loaded the native library.
        TopKLoss.Native.NativeBackend.EnsureLoaded();
        if (!cuda.is_available())
            Skip = "needs a CUDA device; libtorch sees none here (the tests reference the CPU libtorch)";
    }
}
