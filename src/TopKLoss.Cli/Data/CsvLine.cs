using System.Text;

namespace TopKLoss.Cli.Data;

/// <summary>Minimal CSV field splitter (quotes, doubled quotes inside quotes), enough for metadata files.</summary>
internal static class CsvLine
{
    /// <summary>The header's delimiter: ';' when it has more semicolons than commas, else ','.</summary>
    public static char DetectDelimiter(string header) =>
        header.Count(ch => ch == ';') > header.Count(ch => ch == ',') ? ';' : ',';

    public static List<string> Split(string line, char delimiter)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == delimiter) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(ch);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
