namespace TopKLoss.Cli.Commands;

/// <summary>What a folder written by topk holds: one train run, or a comparison of several.</summary>
public enum RunKind { Train, Compare }

/// <summary>
/// Output folders: runs/&lt;timestamp&gt;-&lt;name&gt; by default. Every folder topk creates holds a
/// marker file (<see cref="MarkerFileName"/>), written before anything else, so that --force can
/// tell a folder of its own from the user's. --force replaces only a marked folder whose every file
/// is one topk writes; never the current, home or root folder, a folder holding an input, nor one
/// with a file topk did not write. Checking (<see cref="Check"/>) touches nothing; the old run is
/// moved aside only when <see cref="Claim"/> is called, after every input has been checked.
/// </summary>
public static class RunFolder
{
    public const string MarkerFileName = ".topk-run";

    /// <summary>Files a train run folder may hold (tensorboard/ is checked apart).</summary>
    private static readonly HashSet<string> TrainFiles =
        [MarkerFileName, "run.json", "checkpoint.bin", "best-model.bin", "metrics.json", "curves.png", "test-per-class.csv", "eval-per-class.csv", "reliability.png"];

    /// <summary>Files a comparison folder may hold, besides its &lt;loss&gt;/seed&lt;s&gt;/ runs.</summary>
    private static readonly HashSet<string> CompareFiles =
        [MarkerFileName, CompareCommand.PlanFileName, "results.json", "table.txt", "bars.png", "curves.png", CompareReports.FileName];

    public static string Default(string name, DateTime now)
    {
        string baseName = Path.Combine("runs", $"{now:yyyyMMdd-HHmmss}-{name}");
        string path = baseName;
        for (int i = 2; Directory.Exists(path); i++) path = $"{baseName}-{i}";
        return path;
    }

    /// <summary>
    /// Throws a <see cref="UsageException"/> saying why when <paramref name="path"/> may not be
    /// written (or replaced, with <paramref name="force"/>); <paramref name="inputs"/> are the files
    /// and folders the run reads, which the folder may neither hold nor lie in. Changes nothing.
    /// </summary>
    public static void Check(string path, bool force, RunKind kind, IEnumerable<string> inputs, string option = "--out")
    {
        string full = Full(path);
        if (File.Exists(full))
            throw new UsageException($"{option} {path} is a file, not a folder.");
        foreach (string input in inputs.Select(Full))
        {
            if (IsWithin(input, full))
                throw new UsageException($"{option} {path} holds the input {input}; choose a folder that holds none of the data.");
            if (Directory.Exists(input) && IsWithin(full, input))
                throw new UsageException($"{option} {path} lies inside the dataset folder {input}; choose a folder outside the data.");
        }
        if (!Directory.Exists(full) || !Directory.EnumerateFileSystemEntries(full).Any()) return;

        if (ProtectedReason(full) is { } reason)
            throw new UsageException($"{option} {path} is {reason}; topk never writes a run into it: choose a new folder, e.g. {option} runs/my-run.");
        if (!File.Exists(Path.Combine(full, MarkerFileName)))
            throw new UsageException($"{option} {path} holds files topk did not write (e.g. {Path.GetFileName(Directory.EnumerateFileSystemEntries(full).Order(StringComparer.Ordinal).First())}); it is never replaced, even with --force: choose another folder.");
        if (KindOf(full) != kind)
            throw new UsageException($"{option} {path} holds a topk {Describe(KindOf(full))}, not a {Describe(kind)}; choose another folder.");
        if (!force)
            throw new UsageException($"{option} {path} already holds a topk {Describe(kind)}; pass --force to replace it{(kind == RunKind.Train ? " or --resume to continue it" : " or --resume to finish it")}.");
        if (Foreign(full, kind) is { } foreign)
            throw new UsageException($"{option} {path} holds {foreign}, which topk did not write; it is never replaced, even with --force: move that file away or choose another folder.");
    }

    /// <summary>
    /// Creates the folder with its marker. An old run there (already <see cref="Check"/>ed) is moved
    /// aside, whole, to a hidden sibling: <see cref="OutputFolder.Close"/> deletes it once the new run
    /// holds something worth keeping, or puts it back.
    /// </summary>
    public static OutputFolder Claim(string path, RunKind kind)
    {
        string full = Full(path);
        string? replaced = null;
        bool existed = Directory.Exists(full);
        if (existed && Directory.EnumerateFileSystemEntries(full).Any())
        {
            replaced = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.topk-replaced-{Guid.NewGuid():N}");
            Directory.Move(full, replaced);
            existed = false;
        }
        Directory.CreateDirectory(full);
        WriteMarker(full, kind);
        return new OutputFolder(full, existed, replaced);
    }

    /// <summary>Creates a sub-run folder of a comparison with its marker (nothing when it exists).</summary>
    public static void CreateMarked(string path, RunKind kind)
    {
        Directory.CreateDirectory(path);
        if (!File.Exists(Path.Combine(path, MarkerFileName))) WriteMarker(path, kind);
    }

