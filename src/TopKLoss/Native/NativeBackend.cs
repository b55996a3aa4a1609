using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TopKLoss.Native;

/// <summary>
/// Makes TorchSharp's native library load on Linux systems whose libstdc++ predates
/// GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04). Runs automatically when the TopKLoss assembly
/// loads. An app built with the TopKLoss package needs nothing more: the package's build step
/// (buildTransitive/TopKLoss.targets) patches the app's own copy, so torch may come first. A
/// program that references the library otherwise (as a project) and touches <c>torch</c> before
/// any TopKLoss type calls <see cref="EnsureLoaded"/> first.
/// </summary>
/// <remarks>
/// Only where needed: if the shipped libLibTorchSharp.so loads as it is, nothing happens (an app
/// built with the TopKLoss package has its own copy patched at build time, so this is the usual
/// case there). Otherwise a copy with the GLIBCXX_3.4.32 requirement marked weak is written
/// (atomically) to a per-user cache folder and loaded first; TorchSharp's later load by name then
/// finds it by its soname. The NuGet cache and the application folder are never modified.
/// If that copy cannot be written or loaded, torch cannot work in this process at all, so the
/// module initializer throws a <see cref="DllNotFoundException"/> that says why (first use of any
/// TopKLoss type then throws a <see cref="TypeInitializationException"/> around it) instead of
/// leaving TorchSharp to report a misleading missing-package error.
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

    /// <summary>Idempotent. Other load failures (no libtorch, another platform) are only recorded in
    /// <see cref="Status"/>: TorchSharp's own error then names the real problem.</summary>
    /// <exception cref="DllNotFoundException">This system needs the fix and it could not be applied;
    /// the message says why and what to do.</exception>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (done) return;
            done = true;
            try { Status = Load(); }
            catch (FixNotAppliedException e) { Status = "failed: " + e.Message; throw; }
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
            string folder = CacheFolder(original);
            try
            {
                string patched = PatchedCopy(original, folder);
                NativeLibrary.Load(patched);
                return "patched " + patched;
            }
            catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or InvalidDataException or DllNotFoundException)
            {
                throw new FixNotAppliedException(
                    $"TopKLoss: TorchSharp's {original} cannot load on this system, whose libstdc++ lacks {MissingVersion}, "
                    + $"and the fix (a copy with that requirement marked weak, in {folder}) could not be applied: {failure.Message} "
                    + "Set TOPKLOSS_NATIVE_CACHE to a writable folder, or build the app with the TopKLoss package's build step "
                    + "(it patches the app's own copy; README, Platform).", failure);
            }
        }
    }

    /// <summary>The fix was needed and failed: the one load failure that is thrown, not only recorded.</summary>
    private sealed class FixNotAppliedException(string message, Exception inner) : DllNotFoundException(message, inner);

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

    /// <summary>The cache folder for this build of the library: one per size and time stamp.</summary>
    private static string CacheFolder(string original)
    {
        var info = new FileInfo(original);
        string cacheRoot = Environment.GetEnvironmentVariable("TOPKLOSS_NATIVE_CACHE")
            ?? Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "topkloss");
        return Path.Combine(cacheRoot, $"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}");
    }

    private static string PatchedCopy(string original, string folder)
    {
        string target = Path.Combine(folder, Library);
        if (File.Exists(target)) return target;

        Directory.CreateDirectory(folder);
        byte[] bytes = File.ReadAllBytes(original);
        ElfVersionPatcher.MarkVersionWeak(bytes, MissingVersion);
        // Temp file + rename: concurrent processes (parallel test hosts) never see a half-written library.
        string temp = Path.Combine(folder, $"{Library}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            // Only this call's own temporary file, left behind if the write or the rename failed.
            if (File.Exists(temp)) File.Delete(temp);
        }
        return target;
    }
}
