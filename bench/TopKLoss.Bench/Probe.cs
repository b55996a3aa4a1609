using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using F = TopKLoss.TopK.functional;

using static TopKLoss.Bench.Timing;

namespace TopKLoss.Bench;

/// <summary>
/// <c>--probe [iterations]</c>: the issue's four target cases and cross_entropy in one process,
/// measured round-robin (one iteration of each case in turn) so that drift of a shared machine
/// hits every case alike; prints min and median per case and the median ratio to cross_entropy.
/// A quick check between BenchmarkDotNet runs, not a replacement for them.
/// </summary>
internal static class Probe
{
    private static void OneThread(Action body)
    {
        int previous = TopKLoss.Kernels.CpuRows.MaxDegreeOfParallelism;
        TopKLoss.Kernels.CpuRows.MaxDegreeOfParallelism = 1;
        try { body(); }
        finally { TopKLoss.Kernels.CpuRows.MaxDegreeOfParallelism = previous; }
    }

    public static void Run(int iterations)
    {
        if (Environment.GetEnvironmentVariable("PROBE_KERNEL_THREADS") is { } kt) TopKLoss.Kernels.CpuRows.MaxDegreeOfParallelism = int.Parse(kt);
        var generator = new Generator(1234);
        Tensor Scores(int n) => randn(256, n, generator: generator).to(BenchDevice.Device);
        Tensor Labels(int n) => randint(0, n, new long[] { 256 }, generator: generator).to(BenchDevice.Device);
        var (s1k, y1k, s1e5, y1e5) = (Scores(1000), Labels(1000), Scores(100_000), Labels(100_000));
        var noise = new Generator(99);
        var cases = new (string Name, Action Body)[]
        {
            ("cross_entropy n=1000", () => BenchDevice.ForwardBackward(s1k, s => nn.functional.cross_entropy(s, y1k))),
            ("smooth top-5 n=1000", () => BenchDevice.ForwardBackward(s1k, s => F.smooth_topk_svm_loss(s, y1k, 5, 1.0, 1.0))),
            ("smooth top-20 n=1000", () => BenchDevice.ForwardBackward(s1k, s => F.smooth_topk_svm_loss(s, y1k, 20, 1.0, 1.0))),
            ("noised top-5 B=10 n=1000", () => BenchDevice.ForwardBackward(s1k, s => F.noised_topk_loss(s, y1k, 5, 1.0, 10, noise))),
            ("smooth top-5, 1 kernel thr", () => OneThread(() => BenchDevice.ForwardBackward(s1k, s => F.smooth_topk_svm_loss(s, y1k, 5, 1.0, 1.0)))),
            ("noised B=10, 1 kernel thr", () => OneThread(() => BenchDevice.ForwardBackward(s1k, s => F.noised_topk_loss(s, y1k, 5, 1.0, 10, noise)))),
            ("perturbed top-6 B=10 alone", () => BenchDevice.ForwardBackward(s1k, s => F.perturbed_topk(s, 6, 1.0, 10, noise).sum())),
            ("noised top-5 B=10 ε=0.2", () => BenchDevice.ForwardBackward(s1k, s => F.noised_topk_loss(s, y1k, 5, 0.2, 10, noise))),
            ("cross_entropy n=100000", () => BenchDevice.ForwardBackward(s1e5, s => nn.functional.cross_entropy(s, y1e5))),
            ("smooth top-5 n=100000", () => BenchDevice.ForwardBackward(s1e5, s => F.smooth_topk_svm_loss(s, y1e5, 5, 1.0, 1.0))),
        };
        var times = cases.Select(_ => new List<double>()).ToArray();
        // n = 1000 and n = 100,000 apart: a 300 ms case evicts caches and remaps memory for the next ones.
        foreach (var group in new[] { (First: 0, End: 8, Rounds: iterations), (First: 8, End: 10, Rounds: Math.Max(3, iterations / 20)) })
        {
            for (int warm = 0; warm < 3; warm++) for (int c = group.First; c < group.End; c++) cases[c].Body();
            for (int i = 0; i < group.Rounds; i++)
                for (int c = group.First; c < group.End; c++)
                {
                    if (Environment.GetEnvironmentVariable("PROBE_CASES") is { } only && !only.Split(',').Contains(c.ToString())) continue;
                    long start = Stopwatch.GetTimestamp();
                    cases[c].Body();
                    times[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
        }
        Console.WriteLine($"{"case",-26} {"min ms",9} {"median ms",10} {"ratio",7}   ({iterations} rounds at n = 1000, {Math.Max(3, iterations / 20)} at n = 100,000; {torch.get_num_threads()} threads)");
        for (int c = 0; c < cases.Length; c++)
        {
            if (times[c].Count == 0) continue;
            var baselineTimes = times[cases[c].Name.EndsWith("n=100000") ? 8 : 0];
            string ratio = baselineTimes.Count == 0 ? "-" : $"{Median(times[c]) / Median(baselineTimes):F2}x";
            Console.WriteLine($"{cases[c].Name,-26} {times[c].Min(),9:F3} {Median(times[c]),10:F3} {ratio,7}");
            if (Environment.GetEnvironmentVariable("PROBE_DEBUG") is not null)
            {
                var sorted = times[c].Order().ToArray();
                Console.WriteLine("   deciles: " + string.Join(" ", Enumerable.Range(0, 11).Select(d => sorted[Math.Min(sorted.Length - 1, d * sorted.Length / 10)].ToString("F2"))));
            }
        }
    }
}
