using System.Diagnostics;

namespace TopKLoss.Cli.Tests;

/// <summary>
/// Runs only where the Debian 12 fix is needed (Linux, system libstdc++ without GLIBCXX_3.4.32):
/// elsewhere the fix never writes its cache, so there is no failure to report.
/// </summary>
public sealed class FactWhenNativeFixNeededAttribute : FactAttribute
{
    private static readonly string[] Candidates =
        ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6"];

    public FactWhenNativeFixNeededAttribute()
    {
        if (!OperatingSystem.IsLinux()) { Skip = "the libstdc++ fix applies on Linux only"; return; }
        string? library = Candidates.FirstOrDefault(File.Exists);
        if (library is null) Skip = $"no system libstdc++.so.6 at {string.Join(", ", Candidates)}";
        else if (File.ReadAllBytes(library).AsSpan().IndexOf("GLIBCXX_3.4.32"u8) >= 0)
            Skip = $"{library} has GLIBCXX_3.4.32: TorchSharp loads without the fix here";
    }
}

/// <summary>
/// The topk CLI in a child process (the fix runs once per process, when TopKLoss loads), with
/// TOPKLOSS_NATIVE_CACHE pointing where the patched library can or cannot be written.
/// </summary>
public class NativeFixErrorTests
{
    [FactWhenNativeFixNeeded]
    public void An_unwritable_native_cache_makes_topk_fail_saying_why()
    {
        string dir = Directory.CreateTempSubdirectory("topk-native-cache-").FullName;
        try
        {
            // A folder below a regular file cannot be created, not even by root.
            string file = Path.Combine(dir, "not-a-folder");
            File.WriteAllText(file, "");
            string cache = Path.Combine(file, "cache");

            var (exitCode, stderr) = RunTopk(cache);

            Assert.Equal(1, exitCode);
            Assert.StartsWith("topk: TopKLoss: TorchSharp's ", stderr);
            Assert.Contains("libstdc++ lacks GLIBCXX_3.4.32", stderr);
            Assert.Contains(cache, stderr);
            Assert.Contains("Set TOPKLOSS_NATIVE_CACHE to a writable folder", stderr);
            Assert.DoesNotContain("libtorch-cpu", stderr); // TorchSharp's misleading error never came
            Assert.Single(stderr.Trim().Split('\n'));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [FactWhenNativeFixNeeded]
    public void A_writable_native_cache_gets_the_patched_library_and_topk_runs()
    {
        string cache = Directory.CreateTempSubdirectory("topk-native-cache-").FullName;
        try
        {
            var (exitCode, stderr) = RunTopk(cache);

            Assert.True(exitCode == 0, stderr);
            string patched = Assert.Single(Directory.GetFiles(cache, "*", SearchOption.AllDirectories));
            Assert.Equal("libLibTorchSharp.so", Path.GetFileName(patched));
            byte[] shipped = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));
            byte[] copy = File.ReadAllBytes(patched);
            Assert.Equal(shipped.Length, copy.Length);
            Assert.Equal(1, shipped.Zip(copy).Count(p => p.First != p.Second)); // the one flags byte
        }
        finally { Directory.Delete(cache, recursive: true); }
    }

    private static (int ExitCode, string Stderr) RunTopk(string cache)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "topk.dll"));
        start.ArgumentList.Add("--help");
        start.Environment["TOPKLOSS_NATIVE_CACHE"] = cache;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(120)), "topk --help did not finish in 120 s");
        _ = stdout.Result;
        return (process.ExitCode, stderr.Result);
    }
}
