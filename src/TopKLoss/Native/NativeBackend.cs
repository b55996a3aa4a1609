using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TopKLoss.Native;

/// <summary>
/// Makes TorchSharp's native library load on Linux systems whose libstdc++ predates
/// GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04). Runs automatically when the TopKLoss assembly
/// loads; call <see cref="EnsureLoaded"/> yourself only if your program touches
/// <c>torch</c> before any TopKLoss type.
/// </summary>
/// <remarks>
/// Only where needed: if the shipped libLibTorchSharp.so loads as it is, nothing happens.
/// Otherwise a copy with the GLIBCXX_3.4.32 requirement marked weak is written (atomically)
/// to a per-user cache folder and loaded first; TorchSharp's later load by name then finds it
/// by its soname. The NuGet cache and the application folder are never modified.
/// </remarks>
public static class NativeBackend
{
    private const string Library = "libLibTorchSharp.so";
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private static readonly object Gate = new();
    private static bool done;

    /// <summary>What the last <see cref="EnsureLoaded"/> did: "not needed", the patched path, or why it failed.</summary>
    public static string Status { get; private set; } = "not run";

#pragma warning disable CA2255 // a library module initializer is the point: it runs before TorchSharp initializes
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void OnModuleLoad() => EnsureLoaded();

    /// <summary>Idempotent; never throws (TorchSharp reports its own load error if this could not help).</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (done) return;
            done = true;
            try { Status = Load(); }
            catch (Exception e) { Status = "failed: " + e.Message; }
        }
    }

    private static string Load()
    {
        if (!OperatingSystem.IsLinux()) return "not needed (not Linux)";
        OpenMpSpin.Configure();
        var original = SearchDirectories().Select(d => Path.Combine(d, Library)).FirstOrDefault(File.Exists);
        if (original is null) return "not needed (" + Library + " not found; TorchSharp resolves it)";

        string dir = Path.GetDirectoryName(original)!;
        // libtorch first: a copy outside this folder cannot find it through its $ORIGIN runpath.
        foreach (var dep in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
            if (!NativeLibrary.TryLoad(Path.Combine(dir, dep), out _)) NativeLibrary.TryLoad(dep, out _);

        try
        {
            NativeLibrary.Load(original);
            return "not needed (loaded " + original + ")";
        }
        catch (DllNotFoundException e) when (e.Message.Contains(MissingVersion))
        {
            string patched = PatchedCopy(original);
            NativeLibrary.Load(patched);
            return "patched " + patched;
        }
    }

    private static IEnumerable<string> SearchDirectories()
    {
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string list)
            dirs.AddRange(list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        dirs.Add(AppContext.BaseDirectory);
        dirs.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"));
        var ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (ld is not null) dirs.AddRange(ld.Split(':', StringSplitOptions.RemoveEmptyEntries));
        return dirs.Distinct();
    }

    private static string PatchedCopy(string original)
    {
        var info = new FileInfo(original);
        string cacheRoot = Environment.GetEnvironmentVariable("TOPKLOSS_NATIVE_CACHE")
            ?? Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "topkloss");
        string folder = Path.Combine(cacheRoot, $"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}");
        string target = Path.Combine(folder, Library);
        if (File.Exists(target)) return target;

        Directory.CreateDirectory(folder);
        byte[] bytes = File.ReadAllBytes(original);
        ElfVersionPatcher.MarkVersionWeak(bytes, MissingVersion);
        // Temp file + rename: concurrent processes (parallel test hosts) never see a half-written library.
        string temp = Path.Combine(folder, $"{Library}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, target, overwrite: true);
        return target;
    }
}
