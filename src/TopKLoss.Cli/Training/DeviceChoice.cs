using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Training;

internal static class DeviceChoice
{
    public static readonly string[] Names = ["cpu", "cuda"];

    public static Device Resolve(string name) => name switch
    {
        "cpu" => CPU,
        "cuda" when torch.cuda.is_available() => CUDA,
        "cuda" => throw new UsageException("--device cuda: no CUDA device is available (the package ships the CPU libtorch; see README 'Using a GPU')."),
        _ => throw new UsageException($"--device must be one of cpu, cuda; got '{name}'."),
    };
}
