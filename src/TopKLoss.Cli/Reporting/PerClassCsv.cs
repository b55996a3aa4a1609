using System.Globalization;
using System.Text;
using TopKLoss.Cli.Training;

namespace TopKLoss.Cli.Reporting;

/// <summary>
/// Per-class table as CSV: class index, name, sample count, then top-k accuracy per k (empty for absent
/// classes). A name is quoted (RFC 4180) only when it holds a comma, quote or line break: "class 3" stays bare.
/// </summary>
public static class PerClassCsv
{
    public static void Write(string path, MetricsReport report, IReadOnlyList<string> classNames)
    {
        var sb = new StringBuilder();
        sb.Append("class,name,samples");
        foreach (int k in report.Ks) sb.Append(CultureInfo.InvariantCulture, $",top{k}");
        sb.AppendLine();
        for (int c = 0; c < report.ClassTotals.Length; c++)
        {
            string name = c < classNames.Count ? classNames[c] : c.ToString(CultureInfo.InvariantCulture);
            sb.Append(CultureInfo.InvariantCulture, $"{c},{Quote(name)},{report.ClassTotals[c]}");
            for (int i = 0; i < report.Ks.Length; i++)
                sb.Append(report.ClassTotals[c] == 0 ? "," : string.Create(CultureInfo.InvariantCulture, $",{(double)report.ClassCorrect[i][c] / report.ClassTotals[c]:F6}"));
            sb.AppendLine();
        }
        AtomicFile.WriteText(path, sb.ToString());
    }

    private static string Quote(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
