using System.Diagnostics;
using TopKLoss.Cli.Data;
using TopKLoss.Cli.Models;
using TopKLoss.Cli.Reporting;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Training;

/// <summary>
/// Trains one model with SGD (momentum, Nesterov, weight decay) and a multi-step learning rate,
/// validates after every epoch, keeps the best epoch's weights by validation top-k or macro
/// top-k (early stopping as model selection), checkpoints every epoch, and finally evaluates the
/// best model on the test split.
/// </summary>
/// <remarks>
/// <paramref name="interrupt"/> is checked after every step and evaluation batch: the run then
/// stops with a <see cref="Commands.RunInterruptedException"/>, its last checkpoint intact.
/// </remarks>
public sealed class Trainer(TrainSettings settings, DataBundle data, string runDirectory, ITrainingProgress progress,
    TensorBoardLog? tensorBoard = null, CancellationToken interrupt = default)
{
    private readonly DivergenceGuard divergence = new(settings);

    /// <summary>The ks every evaluation reports: 1, 2, 3, 5, 10 and the run's k, below the class count.</summary>
    public static int[] ReportedKs(int k, int classCount) =>
        new[] { 1, 2, 3, 5, 10, k }.Where(x => x < classCount || x == 1).Distinct().Order().ToArray();

    public TrainResult Run(bool resume)
    {
        var clock = Stopwatch.StartNew();
        var device = DeviceChoice.Resolve(settings.Device);
        int classCount = data.Train.ClassCount;
        int k = settings.LossOptions.K;
        CpuThreads.Apply(settings.Threads, settings.Model);
        torch.manual_seed(settings.Seed);
        using var model = ModelFactory.Create(settings.Model, data.Train.SampleShape, classCount, settings.UsesNormedHead);
        if (settings.InitWeights is { } init) Checkpoint.LoadModel(init, model);
        model.to(device);
        using var generator = new Generator((ulong)settings.Seed, device);
        using var criterion = LossRegistry.Create(settings.Loss, new LossContext(settings.LossOptions, data.TrainClassCounts, generator));
        using var optimizer = optim.SGD(model.parameters(), settings.LearningRate, settings.Momentum, 0.0, settings.WeightDecay, settings.Nesterov);
        var scheduler = optim.lr_scheduler.MultiStepLR(optimizer, settings.Milestones, settings.LearningRateGamma);

        var state = new TrainingState(0, -1, 0, []);
        if (resume)
        {
            state = Checkpoint.Load(runDirectory, model, optimizer, generator);
            for (int e = 0; e < state.EpochsDone; e++) scheduler.step();   // the schedule is a pure function of the epoch
        }

        var parameters = model.named_parameters().ToList();
        var train = new BatchLoader(data.Train, settings.BatchSize, shuffle: true, augment: true, settings.Seed);
        progress.RunStarted($"{settings.Loss} · {settings.Model} · seed {settings.Seed}", settings.Epochs, train.BatchCount);
        for (int epoch = state.EpochsDone; epoch < settings.Epochs; epoch++)
        {
            double lr = optimizer.ParamGroups.First().LearningRate;
            var (trainLoss, trainTop1, samplesPerSecond) = TrainEpoch(model, criterion, optimizer, train, epoch, device);
            divergence.CheckParameters(parameters, epoch + 1);
            scheduler.step();
            var validation = Evaluate(model, data.Validation, [k], device, interrupt: Interrupt(epoch + 1));
            double metric = settings.EarlyStop == EarlyStopMetric.TopK ? validation.MicroAt(k) : validation.MacroAt(k);
            bool isBest = metric > state.BestMetric;
            if (isBest)
            {
                Checkpoint.SaveBestModel(runDirectory, model);
                state = state with { BestMetric = metric, BestEpoch = epoch + 1 };
            }
            var record = new EpochRecord(epoch + 1, lr, trainLoss, trainTop1, validation.MicroAt(k), validation.MacroAt(k), samplesPerSecond);
            state.History.Add(record);
            state = state with { EpochsDone = epoch + 1 };
            Checkpoint.Save(runDirectory, state, model, optimizer, generator);
            tensorBoard?.Epoch(record, k);
            progress.EpochDone(record, isBest);
        }

        string best = Path.Combine(runDirectory, Checkpoint.BestModelFileName);
        if (File.Exists(best)) Checkpoint.LoadModel(best, model);
        var test = Evaluate(model, data.Test, ReportedKs(k, classCount), device, interrupt: Interrupt(settings.Epochs));
        return new TrainResult(test, state.History, state.BestEpoch, state.BestMetric, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Throws once an interruption was requested (for evaluations, which have no step to name).</summary>
    private Action Interrupt(int epoch) => () =>
    {
        if (interrupt.IsCancellationRequested) throw new Commands.RunInterruptedException(epoch, 0);
    };

    private (double Loss, double Top1, double SamplesPerSecond) TrainEpoch(nn.Module<Tensor, Tensor> model,
        nn.Module<Tensor, Tensor, Tensor> criterion, optim.Optimizer optimizer, BatchLoader batches, int epoch, Device device)
    {
        model.train();
        double lossSum = 0;
        long correct = 0, seen = 0;
        var clock = Stopwatch.StartNew();
        foreach (var batch in Synchronous(batches, epoch))
        {
            using var scope = NewDisposeScope();
            var (x, y) = (batch.InputTensor(device), batch.LabelTensor(device));
            optimizer.zero_grad();
            var scores = model.call(x);
            var loss = criterion.call(scores, y);
            loss.backward();
            float value = loss.item<float>();
            divergence.Check(value, epoch + 1, batch.Index + 1);
            optimizer.step();
            long n = y.shape[0];
            lossSum += value * n;
            correct += scores.argmax(1).eq(y).sum().item<long>();
            seen += n;
            double rate = seen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            progress.Batch(epoch + 1, batch.Index + 1, lossSum / seen, (double)correct / seen, rate);
            if (interrupt.IsCancellationRequested) throw new Commands.RunInterruptedException(epoch + 1, batch.Index + 1);
        }
        return (lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1), seen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
    }

    /// <summary>Top-k metrics of <paramref name="model"/> on <paramref name="dataset"/> (eval mode, no gradients, no augmentation).</summary>
    public static MetricsReport Evaluate(nn.Module<Tensor, Tensor> model, IDataset dataset, int[] ks, Device device, int batchSize = 256,
        Action? interrupt = null)
    {
        model.eval();
        using var noGrad = no_grad();
        var meter = new EvalMeter(ks, dataset.ClassCount);
        foreach (var batch in Synchronous(new BatchLoader(dataset, batchSize, shuffle: false, augment: false, seed: 0), 0))
        {
            using var scope = NewDisposeScope();
            meter.Add(model.call(batch.InputTensor(device)), batch.LabelTensor(device));
            interrupt?.Invoke();
        }
        return meter.Report();
    }

    /// <summary>
    /// The batches of an epoch, loaded on this thread (an image folder still decodes each batch in
    /// parallel). Not BatchLoader.Epoch's background prefetch: the library and this CLI hold every
    /// Scalar they pass to TorchSharp (src/TopKLoss/Scalars.cs), but TorchSharp 0.107's SGD.step still
    /// converts its doubles to native Scalars without keeping them alive across the native call, so a
    /// garbage collection started by another allocating thread can finalize one while libtorch reads
    /// it. Observed here as "Expected false to be true ... toDouble/toFloat at Scalar.h:140" after a
    /// few thousand steps with prefetching; with allocation confined to this thread a collection can
    /// only start at a managed allocation, never in the middle of a native call.
    /// </summary>
    private static IEnumerable<Batch> Synchronous(BatchLoader loader, int epoch)
    {
        var order = loader.Order(epoch);
        for (int b = 0; b < loader.BatchCount; b++) yield return loader.Load(order, epoch, b);
    }
}
