using System.Diagnostics;
using TopKLoss.Cli.Models;
using Xunit.Abstractions;

namespace TopKLoss.Cli.Tests.Models;

/// <summary>
/// Every model the CLI offers takes a training step on this machine's libtorch. Each runs in a
/// child process (this assembly's <c>model-step</c> mode, <see cref="ModelTrainingStep"/>): a
/// native crash there, such as oneDNN's SIGFPE in ResNet-50's first backward pass (docs/platform.md,
/// "ResNet-50 and SIGFPE"), fails one test instead of taking the test host down.
/// </summary>
public class ModelTrainingStepTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names => new(ModelFactory.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task EveryModelTakesATrainingStepWithFiniteGradients(string name)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(ModelTrainingStep).Assembly.Location);
        start.ArgumentList.Add("model-step");
        start.ArgumentList.Add(name);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process.Kill(); Assert.Fail($"{name}: the training step did not finish in 120 s"); }
        string result = await stdout, errors = await stderr;
        output.WriteLine(result);
        int code = process.ExitCode;
        string how = code > 128 ? $"killed by signal {code - 128}{(code == 136 ? " (SIGFPE)" : "")}" : $"exit {code}";
        Assert.True(code == 0, $"{name}: {how}\n{result}\n{errors}");
        Assert.Contains("all gradients finite", result);
    }
}
