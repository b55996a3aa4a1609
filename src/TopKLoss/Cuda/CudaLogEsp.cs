using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cuda;

/// <summary>
/// log σ_j(exp x), j = 0..K, on the GPU (Kernels/smooth_svm.cu) as an autograd function; the
/// backward recomputes each row and writes ∂/∂x_i Σ_j g_j log σ_j exactly. Same algorithm as
/// SmoothSvm/Cpu/LogEspKernel.cs (−inf where j exceeds the row length, NaN rows for NaN or a
/// non-finite maximum).
/// </summary>
internal sealed class CudaLogEsp : autograd.SingleTensorFunction<CudaLogEsp>
{
    public override string Name => nameof(CudaLogEsp);

    /// <summary>[batch, K + 1] in x's dtype, or null when K exceeds the kernels' capacity.</summary>
    public static Tensor? TryApply(IKernelLauncher launcher, Tensor x, int K)
    {
        if (KernelNames.Capacity(KernelNames.EspCapacities, K) is not int capacity) return null;
        return apply(x, K, launcher, capacity);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = ((Tensor)vars[0]).contiguous();
        int K = (int)vars[1], capacity = (int)vars[3];
        var launcher = (IKernelLauncher)vars[2];
        long batch = x.shape[0];
        int m = (int)x.shape[1], threads = KernelNames.Threads(K + 1);
        var result = empty(new[] { batch, K + 1 }, dtype: ScalarType.Float64, device: x.device);
        using (var args = new KernelArgs().Data(x).Int((int)batch).Int(m).Int(K).Data(result))
            launcher.Launch($"tk_log_esp_forward_{KernelNames.Type(x.dtype)}_k{capacity}", (uint)KernelNames.Grid(batch), (uint)threads,
                KernelNames.EspSharedBytes(threads, K), args);
        ctx.save_for_backward(new List<Tensor> { x });
        ctx.save_data("K", K);
        ctx.save_data("launcher", launcher);
        ctx.save_data("capacity", capacity);
        return result.to_type(x.dtype);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var x = ctx.get_saved_variables()[0];
        int K = (int)ctx.get_data("K"), capacity = (int)ctx.get_data("capacity");
        var launcher = (IKernelLauncher)ctx.get_data("launcher");
        long batch = x.shape[0];
        int m = (int)x.shape[1], threads = KernelNames.Threads(K + 1), grid = KernelNames.Grid(batch);
        int checkpoints = KernelNames.Checkpoints(m, threads, capacity);
        using var upstream = gradOutput.to_type(ScalarType.Float64).contiguous();
        using var scratch = empty((long)grid * threads * checkpoints * K, dtype: ScalarType.Float64, device: x.device);
        var grad = empty_like(x);
        using (var args = new KernelArgs().Data(x).Int((int)batch).Int(m).Int(K).Data(upstream).Data(scratch).Int(checkpoints).Data(grad))
            launcher.Launch($"tk_log_esp_backward_{KernelNames.Type(x.dtype)}_k{capacity}", (uint)grid, (uint)threads,
                KernelNames.EspSharedBytes(threads, K), args);
        return new List<Tensor> { grad, null!, null!, null! };
    }
}
