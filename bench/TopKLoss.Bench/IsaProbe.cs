using System.Runtime.Intrinsics;
using TopKLoss.Kernels;
using TopKLoss.Noised;
using TopKLoss.SmoothSvm;
using TorchSharp;
using static TorchSharp.torch;
using F = TopKLoss.TopK.functional;

using static TopKLoss.Bench.Timing;

namespace TopKLoss.Bench;

/// <summary>
/// <c>--isa [rounds]</c>: the per-ISA table of docs/benchmarks.md for this process's instruction
/// sets (run it once per DOTNET_Enable* switch). Batch 256, n = 1000, forward + backward, on the
/// default threads. Prints, all taken in this one process:
/// <list type="bullet">
/// <item>the medians of the first 20 calls of each fused loss (the JIT's first code), each loss's
/// very first calls in the process, after cross_entropy has warmed TorchSharp;</item>
/// <item>steady-state medians, round-robin (one call of each case in turn) so that drift of a shared
/// machine hits every case alike, with the ratio to cross_entropy and to the tensor-ops path.</item>
/// </list>
/// </summary>
internal static class IsaProbe
{
    private const int FirstCalls = 20;

    public static void Run(int rounds)
    {
        var (scores, labels) = BenchDevice.Inputs(1000);
        var noise = new Generator(99);
        var cases = new (string Name, Action Body)[]
        {
            ("cross_entropy", () => BenchDevice.ForwardBackward(scores, s => nn.functional.cross_entropy(s, labels))),
            ("smooth top-5, fused", () => BenchDevice.ForwardBackward(scores, s => F.smooth_topk_svm_loss(s, labels, 5, 1.0, 1.0))),
            ("noised top-5 B=10, fused", () => BenchDevice.ForwardBackward(scores, s => F.noised_topk_loss(s, labels, 5, 1.0, 10, noise))),
            ("smooth top-5, tensor ops", () => BenchDevice.ForwardBackward(scores, s => SmoothSvmOps.SmoothLoss(s, labels, 5, 1.0, 1.0).mean())),
            ("noised top-5 B=10, tensor ops", () => BenchDevice.ForwardBackward(scores, s =>
                PerturbedTopK.Hinge(s, labels, PerturbedTopK.DrawWithTensorOps(s, 6, 1.0, 10, noise)).mean())),
        };
        string widths = $"{VectorWidths.Native} (Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, " +
            $"Vector128 {Vector128.IsHardwareAccelerated}, FMA {System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported})";
        Console.WriteLine($"kernel width: {widths}; {torch.get_num_threads()} torch threads, {CpuRows.MaxDegreeOfParallelism} kernel threads");

        for (int i = 0; i < FirstCalls; i++) cases[0].Body(); // TorchSharp's own first calls, not ours
        var first = new double[3];
        for (int c = 1; c <= 2; c++) first[c] = Median(Enumerable.Range(0, FirstCalls).Select(_ => Time(cases[c].Body)).ToList());

        for (int warm = 0; warm < 30; warm++) foreach (var c in cases) c.Body(); // past tier-0 and OSR
        var times = cases.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int c = 0; c < cases.Length; c++) times[c].Add(Time(cases[c].Body));
        var median = times.Select(Median).ToArray();

        Console.WriteLine($"{"case",-30} {"median ms",10} {"vs CE",7} {"vs ops",7} {"first 20",9} {"first/steady",13}   ({rounds} rounds)");
        for (int c = 0; c < cases.Length; c++)
        {
            string vsOps = c is 1 or 2 ? $"{median[c] / median[c + 2]:F2}x" : "";
            string firstCalls = c is 1 or 2 ? $"{first[c]:F3}" : "";
            string ratio = c is 1 or 2 ? $"{first[c] / median[c]:F2}x" : "";
            Console.WriteLine($"{cases[c].Name,-30} {median[c],10:F3} {median[c] / median[0],6:F2}x {vsOps,7} {firstCalls,9} {ratio,13}");
        }
    }
}
