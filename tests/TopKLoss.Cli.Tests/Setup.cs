using System.Runtime.CompilerServices;

namespace TopKLoss.Cli.Tests;

internal static class TestSetup
{
    // Apply the Debian 12 libstdc++ fix before any test touches torch.
    [ModuleInitializer]
    internal static void Init() => TopKLoss.Native.NativeBackend.EnsureLoaded();
}
