using TopKLoss.Native;

namespace TopKLoss.Build;

/// <summary>
/// Marks GLIBCXX_3.4.32 weak in an app's own output copy of libLibTorchSharp.so (see
/// shared/docs/platform.md), so that the app loads TorchSharp on Debian 12 / Ubuntu 22.04 even
/// when it touches <c>torch</c> before any TopKLoss type.
/// </summary>
public static class OutputCopyPatch
{
    public const string MissingVersion = "GLIBCXX_3.4.32";

    /// <summary>Patches <paramref name="path"/> in place if it still has the strict requirement.</summary>
    /// <returns>true if the file changed; false if it was already patched.</returns>
    /// <remarks>
    /// The patched bytes go to a temporary file in the same folder that then replaces the copy by
    /// rename: the build may have hard-linked the copy to the NuGet cache, whose file must stay
    /// untouched, and a concurrent reader never sees half a library. The copy keeps the original's
    /// time stamp, so MSBuild's incremental copy (same size, same time) leaves it patched.
    /// </remarks>
    /// <exception cref="InvalidDataException">The file is not a well-formed ELF64 little-endian object.</exception>
    public static bool Apply(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (!ElfVersionPatcher.MarkVersionWeak(bytes, MissingVersion)) return false;

        DateTime stamp = File.GetLastWriteTimeUtc(path);
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.SetLastWriteTimeUtc(temp, stamp);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            // Only the temporary file this call wrote, and only if the rename did not consume it.
            if (File.Exists(temp)) File.Delete(temp);
        }
        return true;
    }
}
