using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TopKLoss.Kernels;
using static TorchSharp.torch;

namespace TopKLoss.Bench;

/// <summary><c>--components</c>: single-thread costs of the fused kernels and of the noised kernel's parts, batch 256, n = 1000.</summary>
internal static class ComponentProbe
{
    private static double Time(Action body, int repeats = 20)
    {
        body();
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            body();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return best;
    }

    /// <summary>One pack of 8 rows (AVX-512 doubles), n = 1000: the register-resident recursions against the in-memory ones.</summary>
    private static void EspRecursions()
    {
        const int n = 1000;
        var random = new Random(1);
        var lanes = new double[n * 8];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = random.NextDouble();
        var e = MemoryMarshal.Cast<double, Vector512<double>>(lanes).ToArray();
        foreach (int K in new[] { 5, 20 })
        {
            var sigma = new Vector512<double>[K + 1];
            var saved = new Vector512<double>[PackedEsp<Vector512<double>, Lanes512>.CheckpointLength(n, K)];
            var block = new Vector512<double>[PackedEsp<Vector512<double>, Lanes512>.BlockLength(K)];
            var adjoint = new Vector512<double>[K + 1];
            var gradient = new Vector512<double>[n];
            void Forward() { PackedEsp<Vector512<double>, Lanes512>.Start(sigma); PackedEspInRegisters<Vector512<double>, Lanes512>.Continue(e, sigma, saved); }
            void Adjoint() { for (int t = 1; t <= K; t++) adjoint[t] = Vector512.Create(0.1) / sigma[t]; e.CopyTo(gradient, 0); }
            for (int warm = 0; warm < 200; warm++)
            {
                Forward(); Adjoint();
                PackedEspInRegisters<Vector512<double>, Lanes512>.Reverse(gradient, adjoint, saved, block);
                PackedEsp<Vector512<double>, Lanes512>.ForwardInMemory(e, sigma, saved); Adjoint();
                PackedEsp<Vector512<double>, Lanes512>.ReverseInMemory(gradient, adjoint, saved, block);
            }
            double forward = Time(Forward, 200);
            double forwardMemory = Time(() => PackedEsp<Vector512<double>, Lanes512>.ForwardInMemory(e, sigma, saved), 200);
            double reverse = Time(() => { Adjoint(); PackedEspInRegisters<Vector512<double>, Lanes512>.Reverse(gradient, adjoint, saved, block); }, 200);
            double reverseMemory = Time(() => { Adjoint(); PackedEsp<Vector512<double>, Lanes512>.ReverseInMemory(gradient, adjoint, saved, block); }, 200);
            Console.WriteLine($"ESP recursions, K = {K}, one pack of 8 rows x 1000 (min of 200): forward {1000 * forward:F1} µs in registers, {1000 * forwardMemory:F1} µs in memory; reverse {1000 * reverse:F1} µs, {1000 * reverseMemory:F1} µs");
        }
    }

    /// <summary><c>--noised-loop N [ε]</c>: N fused noised forwards on one thread (256 × 1000, B = 10, ε = 1 unless given), to run under a sampling profiler.</summary>
    public static void NoisedLoop(int count, double epsilon)
    {
        CpuRows.MaxDegreeOfParallelism = 1;
        var x = randn(256, 1000, generator: new Generator(1234));
        for (int i = 0; i < count; i++) { using var _ = NewDisposeScope(); FusedNoisedTopK.Apply(x, 6, epsilon, 10, 3, (ulong)i); }
    }

