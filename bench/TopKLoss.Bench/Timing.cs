using System.Diagnostics;

namespace TopKLoss.Bench;

/// <summary>What the in-process probes measure with: one call's wall time and a median.</summary>
internal static class Timing
{
    /// <summary>Wall time of one call, in ms.</summary>
    public static double Time(Action body)
    {
        long start = Stopwatch.GetTimestamp();
        body();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>The upper median (the middle of an odd count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
