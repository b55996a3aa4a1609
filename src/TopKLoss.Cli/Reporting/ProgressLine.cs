namespace TopKLoss.Cli.Reporting;

/// <summary>
/// Fits a progress description into a width: the parts that matter least are dropped first, and
/// what still does not fit is cut with "…", so a terminal line never wraps (a wrapped line garbles
/// a live display: at 80 columns Spectre squeezed the time column to one character per line).
/// </summary>
public static class ProgressLine
{
    /// <summary>Joins the parts (display order) with spaces; while too wide, drops the part of highest <c>Drop</c> rank.</summary>
    public static string Fit(IReadOnlyList<(string Text, int Drop)> parts, int width)
    {
        var kept = parts.Where(p => p.Text.Length > 0).ToList();
        string line = string.Join(" ", kept.Select(p => p.Text));
        while (line.Length > width && kept.Count > 1)
        {
            kept.Remove(kept.MaxBy(p => p.Drop));
            line = string.Join(" ", kept.Select(p => p.Text));
        }
        return line.Length <= width ? line : width <= 1 ? line[..Math.Max(0, width)] : line[..(width - 1)] + "…";
    }
}
