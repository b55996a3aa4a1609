using System.Diagnostics;
using TopKLoss.Tests.Support;
using Xunit.Abstractions;

namespace TopKLoss.Tests.Threading;

/// <summary>
/// TorchSharp 0.107 lets a Scalar it converts from a number be finalized during the native call that
/// reads it, when another thread collects garbage (src/TopKLoss/Scalars.cs): the library holds every
/// Scalar it passes (checked in its IL), and its tensor-ops paths survive collections on another thread.
/// </summary>
public class ScalarLifetimeTests(ITestOutputHelper output)
{
    [Fact]
    public void Library_holds_every_scalar_it_passes_to_TorchSharp()
    {
        var found = ScalarAudit.UnheldScalars(typeof(TopK).Assembly);
        foreach (var f in found) output.WriteLine(f);
        Assert.True(found.Count == 0, $"{found.Count} calls:\n{string.Join("\n", found)}");
    }

    [Fact]
    public void The_stress_cases_hold_their_own_scalars()
    {
        var found = ScalarAudit.UnheldScalars(typeof(ScalarStress).Assembly, t => t.FullName!.StartsWith(typeof(ScalarStress).FullName!, StringComparison.Ordinal));
        Assert.True(found.Count == 0, $"{found.Count} calls:\n{string.Join("\n", found)}");
    }

    [Fact]
    public async Task Tensor_ops_paths_survive_collections_on_another_thread()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(ScalarStress).Assembly.Location);
        start.ArgumentList.Add("scalar-stress");
        start.ArgumentList.Add("8");
        // Only the collector thread starts collections mid-call: the reference run on one thread is then exact.
        start.Environment["DOTNET_gcConcurrent"] = "0";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process.Kill(); Assert.Fail("the stress run did not finish in 90 s"); }
        string result = await stdout, errors = await stderr;
        output.WriteLine(result);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {result}\n{errors}");
    }
}
