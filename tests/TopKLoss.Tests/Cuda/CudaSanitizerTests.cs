using System.Diagnostics;

namespace TopKLoss.Tests.Cuda;

/// <summary>
/// Every kernel under AddressSanitizer and UBSan (native/sanitize.sh: its own g++ build, buffers of
/// exactly the sizes the C# side allocates). An out-of-bounds access of global or shared memory, which
/// the emulated comparisons may not notice and a GPU turns into garbage or a crash, fails here. About a
/// minute on the 2-core VM (the sanitized compile).
/// </summary>
public class CudaSanitizerTests
{
    private static string Script => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../Cuda/native/sanitize.sh"));

    public sealed class FactWhenGccAttribute : FactAttribute
    {
        public FactWhenGccAttribute()
        {
            if (!File.Exists("/usr/bin/g++")) Skip = "g++ not installed (apt-get install g++): the sanitized kernel run needs it";
            else if (!File.Exists(Script)) Skip = $"{Script} not found (the tests run outside the source tree)";
        }
    }

    [FactWhenGcc]
    public void EveryKernel_RunsCleanUnderAddressAndUndefinedBehaviourSanitizers()
    {
        var start = new ProcessStartInfo("bash", [Script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string errors = stderr.Result;
        Assert.True(process.ExitCode == 0, $"sanitize.sh exited {process.ExitCode}:\n{stdout}\n{errors[..Math.Min(errors.Length, 4000)]}");
        Assert.Contains("every kernel ran clean", stdout);
    }
}
