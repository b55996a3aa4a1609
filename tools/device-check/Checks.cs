using System.Text.Json;
using TopKLoss.Cuda;
using TopKLoss.Noised;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.DeviceCheck;

/// <summary>
/// Every CUDA kernel on tiny and edge shapes and on the papers' reference vectors, against the CPU
/// float64 kernels in the same process; then autograd through TorchSharp on CUDA without explicit
/// syncs. Each check is one PASS/FAIL line with its worst error.
/// </summary>
internal static class Checks
{
    /// <summary>
    /// The checks on <paramref name="device"/> (CUDA on the GPU machine; the tests run them on CPU tensors
    /// through the kernels' emulation, <paramref name="quick"/> leaving out the n = 100,000 shapes).
    /// </summary>
    public static List<(string Name, bool Pass, string Detail)> Run(Device device, string? referenceDir, bool quick = false)
    {
        var results = new List<(string, bool, string)>();
        void Check(string name, Func<(bool, string)> body)
        {
            try { var (pass, detail) = body(); results.Add((name, pass, detail)); }
            catch (Exception e) { results.Add((name, false, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}")); }
        }

        Check("load PTX", () => CudaKernels.For(zeros(1, device: device)) is { } l ? (true, l.Description) : (false, CudaKernels.LastFallback ?? "no launcher"));
        foreach (var dtype in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            double rel = dtype == ScalarType.Float64 ? 1e-12 : 1e-5;
            foreach (var (n, k) in new[] { (2, 1), (7, 3), (9, 8), (1000, 5), (1000, 20), (100_000, 5) }.Where(c => !quick || c.Item1 < 10_000))
                Check($"svm {dtype} n={n} k={k}", () => CompareSvm(Random(4, n, dtype), device, k, 1.0, 1.0, rel));
            Check($"svm {dtype} edge rows", () => CompareSvm(EdgeRows(dtype), device, 3, 1.0, 1.0, rel));
            Check($"svm {dtype} log-space rows", () => CompareSvm(EdgeRows(dtype), device, 5, 0.05, 1.0, dtype == ScalarType.Float64 ? 1e-11 : 1e-5));
            foreach (var (m, K) in new[] { (1, 1), (3, 5), (300, 12), (10_000, 6) }.Where(c => !quick || c.Item1 < 10_000))
                Check($"log_esp {dtype} m={m} K={K}", () => CompareLogEsp(Random(3, m, dtype), device, K, rel));
            Check($"log_esp {dtype} edge rows", () => CompareLogEsp(EdgeRows(dtype), device, 4, rel));
            foreach (var (n, k, eps, b) in new[] { (7, 1, 1.0, 3), (1000, 6, 1.0, 10), (100_000, 6, 1.0, 10), (300, 21, 0.5, 4), (1000, 6, 0.0, 3) }.Where(c => !quick || c.Item1 < 10_000))
                Check($"noised {dtype} n={n} k={k} ε={eps} B={b}", () => CompareNoised(Random(4, n, dtype), device, k, eps, b));
            Check($"noised {dtype} edge rows", () => CompareNoised(EdgeRows(dtype), device, 2, 1.0, 3));
            Check($"noised loss {dtype}", () => CompareNoisedLoss(Random(8, 100, dtype), device));
        }
        if (referenceDir is not null)
        {
            Check("reference smooth_svm.json", () => ReferenceSvm(Path.Combine(referenceDir, "smooth_svm.json"), device));
            Check("reference esp.json", () => ReferenceEsp(Path.Combine(referenceDir, "esp.json"), device));
        }
        Check("autograd training loop, no explicit syncs", () => TrainingLoop(device, quick ? 5 : 30));
        return results;
    }

    private static Tensor Random(int rows, int n, ScalarType dtype) =>
        (randn(rows, n, dtype: ScalarType.Float64, generator: new Generator((ulong)(rows * 7919 + n))) * 3).to_type(dtype);

    private static Tensor EdgeRows(ScalarType dtype)
    {
        double inf = double.PositiveInfinity;
        double[][] rows =
        [
            [50, 40, 30, 0.1, 0.2, 0.3, 0.0, -1, 2, 1], [100, 60, 30, 10, 5, 4.5, -5, 3, -2, 1],
            [1, 2, inf, 0, 1, 2, 3, 4, 5, 6], [1, 2, 3, -inf, 1, 2, 3, 4, 5, 6], [1, 2, 3, double.NaN, 1, 2, 3, 4, 5, 6],
            [3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
        ];
        return tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, 10 }).to_type(dtype);
    }

    /// <summary>The CPU kernels' result: outside the tests' emulation routing (a no-op on the GPU machine, where there is none).</summary>
    private static T OnCpuKernels<T>(Func<T> body)
    {
        var routed = CudaKernels.Emulation;
        CudaKernels.Emulation = null;
        try { return body(); }
        finally { CudaKernels.Emulation = routed; }
    }

    /// <summary>(value, gradient) of f with upstream weights 0.5..1.5, on the tensor's device, returned on CPU as float64.</summary>
    private static (double[] Value, double[] Grad) Grad(Tensor x, Func<Tensor, Tensor> f)
    {
        using var scope = NewDisposeScope();
        var input = x.detach().clone().requires_grad_();
        var value = f(input);
        var weights = linspace(0.5, 1.5, value.numel(), dtype: value.dtype, device: value.device).reshape(value.shape);
        (value * weights).sum().backward();
        return (Host(value), Host(input.grad!));
    }

    private static double[] Host(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>Worst |a − e| / max(|e|, max|e| of the tensor·1e-3); NaN must match NaN.</summary>
    private static (bool, string) Within(double[] expected, double[] actual, double rel, string what)
    {
        double max = expected.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max(), worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (!double.IsFinite(expected[i])) { if (!expected[i].Equals(actual[i])) return (false, $"{what}[{i}]: {actual[i]} for {expected[i]}"); continue; }
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), 1e-3 * max + 1e-300));
        }
        return (worst <= rel, $"{what} worst rel {worst:E2}");
    }

    private static (bool, string) Both((bool, string) a, (bool, string) b) => (a.Item1 && b.Item1, $"{a.Item2}; {b.Item2}");

    private static (bool, string) CompareSvm(Tensor x, Device device, int k, double tau, double alpha, double rel)
    {
        var y = arange(x.shape[0], dtype: ScalarType.Int64) % x.shape[1];
        Func<Tensor, Tensor> f = s => TopK.functional.smooth_topk_svm_loss(s, y.to(s.device), k, tau, alpha, nn.Reduction.None);
        var cpu = OnCpuKernels(() => Grad(x, f));
        var gpu = Grad(x.to(device), f);
        return Both(Within(cpu.Value, gpu.Value, rel, "loss"), Within(cpu.Grad, gpu.Grad, rel, "grad"));
    }

    private static (bool, string) CompareLogEsp(Tensor x, Device device, int K, double rel)
    {
        Func<Tensor, Tensor> f = t => TopK.functional.log_esp(t, K);
        var cpu = OnCpuKernels(() => Grad(x, f));
        var gpu = Grad(x.to(device), f);
        return Both(Within(cpu.Value, gpu.Value, rel, "log σ"), Within(cpu.Grad, gpu.Grad, rel, "grad"));
    }

    /// <summary>The same key on both sides (one CPU generator), so the same draws: equal one-hot gradients (the indices).</summary>
    private static (bool, string) CompareNoised(Tensor x, Device device, int k, double eps, int samples)
    {
        var key = randint(0, long.MaxValue, new long[] { 2 }, dtype: ScalarType.Int64, generator: new Generator(5));
        var (seed, stream) = ((ulong)key[0].item<long>(), (ulong)key[1].item<long>());
        var cpu = OnCpuKernels(() => Grad(x, t => Kernels.FusedNoisedTopK.Apply(t, k, eps, samples, seed, stream)));
        var onDevice = x.to(device);
        var launcher = CudaKernels.For(onDevice) ?? throw new InvalidOperationException("no kernels");
        var gpu = Grad(onDevice, t => CudaNoisedTopK.TryApply(launcher, t, k, eps, samples, key.to(device))!);
        int same = cpu.Grad.Zip(gpu.Grad).Count(p => p.First.Equals(p.Second));
        var values = Within(cpu.Value, gpu.Value, 1e-15, "value");
        return (same == cpu.Grad.Length && values.Item1, $"{values.Item2}; gradient entries equal {same}/{cpu.Grad.Length}");
    }

    /// <summary>Both noised losses end to end on CUDA: finite, and their gradients sum as a one-hot mean minus the label's share.</summary>
    private static (bool, string) CompareNoisedLoss(Tensor x, Device device)
    {
        var y = arange(x.shape[0], dtype: ScalarType.Int64).to(device);
        var margins = linspace(0.05, 0.3, x.shape[1], dtype: ScalarType.Float64).to(device);
        var a = Grad(x.to(device), s => TopK.functional.noised_topk_loss(s, y, 5, 1.0, 10, null, nn.Reduction.None));
        var b = Grad(x.to(device), s => TopK.functional.imbalanced_noised_topk_loss(s, y, 5, 0.01, margins, 50.0, 10, null, nn.Reduction.None));
        bool finite = a.Value.Concat(b.Value).Concat(a.Grad).Concat(b.Grad).All(double.IsFinite);
        return (finite && Math.Abs(a.Grad.Sum()) < 1e-5, $"finite {finite}, Σ grad {a.Grad.Sum():E2}");
    }

    private static (bool, string) ReferenceSvm(string path, Device device)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        double worstLoss = 0, worstGrad = 0;
        int count = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("kind").GetString() != "smooth_topk" || c.GetProperty("dtype").GetString() != "float64") continue;
            var x = Matrix(c.GetProperty("x")).to(device);
            var y = tensor(c.GetProperty("y").EnumerateArray().Select(v => v.GetInt64()).ToArray()).to(device);
            int k = c.GetProperty("k").GetInt32();
            double tau = c.GetProperty("tau").GetDouble(), alpha = c.GetProperty("alpha").GetDouble();
            var (loss, grad) = GradMean(x, s => TopK.functional.smooth_topk_svm_loss(s, y, k, tau, alpha));
            double expected = c.GetProperty("loss").GetDouble();
            var exact = Flat(c.GetProperty("grad_exact"));
            worstLoss = Math.Max(worstLoss, Math.Abs(loss - expected) / Math.Abs(expected));
            double max = exact.Max(Math.Abs);
            worstGrad = Math.Max(worstGrad, exact.Zip(grad).Max(p => Math.Abs(p.First - p.Second)) / max);
            count++;
        }
        return (count > 0 && worstLoss <= 1e-9 && worstGrad <= 1e-9, $"{count} float64 cases: loss rel {worstLoss:E2}, grad {worstGrad:E2}·max");
    }

    private static (bool, string) ReferenceEsp(string path, Device device)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        double worst = 0;
        int count = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var x = Matrix(c.GetProperty("x")).to(device);
            int k = c.GetProperty("k").GetInt32();
            var logs = Host(TopK.functional.log_esp(x, k));
            var km1 = Flat(c.GetProperty("log_sigma_km1"));
            var kk = Flat(c.GetProperty("log_sigma_k"));
            for (int r = 0; r < km1.Length; r++)
            {
                worst = Math.Max(worst, Math.Abs(logs[r * (k + 1) + k - 1] - km1[r]) / Math.Max(Math.Abs(km1[r]), 1e-300));
                worst = Math.Max(worst, Math.Abs(logs[r * (k + 1) + k] - kk[r]) / Math.Max(Math.Abs(kk[r]), 1e-300));
            }
            count++;
        }
        return (count > 0 && worst <= 1e-9, $"{count} cases: log σ rel {worst:E2}");
    }

    private static (double Loss, double[] Grad) GradMean(Tensor x, Func<Tensor, Tensor> f)
    {
        var input = x.detach().clone().requires_grad_();
        var loss = f(input);
        loss.backward();
        return (loss.cpu().item<double>(), Host(input.grad!));
    }

    private static Tensor Matrix(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        return tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });
    }

    private static double[] Flat(JsonElement e) => e.ValueKind == JsonValueKind.Array && e[0].ValueKind == JsonValueKind.Array
        ? e.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray()
        : e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>A linear model trained by SGD on the smooth SVM and the noised loss, the losses read only at the end.</summary>
    private static (bool, string) TrainingLoop(Device device, int steps)
    {
        var gen = new Generator(3);
        var inputs = randn(256, 64, generator: gen).to(device);
        var labels = (inputs[.., ..10].argmax(1)).to(device);
        var model = nn.Linear(64, 100).to(device);
        var optimizer = optim.SGD(model.parameters(), 0.5);
        var losses = new List<Tensor>();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var scores = model.call(inputs);
            var loss = TopK.functional.smooth_topk_svm_loss(scores, labels, 5, 1.0, 1.0)
                + TopK.functional.noised_topk_loss(scores, labels, 5, 1.0, 5);
            loss.backward();
            optimizer.step();
            losses.Add(loss.detach().MoveToOuterDisposeScope());
        }
        double first = losses[0].cpu().item<float>(), last = losses[^1].cpu().item<float>();
        return (double.IsFinite(last) && last < first, $"loss {first:F4} → {last:F4}");
    }
}
