using System.Diagnostics;
using TopKLoss.Metrics;
using TopKLoss.Noised;
using TopKLoss.SmoothSvm;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.Threading;

/// <summary>
/// The library's tensor-ops paths (the ones that are not the fused CPU kernels), run over and over on
/// one thread while another thread forces garbage collections: each run must equal, bit for bit, the
/// same case run before the collecting thread started. TorchSharp 0.107 does not keep a Scalar it
/// makes from a number alive across the native call that reads it, so before the library held its
/// Scalars (src/TopKLoss/Scalars.cs) every 8-second run failed on a busy 2-core machine (10 of 10:
/// 9 threw "Expected false to be true ... Scalar.h" 2 to 8 times, 1 was aborted by such an exception
/// inside the noised loss's backward; trial versions also saw "Unknown scalar type" and
/// segmentation faults); after, none of 20 failed.
/// Hence a child process (<see cref="ScalarLifetimeTests"/>): a regression can crash it.
/// </summary>
internal static class ScalarStress
{
    public sealed record Result(long Runs, long Wrong, long Threw, long Collections, string? FirstFailure)
    {
        public bool Passed => Wrong == 0 && Threw == 0 && Runs > 0;
        public override string ToString() =>
            $"{Runs} runs, {Wrong} wrong, {Threw} threw, {Collections} collections on the other thread"
            + (FirstFailure is null ? "" : $"; first failure: {FirstFailure}");
    }

    public static Result Run(TimeSpan budget)
    {
        set_num_threads(1); // one native thread per busy thread below, whatever the machine
        var cases = Cases();
        var expected = cases.Select(c => c.Run()).ToArray();
        for (int i = 0; i < cases.Length; i++) // a reference that differs from itself would prove nothing
            if (!Same(expected[i], cases[i].Run())) return new Result(0, 0, 0, 0, $"{cases[i].Name}: not reproducible on one thread");

        long wrong = 0, threw = 0, collections = 0;
        string? first = null;
        bool stop = false;
        var collector = new Thread(() =>
        {
            var keep = new byte[16][];
            for (int i = 0; !Volatile.Read(ref stop); i++)
            {
                keep[i % keep.Length] = new byte[1024]; // allocates, as a busy thread would
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                collections++;
                Thread.SpinWait(5_000); // lets the case thread run between collections (tuned on 2 cores: fails most often)
            }
        }) { IsBackground = true, Name = "collector" };
        // More runnable threads than cores, staying in native code (a matrix product): the scheduler
        // preempts the case thread at arbitrary points, inside native calls too, which is when a
        // collection and the finalizer can run in between; threads in native code need no suspending,
        // so collections stay fast. Without them a failure waits on the machine being busy.
        var busy = Enumerable.Range(0, Environment.ProcessorCount + 2).Select(_ => new Thread(() =>
        {
            using var a = ones(256, 256, dtype: ScalarType.Float64);
            while (!Volatile.Read(ref stop)) { using var product = a.mm(a); }
        }) { IsBackground = true, Name = "busy" }).ToArray();
        collector.Start();
        foreach (var t in busy) t.Start();
        long runs = 0;
        try
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; clock.Elapsed < budget; i = (i + 1) % cases.Length, runs++)
            {
                try
                {
                    if (Same(expected[i], cases[i].Run())) continue;
                    wrong++;
                    first ??= $"{cases[i].Name}: a value differs";
                }
                catch (Exception e)
                {
                    threw++;
                    first ??= $"{cases[i].Name}: {e.GetType().Name}: {e.Message.Split('\n')[0]}";
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
            foreach (var t in busy) t.Join();
        }
        return new Result(runs, wrong, threw, collections, first);
    }

    private static bool Same(double[] a, double[] b) =>
        a.Length == b.Length && a.Zip(b).All(p => BitConverter.DoubleToInt64Bits(p.First) == BitConverter.DoubleToInt64Bits(p.Second));

