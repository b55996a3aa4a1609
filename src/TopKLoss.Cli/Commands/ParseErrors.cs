using System.Text.RegularExpressions;

namespace TopKLoss.Cli.Commands;

/// <summary>
/// System.CommandLine's type errors in words: "Cannot parse argument 'abc' for option '--k' as
/// expected type 'System.Int32'" becomes "--k expects an integer; got 'abc'".
/// </summary>
internal static partial class ParseErrors
{
    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'")]
    private static partial Regex TypeError();

    public static string Explain(string message)
    {
        var m = TypeError().Match(message);
        if (!m.Success) return message;
        string type = m.Groups["type"].Value;
        string expected = type.Contains("Int32") || type.Contains("Int64") ? "an integer"
            : type.Contains("Double") || type.Contains("Single") ? "a number"
            : type.Contains("Boolean") ? "true or false"
            : "a value of another form";
        return $"{m.Groups["option"].Value} expects {expected}; got '{m.Groups["value"].Value}'.";
    }
}
