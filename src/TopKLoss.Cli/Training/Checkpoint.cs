using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Training;

/// <summary>Progress of a run that a checkpoint restores, besides the tensors.</summary>
public sealed record TrainingState(int EpochsDone, double BestMetric, int BestEpoch, List<EpochRecord> History);

/// <summary>
/// The resumable state of a run in one file, written atomically after every epoch: training
/// progress (JSON), torch's global RNG state, the loss's noise generator state, the model and the
/// optimizer (momentum buffers). Batch order and augmentation need no saved state: they derive
/// from (seed, epoch) (see <see cref="BatchSource"/>).
/// </summary>
public static class Checkpoint
{
    public const string FileName = "checkpoint.bin";
    public const string BestModelFileName = "best-model.bin";
    private const string Magic = "TOPK-CHECKPOINT-1";

    public static void Save(string directory, TrainingState state, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer, Generator lossGenerator)
    {
        AtomicFile.Write(Path.Combine(directory, FileName), stream =>
        {
            using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(JsonSerializer.Serialize(state));
            WriteBytes(w, torch.random.get_rng_state());
            WriteBytes(w, lossGenerator.get_state());
            model.save(w);
            optimizer.save_state_dict(w);
        });
    }

    /// <summary>Restores model, optimizer and RNG states in place; returns the training progress.</summary>
    public static TrainingState Load(string directory, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer, Generator lossGenerator)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new UsageException($"--resume: no checkpoint at {path}.");
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), System.Text.Encoding.UTF8);
            if (r.ReadString() != Magic)
                throw new InvalidDataException($"{path}: not a topk checkpoint (bad header at byte 0).");
            var state = JsonSerializer.Deserialize<TrainingState>(r.ReadString())
                ?? throw new InvalidDataException($"{path}: empty training state.");
            var rng = ReadBytes(r);
            var gen = ReadBytes(r);
            model.load(r);
            optimizer.load_state_dict(r);
            torch.random.set_rng_state(rng);
            lossGenerator.set_state(gen);
            return state;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: truncated checkpoint.");
        }
    }

    public static void SaveBestModel(string directory, nn.Module model) =>
        AtomicFile.Write(Path.Combine(directory, BestModelFileName), s => model.save(s));

    public static void LoadModel(string path, nn.Module model)
    {
        if (!File.Exists(path))
            throw new UsageException($"model weights not found: {path}.");
        model.load(path);
    }

    private static void WriteBytes(BinaryWriter w, Tensor t)
    {
        var bytes = t.cpu().to(ScalarType.Byte).data<byte>().ToArray();
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static Tensor ReadBytes(BinaryReader r)
    {
        int n = r.ReadInt32();
        return tensor(r.ReadBytes(n), dtype: ScalarType.Byte);
    }
}