    private const int Batch = 8, N = 12, Samples = 4;

    private sealed record Case(string Name, Func<double[]> Run);

    /// <summary>Each case in its own dispose scope (as a training step), returning its values and gradients.</summary>
    private static Case[] Cases()
    {
        var gen = new Generator(11);
        double[] scores = Values(randn(Batch, N, dtype: ScalarType.Float64, generator: gen)).Select(v => 2.5 * v).ToArray();
        long[] labels = randint(0, N, new long[] { Batch }, generator: gen).data<long>().ToArray();
        double[] noise = Values(randn(new long[] { Batch, N, Samples }, dtype: ScalarType.Float64, generator: gen));
        long[] counts = Enumerable.Range(0, N).Select(c => 200L / (c + 1)).ToArray();
        // a few rows far apart at the k-th place, so SmoothLoss takes its hard branch there too
        for (int j = 0; j < N; j++) scores[j] = j < 3 ? 40.0 + j : -j;

        Tensor X(bool grad = true) => tensor(scores).reshape(Batch, N).requires_grad_(grad);
        Tensor Y() => tensor(labels);
        Tensor Z() => tensor(noise).reshape(Batch, N, Samples);
        Tensor M() => F.class_margins(counts, 0.5);

        double[] WithGrad(Func<Tensor, Tensor> loss)
        {
            using var scope = NewDisposeScope();
            var x = X();
            var perSample = loss(x);
            perSample.sum().backward();
            return [.. Values(perSample), .. Values(x.grad!)];
        }

        double[] Plain(Func<Tensor> f)
        {
            using var scope = NewDisposeScope();
            return Values(f());
        }

        return
        [
            new("smooth svm, tensor ops", () => WithGrad(x => SmoothSvmOps.SmoothLoss(x, Y(), 3, 0.7, 1.0))),
            new("log σ, tensor ops, k > m", () => Plain(() => SmoothSvmOps.LogEsp(X(false)[.., ..3], 5))),
            new("hard svm", () => WithGrad(x => F.hard_topk_svm_loss(x, Y(), 3, 1.0, nn.Reduction.None))),
            new("noised, given noise", () => WithGrad(x => F.noised_topk_loss(x, Y(), 2, 0.5, Z(), nn.Reduction.None))),
            new("imbalanced noised, given noise", () => WithGrad(x => F.imbalanced_noised_topk_loss(x, Y(), 2, 0.3, M(), 20.0, Z(), nn.Reduction.None))),
            new("perturbed top-k, drawn with tensor ops", () =>
            {
                using var generator = new Generator(5); // held: a Generator, too, is finalized mid-call once unreachable
                return WithGrad(x => PerturbedTopK.Hinge(x, Y(), PerturbedTopK.DrawWithTensorOps(x, 3, 0.5, Samples, generator), M(), 30.0));
            }),
            new("focal", () => WithGrad(x => F.focal_loss(x, Y(), 2.0, nn.Reduction.None))),
            new("ldam", () => WithGrad(x => F.ldam_loss(x, Y(), M(), 30.0, nn.Reduction.None))),
            new("logit adjusted", () => WithGrad(x => F.logit_adjusted_loss(x, Y(), counts, 1.0, nn.Reduction.None))),
            new("label ranks", () => Plain(() => LabelRanks.Of(X(false), Y()).to_type(ScalarType.Float64))),
            new("top-k accuracy", () =>
            {
                using var scope = NewDisposeScope();
                var meter = new TopKAccuracyMeter([1, 3], N);
                meter.Update(X(false), Y());
                var report = meter.Report();
                return [report.Micro(1), report.Micro(3), report.Macro(3)];
            }),
            new("normed linear", () =>
            {
                using var scope = NewDisposeScope();
                manual_seed(3);
                using var layer = TopK.NormedLinear(N, 5, dtype: ScalarType.Float64);
                return Values(layer.call(X(false)));
            }),
        ];
    }

    private static double[] Values(Tensor t) => t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
}
