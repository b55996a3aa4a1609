using System.Diagnostics;
using TopKLoss.Noised;
using TorchSharp;
using static TorchSharp.torch;
namespace TopKLoss.Bench;
/// <summary>
/// <c>--hinge</c>: the noised loss's hinge fused into the kernel against the same hinge as tensor ops
/// after the kernel (same draws), with cross_entropy and the whole loss, round-robin in one process;
/// forward + backward, batch 256, ε = 1, B = 10, n ∈ {100, 1000}; min and median of 300.
/// </summary>
internal static class HingeProbe
{
    public static void Run()
    {
        foreach (int n in new[] { 100, 1000 })
        {
            var g = new Generator(1234);
            var s = randn(256, n, generator: g); var y = randint(0, n, new long[] { 256 }, generator: g);
            var noise = new Generator(99);
            var cases = new (string, Action)[] {
                ("ce", () => BenchDevice.ForwardBackward(s, t => nn.functional.cross_entropy(t, y))),
                ("fused hinge", () => BenchDevice.ForwardBackward(s, t => PerturbedTopK.DrawHinge(t, y, 6, 1.0, 10, noise).mean())),
                ("tensor hinge", () => BenchDevice.ForwardBackward(s, t => PerturbedTopK.Hinge(t, y, PerturbedTopK.DrawPerturbedTopK(t, 6, 1.0, 10, noise)).mean())),
                ("loss", () => BenchDevice.ForwardBackward(s, t => TopK.functional.noised_topk_loss(t, y, 5, 1.0, 10, noise))),
            };
            var times = cases.Select(_ => new List<double>()).ToArray();
            for (int i = 0; i < 330; i++)
                for (int c = 0; c < cases.Length; c++)
                {
                    long t0 = Stopwatch.GetTimestamp(); cases[c].Item2();
                    if (i >= 30) times[c].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            for (int c = 0; c < cases.Length; c++) { var t = times[c].Order().ToArray(); Console.WriteLine($"n {n} {cases[c].Item1,-14} min {t[0]:F3} median {t[t.Length / 2]:F3}"); }
        }
    }
}
