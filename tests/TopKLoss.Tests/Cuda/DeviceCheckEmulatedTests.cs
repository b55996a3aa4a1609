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

/// <summary>The bench mode's code on CPU tensors through the emulation at a tiny size (its timings mean nothing here).</summary>
public class DeviceBenchEmulatedTests
{
    [FactWhenEmulated]
    public void BenchMode_RunsEveryRow()
    {
        using var route = Emulation.Route();
        var rows = Bench.Run(CPU, batch: 4, sizes: [30], steps: 1);
        Assert.Equal("loss,path,batch,n,k,samples,median_ms,min_ms", rows[0]);
        Assert.Equal(1 + 1 + 2 * 4, rows.Count); // cross_entropy, then 4 rows per k ∈ {5, 20}
        Assert.All(rows.Skip(1), r => Assert.Equal(8, r.Split(',').Length));
    }
}
