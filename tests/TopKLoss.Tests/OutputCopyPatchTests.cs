using System.Runtime.InteropServices;
using TopKLoss.Build;

namespace TopKLoss.Tests;

/// <summary>The package's build step (TopKLoss.Build.OutputCopyPatch) on an app's copy of libLibTorchSharp.so.</summary>
public class OutputCopyPatchTests
{
    private static string Shipped()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"{path} next to the test assembly");
        return path;
    }

    [Fact]
    public void Patches_a_hard_linked_copy_by_replacing_it_and_leaves_the_cache_file_alone()
    {
        string dir = Directory.CreateTempSubdirectory("topk-output-patch-").FullName;
        try
        {
            // As a build with CreateHardLinksForCopyLocalIfPossible leaves it: the app's copy is the cache's file.
            string cacheFile = Path.Combine(dir, "cache.so");
            File.Copy(Shipped(), cacheFile);
            var stamp = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            File.SetLastWriteTimeUtc(cacheFile, stamp);
            string appCopy = Path.Combine(dir, "libLibTorchSharp.so");
            Assert.Equal(0, Link(cacheFile, appCopy));
            byte[] original = File.ReadAllBytes(cacheFile);

            Assert.True(OutputCopyPatch.Apply(appCopy));

            Assert.Equal(original, File.ReadAllBytes(cacheFile));
            byte[] patched = File.ReadAllBytes(appCopy);
            Assert.Equal(original.Length, patched.Length);
            Assert.Equal(1, original.Zip(patched).Count(p => p.First != p.Second)); // the one flags byte
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(appCopy)); // so MSBuild's incremental copy keeps it
            Assert.False(OutputCopyPatch.Apply(appCopy)); // idempotent
            Assert.Equal(patched, File.ReadAllBytes(appCopy));
            Assert.Equal(["cache.so", "libLibTorchSharp.so"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Rejects_a_file_that_is_not_ELF64_and_leaves_it_as_it_was()
    {
        string dir = Directory.CreateTempSubdirectory("topk-output-patch-").FullName;
        try
        {
            string file = Path.Combine(dir, "libLibTorchSharp.so");
            byte[] text = "not a shared object, just text that is long enough to pass for a header......"u8.ToArray();
            File.WriteAllBytes(file, text);

            var e = Assert.Throws<InvalidDataException>(() => OutputCopyPatch.Apply(file));

            Assert.Contains("ELF64", e.Message);
            Assert.Equal(text, File.ReadAllBytes(file));
            Assert.Equal([file], Directory.GetFiles(dir)); // no temporary file left
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string newPath);
}
