using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace TopKLoss.Build;

/// <summary>
/// MSBuild task behind buildTransitive/TopKLoss.targets: applies <see cref="OutputCopyPatch"/> to
/// each given output copy of libLibTorchSharp.so.
/// </summary>
/// <remarks>
/// A failure is a warning, not an error: the app still runs wherever libstdc++ is new enough, and on
/// older systems the library's run-time fix still applies once a TopKLoss type is used first. The
/// warning says why and what the app must then do.
/// </remarks>
public sealed class MarkLibTorchSharpVersionWeak : Microsoft.Build.Utilities.Task
{
    public const string WarningCode = "TOPKLOSS001";

    /// <summary>The output copies of libLibTorchSharp.so (missing files are skipped: e.g. bundled into a single file).</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = [];

    public override bool Execute()
    {
        foreach (var file in Files)
        {
            string path = file.GetMetadata("FullPath");
            if (!File.Exists(path))
            {
                Log.LogMessage(MessageImportance.Low, $"TopKLoss: {path} not found; nothing to patch.");
                continue;
            }
            try
            {
                bool changed = OutputCopyPatch.Apply(path);
                Log.LogMessage(MessageImportance.Low, changed
                    ? $"TopKLoss: marked {OutputCopyPatch.MissingVersion} weak in {path}."
                    : $"TopKLoss: {path} already patched.");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                Log.LogWarning(null, WarningCode, null, path, 0, 0, 0, 0,
                    $"TopKLoss could not mark {OutputCopyPatch.MissingVersion} weak in this copy of libLibTorchSharp.so ({e.Message}). "
                    + "On Linux systems whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04) TorchSharp then fails to load "
                    + "unless the app calls TopKLoss.Native.NativeBackend.EnsureLoaded() before it first uses torch. "
                    + "Set TopKLossPatchLibTorchSharp=false to skip this step.");
            }
        }
        return !Log.HasLoggedErrors;
    }
}
