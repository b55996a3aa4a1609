using System.Runtime.CompilerServices;

namespace TopKLoss.Bench;

internal static class NativeSetup
{
    // BenchmarkDotNet runs each case in a child process whose Main is generated, not ours: apply the
    // Debian 12 libstdc++ fix when this assembly loads, before a benchmark touches torch.
    [ModuleInitializer]
    internal static void Init() => TopKLoss.Native.NativeBackend.EnsureLoaded();
}
