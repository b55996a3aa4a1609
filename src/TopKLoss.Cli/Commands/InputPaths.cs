using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// The files and folders a run reads. run.json stores them absolute, so that `eval` and
/// `--resume` work from any current folder; --force never replaces a folder that holds one.
/// </summary>
public static class InputPaths
{
    /// <summary>The settings with every path made absolute (relative to the current folder).</summary>
    public static TrainSettings Absolute(TrainSettings s) => s with
    {
        DataSpec = AbsoluteSpec(s.DataSpec),
        InitWeights = s.InitWeights is null ? null : Path.GetFullPath(s.InitWeights),
        Data = s.Data with
        {
            GroupsFile = s.Data.GroupsFile is null ? null : Path.GetFullPath(s.Data.GroupsFile),
            NoiseGroups = s.Data.NoiseGroups is "published" or "coarse" ? s.Data.NoiseGroups : Path.GetFullPath(s.Data.NoiseGroups),
        },
    };

    /// <summary>"kind:DIR" with DIR absolute; synthetic's knobs are no path.</summary>
    public static string AbsoluteSpec(string spec) =>
        DataFolder(spec) is { } folder ? spec[..spec.IndexOf(':')] + ":" + Path.GetFullPath(folder) : spec;

    /// <summary>DIR of "kind:DIR", or null (synthetic, or no folder given).</summary>
    public static string? DataFolder(string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon < 0 || spec[..colon].Trim().Equals("synthetic", StringComparison.OrdinalIgnoreCase)) return null;
        string folder = spec[(colon + 1)..];
        return string.IsNullOrWhiteSpace(folder) ? null : folder;
    }

    /// <summary>Every path the run reads: the dataset folder, --init-weights, the groups files.</summary>
    public static IEnumerable<string> Of(TrainSettings s)
    {
        if (DataFolder(s.DataSpec) is { } folder) yield return folder;
        if (s.InitWeights is not null) yield return s.InitWeights;
        if (s.Data.GroupsFile is not null) yield return s.Data.GroupsFile;
        if (s.Data.NoiseGroups is not ("published" or "coarse")) yield return s.Data.NoiseGroups;
    }
}
