using TopKLoss.DeviceCheck;
using TopKLoss.Tests.Support;

namespace TopKLoss.Tests.Cuda;

/// <summary>
/// The GPU self-check (tools/device-check) run here on CPU tensors through the kernels' emulation,
/// without its n = 100,000 shapes: every check must pass, so that the minutes on the GPU machine
/// test the kernels, not the checking code.
/// </summary>
public class DeviceCheckEmulatedTests
{
    [FactWhenEmulated]
    public void EveryDeviceCheck_PassesInEmulation()
    {
        using var route = Emulation.Route();
        var results = Checks.Run(CPU, ReferenceData.Folder, quick: true);
        var failed = results.Where(r => !r.Pass).Select(r => $"{r.Name}: {r.Detail}").ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
        Assert.True(results.Count >= 30, $"only {results.Count} checks");
    }
}