    /// <summary>
    /// <c>--loss-parts N [ε]</c>: where the noised loss's time goes on the default threads, round-robin
    /// in one process (medians): the kernel's forward alone, the loss's forward, forward + backward,
    /// and cross_entropy forward + backward; 256 x 1000, k = 5, B = 10.
    /// </summary>
    public static void LossParts(int count, double epsilon)
    {
        var x = randn(256, 1000, generator: new Generator(1234));
        var y = randint(0, 1000, new long[] { 256 }, generator: new Generator(5));
        var noise = new Generator(99);
        var parts = new (string Name, Action Body)[]
        {
            ("kernel forward (perturbed 6-th)", () => { using var _ = NewDisposeScope(); FusedNoisedTopK.Apply(x, 6, epsilon, 10, 3, 4); }),
            ("noised_topk_loss forward", () => { using var _ = NewDisposeScope(); TopKLoss.TopK.functional.noised_topk_loss(x, y, 5, epsilon, 10, noise); }),
            ("noised_topk_loss forward + backward", () => BenchDevice.ForwardBackward(x, s => TopKLoss.TopK.functional.noised_topk_loss(s, y, 5, epsilon, 10, noise))),
            ("cross_entropy forward + backward", () => BenchDevice.ForwardBackward(x, s => nn.functional.cross_entropy(s, y))),
            ("kernel forward + backward", () => BenchDevice.ForwardBackward(x, s => FusedNoisedTopK.Apply(s, 6, epsilon, 10, 3, 4).sum())),
            ("zeros(256, 1000)", () => { using var _ = NewDisposeScope(); zeros(256, 1000); }),
            ("relu forward + backward", () => BenchDevice.ForwardBackward(x, s => nn.functional.relu(s).sum())),
        };
        var times = parts.Select(_ => new List<double>()).ToArray();
        for (int i = 0; i < count + 20; i++)
            for (int p = 0; p < parts.Length; p++)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                parts[p].Body();
                if (i >= 20) times[p].Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        for (int p = 0; p < parts.Length; p++)
            Console.WriteLine($"{parts[p].Name,-38} median {times[p].Order().ElementAt(count / 2):F3} ms, min {times[p].Min():F3} ms");
    }

