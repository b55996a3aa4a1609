namespace TopKLoss.Cli.Commands;

/// <summary>
/// Output folders: runs/&lt;timestamp&gt;-&lt;name&gt; by default; an existing non-empty folder is
/// never overwritten unless --force (or continued with --resume).
/// </summary>
public static class RunFolder
{
    public static string Default(string name, DateTime now)
    {
        string baseName = Path.Combine("runs", $"{now:yyyyMMdd-HHmmss}-{name}");
        string path = baseName;
        for (int i = 2; Directory.Exists(path); i++) path = $"{baseName}-{i}";
        return path;
    }

    /// <summary>Checks that <paramref name="path"/> may be written; throws a UsageException naming the fix otherwise.</summary>
    public static void CheckWritable(string path, bool force, string option = "--out")
    {
        if (File.Exists(path))
            throw new UsageException($"{option} {path} is a file, not a folder.");
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any() && !force)
            throw new UsageException($"{option} {path} already holds files of another run; pass --force to overwrite it (or --resume to continue a train run).");
    }

    /// <summary>Creates the folder (emptying it first with --force). Returns true when this call created it.</summary>
    public static bool Create(string path, bool force)
    {
        CheckWritable(path, force);
        bool existed = Directory.Exists(path);
        if (existed && force)
        {
            foreach (var f in Directory.EnumerateFiles(path)) File.Delete(f);
            foreach (var d in Directory.EnumerateDirectories(path)) Directory.Delete(d, recursive: true);
        }
        Directory.CreateDirectory(path);
        return !existed;
    }

    /// <summary>Removes a folder this command created when it failed before writing anything worth keeping.</summary>
    public static void RemoveIfCreated(string path, bool created)
    {
        if (!created) return;
        try { Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
