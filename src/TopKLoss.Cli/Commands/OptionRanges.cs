namespace TopKLoss.Cli.Commands;

/// <summary>
/// Range checks for option values. Every message names the option and the allowed range, so the
/// user can fix the command from the one line the CLI prints.
/// </summary>
internal static class OptionRanges
{
    public static int IntIn(int value, int min, int max, string option)
    {
        if (value < min || value > max)
            throw new UsageException($"{option} must be an integer in [{min}, {max}]; got {value}.");
        return value;
    }

    public static double Positive(double value, string option)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new UsageException($"{option} must be a finite number > 0; got {Format(value)}.");
        return value;
    }

    public static double NonNegative(double value, string option)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new UsageException($"{option} must be a finite number ≥ 0; got {Format(value)}.");
        return value;
    }

    public static double In(double value, double min, double max, string option, bool maxInclusive = true)
    {
        bool ok = value >= min && (maxInclusive ? value <= max : value < max);
        if (!ok)
            throw new UsageException($"{option} must be in [{Format(min)}, {Format(max)}{(maxInclusive ? "]" : ")")}; got {Format(value)}.");
        return value;
    }

    public static double? Optional(double? value, Func<double, string, double> check, string option) =>
        value is { } v ? check(v, option) : null;

    /// <summary>"1,3,5" → [1, 3, 5]: each in [min, max], strictly increasing when <paramref name="increasing"/>.</summary>
    public static int[] IntList(string text, int min, int max, string option, bool increasing = true)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out values[i]))
                throw new UsageException($"{option} must be a comma-separated list of integers in [{min}, {max}]; '{parts[i]}' is not an integer.");
            IntIn(values[i], min, max, option);
            if (increasing && i > 0 && values[i] <= values[i - 1])
                throw new UsageException($"{option} must be strictly increasing; got {text}.");
        }
        return values;
    }

    public static string OneOf(string value, IReadOnlyCollection<string> allowed, string option)
    {
        if (!allowed.Contains(value))
            throw new UsageException($"{option} must be one of {string.Join(", ", allowed)}; got '{value}'.");
        return value;
    }

    private static string Format(double v) => v.ToString("G", System.Globalization.CultureInfo.InvariantCulture);
}