    /// <summary>
    /// <c>--kernel-min N</c>: the least time of N calls of the noised kernel's forward (k = 6, B = 10,
    /// 256 rows) at ε = 1 and 0.2. Short enough to alternate two builds (e.g. a <c>git worktree</c> of
    /// an older commit). Environment: KN = n (1000), KT = kernel threads (1), KD=f64 for float64.
    /// </summary>
    public static void KernelMin(int calls)
    {
        CpuRows.MaxDegreeOfParallelism = int.Parse(Environment.GetEnvironmentVariable("KT") ?? "1");
        int n = int.Parse(Environment.GetEnvironmentVariable("KN") ?? "1000");
        var dtype = Environment.GetEnvironmentVariable("KD") == "f64" ? ScalarType.Float64 : ScalarType.Float32;
        var x = randn(256, n, generator: new Generator(1234)).to_type(dtype);
        foreach (double epsilon in new[] { 1.0, 0.2 })
        {
            double best = double.MaxValue;
            for (int i = 0; i < calls; i++)
            {
                using var _ = NewDisposeScope();
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                FusedNoisedTopK.Apply(x, 6, epsilon, 10, 3, (ulong)i);
                best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            Console.Write($"eps {epsilon}: {best:F3} ms  ");
        }
        Console.WriteLine();
    }

    public static void Run()
    {
        CpuRows.MaxDegreeOfParallelism = 1;
        EspRecursions();
        {
            var data = randn(256, 1000, generator: new Generator(77));
            nint ptr = CpuRows.Pointer(data);
            foreach (int q in new[] { 6, 21 })
            {
                var values = new double[q]; var indices = new int[q];
                for (int warm = 0; warm < 200; warm++) for (int r = 0; r < 256; r++) CpuRows.ScanTop(ptr, true, r, 1000, values, indices);
                double scan = Time(() => { for (int r = 0; r < 256; r++) CpuRows.ScanTop(ptr, true, r, 1000, values, indices); });
                Console.WriteLine($"RowTop.Scan top-{q} of 256 x 1000: {scan:F3} ms");
            }
        }
        {
            var scores = randn(256, 1000, generator: new Generator(1234));
            var labels = randint(0, 1000, new long[] { 256 }, generator: new Generator(5));
            foreach (int k in new[] { 5, 20 })
            {
                for (int i = 0; i < 40; i++) BenchDevice.ForwardBackward(scores, s => TopKLoss.TopK.functional.smooth_topk_svm_loss(s, labels, k, 1.0, 1.0));
                double forward = Time(() => { using var _ = NewDisposeScope(); TopKLoss.TopK.functional.smooth_topk_svm_loss(scores, labels, k, 1.0, 1.0); });
                double both = Time(() => BenchDevice.ForwardBackward(scores, s => TopKLoss.TopK.functional.smooth_topk_svm_loss(s, labels, k, 1.0, 1.0)));
                Console.WriteLine($"smooth top-{k} SVM, 1 thread, 256 x 1000 (min of 20): forward {forward:F3} ms, forward + backward {both:F3} ms");
            }
        }
        var noise = new NoiseStream(1, 2);
        const int rows = 256, groups = 8, samples = 10; // 8 groups of 16 coarse blocks = 1024 columns
        uint sink = 0;
        double philox = Time(() =>
        {
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < samples; q++)
                    for (int g = 0; g < groups; g++)
                    {
                        var w = noise.Coarse(r, q, NoiseStream.Consecutive(16 * g));
                        sink ^= (w.W0 ^ w.W1 ^ w.W2 ^ w.W3).ToScalar();
                    }
        });
        double philoxPairs = Time(() =>
        {
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < samples; q += 2)
                    for (int g = 0; g < groups; g++)
                    {
                        noise.CoarsePair(r, q, q + 1, NoiseStream.Consecutive(16 * g), out var a, out var c);
                        sink ^= (a.W0 ^ a.W1 ^ a.W2 ^ a.W3 ^ c.W0 ^ c.W1 ^ c.W2 ^ c.W3).ToScalar();
                    }
        });
        var thresholds = Vector512.Create((ushort)0xFFF0);
        ulong hits = 0;
        double compare = Time(() =>
        {
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < samples; q += 2)
                    for (int g = 0; g < groups; g++)
                    {
                        noise.CoarsePair(r, q, q + 1, NoiseStream.Consecutive(16 * g), out var a, out var c);
                        for (int m = 0; m < 4; m++)
                            hits += Vector512.GreaterThanOrEqual(a[m].AsUInt16(), thresholds).ExtractMostSignificantBits()
                                | Vector512.GreaterThanOrEqual(c[m].AsUInt16(), thresholds).ExtractMostSignificantBits();
                    }
        });
        var normals = new float[1024];
        double full = Time(() =>
        {
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < samples; q++)
                    noise.FillSample<float>(r, q, 1000, normals);
        });
        var x = randn(rows, 1000, generator: new Generator(1234));
        for (int i = 0; i < 40; i++) { using var _ = NewDisposeScope(); FusedNoisedTopK.Apply(x, 6, 1.0, samples, 3, 4); } // tier-1 JIT
        double kernel = Time(() => { using var _ = NewDisposeScope(); FusedNoisedTopK.Apply(x, 6, 1.0, samples, 3, 4); });
        double narrow = Time(() => { using var _ = NewDisposeScope(); FusedNoisedTopK.Apply(x, 6, 0.2, samples, 3, 4); });
        CpuRows.MaxDegreeOfParallelism = Environment.ProcessorCount;
        double parallel = Time(() => { using var _ = NewDisposeScope(); FusedNoisedTopK.Apply(x, 6, 1.0, samples, 3, 4); });
        double parallelNarrow = Time(() => { using var _ = NewDisposeScope(); FusedNoisedTopK.Apply(x, 6, 0.2, samples, 3, 4); });
        Console.WriteLine($"fused forward ε = 0.2: {narrow:F3} ms; on {Environment.ProcessorCount} threads: ε = 1 {parallel:F3} ms, ε = 0.2 {parallelNarrow:F3} ms");
        Console.WriteLine($"1 thread, 256 rows x 1000 columns x B = 10 (min of 20): coarse Philox alone {philox:F3} ms (two samples interleaved, as the kernel draws: {philoxPairs:F3} ms), coarse Philox + bucket compares {compare:F3} ms, every normal drawn (coarse + fine + Φ⁻¹) {full:F3} ms, fused forward ε = 1 {kernel:F3} ms ({sink ^ (uint)hits})");
    }
}
