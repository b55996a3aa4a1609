using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace TopKLoss.Bench;

/// <summary>
/// dotnet run -c Release --project bench/TopKLoss.Bench -- --filter '*'
/// Prints per case the median forward+backward time and the ratio to cross_entropy, all taken in one run.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        TopKLoss.Native.NativeBackend.EnsureLoaded();
        var job = Job.Default.WithWarmupCount(3).WithIterationCount(15).WithLaunchCount(1).WithUnrollFactor(1);
        var config = DefaultConfig.Instance
            .AddJob(job)
            .AddColumn(StatisticColumn.Median)
            .WithOptions(ConfigOptions.JoinSummary)
            .HideColumns("Error", "StdDev", "RatioSD");
        if (args is ["--plots-from", var csv]) { ScalingPlots.FromCsv(csv); return; }
        if (args is ["--components"]) { ComponentProbe.Run(); return; }
        if (args is ["--hinge"]) { HingeProbe.Run(); return; }
        if (args is ["--loss-parts", var rounds, ..]) { ComponentProbe.LossParts(int.Parse(rounds), args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1.0); return; }
        if (args is ["--kernel-min", var reps]) { ComponentProbe.KernelMin(int.Parse(reps)); return; }
        if (args is ["--noised-loop", var count, ..]) { ComponentProbe.NoisedLoop(int.Parse(count), args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1.0); return; }
        if (args is ["--isa", ..]) { IsaProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 200); return; }
        if (args is ["--multik", ..]) { MultiKProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 100); return; }
        if (args is ["--probe", ..]) { Probe.Run(args.Length > 1 ? int.Parse(args[1]) : 100); return; }
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        ScalingPlots.Write(summaries, Path.Combine("BenchmarkDotNet.Artifacts", "scaling"));
    }
}