    /// <summary>
    /// Empties a comparison's sub-run that never reached its first checkpoint (so it starts afresh,
    /// not with a second TensorBoard file); a folder with foreign files is left alone, with an error.
    /// </summary>
    public static void Restart(string path)
    {
        if (Directory.Exists(path))
        {
            if (!IsMarked(path) || Foreign(path, RunKind.Train) is not null)
                throw new UsageException($"{path} holds files topk did not write; move them away to let the comparison run there.");
            Directory.Delete(path, recursive: true);
        }
        CreateMarked(path, RunKind.Train);
    }

    public static bool IsMarked(string path) => File.Exists(Path.Combine(path, MarkerFileName));

    private static void WriteMarker(string folder, RunKind kind) =>
        Training.AtomicFile.WriteText(Path.Combine(folder, MarkerFileName), $"topk {kind.ToString().ToLowerInvariant()}\n");

    private static RunKind? KindOf(string folder)
    {
        string text = File.ReadAllText(Path.Combine(folder, MarkerFileName)).Trim();
        return text switch { "topk train" => RunKind.Train, "topk compare" => RunKind.Compare, _ => null };
    }

    private static string Describe(RunKind? kind) => kind switch { RunKind.Train => "train run", RunKind.Compare => "comparison", _ => "folder of unknown kind" };

    /// <summary>The first entry (relative path) that a folder of <paramref name="kind"/> would not hold, or null.</summary>
    private static string? Foreign(string folder, RunKind kind)
    {
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            string name = entry.Name;
            // A link is never followed: whatever it points to is not ours.
            if (entry.LinkTarget is not null) return name;
            bool owned = entry switch
            {
                FileInfo => (kind == RunKind.Train ? TrainFiles : CompareFiles).Contains(OwnName(name)),
                DirectoryInfo d when kind == RunKind.Train && name == "tensorboard" =>
                    d.EnumerateFileSystemInfos().All(f => f is FileInfo && f.LinkTarget is null && f.Name.StartsWith("events.out.tfevents.", StringComparison.Ordinal)),
                DirectoryInfo d when kind == RunKind.Compare && Training.LossRegistry.Names.Contains(name) =>
                    d.EnumerateFileSystemInfos().All(s => s is DirectoryInfo && s.LinkTarget is null && s.Name.StartsWith("seed", StringComparison.Ordinal)
                        && IsMarked(s.FullName) && KindOf(s.FullName) == RunKind.Train && Foreign(s.FullName, RunKind.Train) is null),
                _ => false,
            };
            if (!owned) return entry is DirectoryInfo ? name + "/" : name;
        }
        return null;
    }

    /// <summary>A leftover temporary file of an atomic write counts as the file it was meant to become.</summary>
    private static string OwnName(string name) => name.EndsWith(".tmp", StringComparison.Ordinal) ? name[..^4] : name;

    private static string? ProtectedReason(string full)
    {
        string cwd = Full(Environment.CurrentDirectory);
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (Path.GetPathRoot(full) == full) return "the root folder";
        if (home.Length > 0 && (full == Full(home) || IsWithin(Full(home), full))) return "the home folder" + (full == Full(home) ? "" : "'s parent");
        if (IsWithin(cwd, full)) return full == cwd ? "the current folder" : "a parent of the current folder";
        return null;
    }

    /// <summary>True when <paramref name="inner"/> is <paramref name="outer"/> or lies below it.</summary>
    private static bool IsWithin(string inner, string outer) =>
        inner == outer || inner.StartsWith(outer.EndsWith(Path.DirectorySeparatorChar) ? outer : outer + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) is var p && p.Length > 0 ? p : Path.GetFullPath(path);
}

/// <summary>
/// An output folder claimed by a command. <see cref="Close"/> keeps the new run when it holds
/// progress (a checkpoint or finished metrics) and deletes the old one moved aside; otherwise it
/// removes what the command wrote and puts the old run back, so a failed or interrupted start
/// leaves the folder as it was.
/// </summary>
public sealed class OutputFolder(string path, bool existedEmpty, string? replaced)
{
    public string Path { get; } = path;

    /// <summary>Whether a run in <paramref name="folder"/> left anything worth keeping.</summary>
    public static bool HoldsProgress(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Any(f => System.IO.Path.GetFileName(f) is Training.Checkpoint.FileName or Commands.TrainRun.MetricsFileName);

    public void Close()
    {
        if (HoldsProgress(Path))
        {
            if (replaced is not null) TryDelete(replaced);
            return;
        }
        if (existedEmpty)
            foreach (var entry in new DirectoryInfo(Path).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo d) d.Delete(recursive: true); else entry.Delete();
            }
        else TryDelete(Path);
        if (replaced is not null) Directory.Move(replaced, Path);
    }

    private static void TryDelete(string folder)
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
