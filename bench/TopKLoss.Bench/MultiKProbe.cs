using TopKLoss.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using F = TopKLoss.TopK.functional;

using static TopKLoss.Bench.Timing;

namespace TopKLoss.Bench;

/// <summary>
/// <c>--multik [rounds]</c>: the multi-k mixture {1: 0.5, 5: 0.5} against its members, forward +
/// backward, batch 256, float32, n = 100, 1000, 10,000, all taken in this one process:
/// <list type="bullet">
/// <item>the median of the mixture's first 20 calls (its first code from the JIT; after
/// cross_entropy has warmed TorchSharp, before any other loss of ours has run);</item>
/// <item>steady-state medians, round-robin (one call of each case in turn, so that drift of a
/// shared machine hits every case alike): each member alone, the two members' calls added in one
/// expression, the mixture, the mixture with every exponential an exp (<c>PackLayout.Powers</c> off:
/// what reading the scores once gives without e_1 = e_5^5), and cross_entropy. "vs members" is the
/// mixture over the sum of the two members' medians: the issue's bound is ≤ 1.</item>
/// </list>
/// </summary>
internal static class MultiKProbe
{
    private const int FirstCalls = 20;

    public static void Run(int rounds)
    {
        Console.WriteLine($"kernel width: {VectorWidths.Native}; {torch.get_num_threads()} torch threads, {CpuRows.MaxDegreeOfParallelism} kernel threads; {rounds} rounds");
        Console.WriteLine($"{"n",7} {"top-1 ms",9} {"top-5 ms",9} {"two calls",10} {"mixture",9} {"no powers",10} {"CE",7} {"vs members",11} {"vs two calls",13} {"no powers vs members",21} {"first 20",9} {"first/steady",13}");
        bool first = true;
        foreach (int n in new[] { 1000, 100, 10_000 })
        {
            var (scores, labels) = BenchDevice.Inputs(n);
            var cases = new Action[]
            {
                () => BenchDevice.ForwardBackward(scores, s => F.smooth_topk_svm_loss(s, labels, 1, 1.0, 1.0)),
                () => BenchDevice.ForwardBackward(scores, s => F.smooth_topk_svm_loss(s, labels, 5, 1.0, 1.0)),
                () => BenchDevice.ForwardBackward(scores, s =>
                    0.5 * F.smooth_topk_svm_loss(s, labels, 1, 1.0, 1.0) + 0.5 * F.smooth_topk_svm_loss(s, labels, 5, 1.0, 1.0)),
                () => BenchDevice.ForwardBackward(scores, s => F.multik_smooth_topk_svm_loss(s, labels, [1, 5], [0.5, 0.5], 1.0, 1.0)),
                () => BenchDevice.ForwardBackward(scores, s => nn.functional.cross_entropy(s, labels)),
                () =>
                {
                    PackLayout.Powers = false;
                    try { BenchDevice.ForwardBackward(scores, s => F.multik_smooth_topk_svm_loss(s, labels, [1, 5], [0.5, 0.5], 1.0, 1.0)); }
                    finally { PackLayout.Powers = true; }
                },
            };
            double firstCalls = double.NaN;
            if (first)
            {
                for (int i = 0; i < FirstCalls; i++) cases[4](); // TorchSharp's own first calls, not ours
                firstCalls = Median(Enumerable.Range(0, FirstCalls).Select(_ => Time(cases[3])).ToList());
                first = false;
            }
            int count = n >= 10_000 ? Math.Max(5, rounds / 10) : rounds;
            for (int warm = 0; warm < 30; warm++) foreach (var c in cases) c(); // past tier-0 and OSR
            var times = cases.Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < count; r++)
                for (int c = 0; c < cases.Length; c++) times[c].Add(Time(cases[c]));
            var m = times.Select(Median).ToArray();
            string firstText = double.IsNaN(firstCalls) ? "" : $"{firstCalls:F3}";
            string ratio = double.IsNaN(firstCalls) ? "" : $"{firstCalls / m[3]:F2}x";
            Console.WriteLine($"{n,7} {m[0],9:F3} {m[1],9:F3} {m[2],10:F3} {m[3],9:F3} {m[5],10:F3} {m[4],7:F3} {m[3] / (m[0] + m[1]),10:F2}x {m[3] / m[2],12:F2}x {m[5] / (m[0] + m[1]),20:F2}x {firstText,9} {ratio,13}");
        }
    }
}
