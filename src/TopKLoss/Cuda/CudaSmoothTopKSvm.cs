using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cuda;

/// <summary>
/// Per-sample smooth top-k SVM on the GPU (Kernels/smooth_svm.cu) as an autograd function: the
/// forward kernel writes the losses and O(batch) row facts (kind, u, shift, hard index), the
/// backward kernel recomputes each row's polynomials from the scores and writes the exact
/// gradient. Same row algorithm and hard/smooth switch as SmoothSvm/Cpu/SmoothTopKSvmKernel.cs.
/// </summary>
internal sealed class CudaSmoothTopKSvm : autograd.SingleTensorFunction<CudaSmoothTopKSvm>
{
    private sealed record Saved(IKernelLauncher Launcher, int K, double Tau, double Alpha, int Capacity);

    public override string Name => nameof(CudaSmoothTopKSvm);

    /// <summary>Per-sample losses [batch] in the scores' dtype, or null when k exceeds the kernels' capacity (use the other paths).</summary>
    public static Tensor? TryApply(IKernelLauncher launcher, Tensor scores, Tensor labels, int k, double tau, double alpha)
    {
        if (KernelNames.Capacity(KernelNames.EspCapacities, k) is not int capacity) return null;
        return apply(scores, labels, k, tau, alpha, launcher, capacity);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var scores = ((Tensor)vars[0]).contiguous();
        var labels = ((Tensor)vars[1]).to_type(ScalarType.Int64).to(scores.device).contiguous(); // the kernel reads them where it runs
        int k = (int)vars[2];
        double tau = (double)vars[3], alpha = (double)vars[4];
        var launcher = (IKernelLauncher)vars[5];
        int capacity = (int)vars[6];
        long batch = scores.shape[0];
        int n = (int)scores.shape[1], threads = KernelNames.Threads(k + 1);
        var device = scores.device;
        var loss = empty(batch, dtype: ScalarType.Float64, device: device);
        var u = empty(batch, dtype: ScalarType.Float64, device: device);
        var shift = empty(batch, dtype: ScalarType.Float64, device: device);
        var kind = empty(batch, dtype: ScalarType.Int32, device: device);
        var hard = empty(batch, dtype: ScalarType.Int32, device: device);
        using (var args = new KernelArgs().Data(scores).Data(labels).Int((int)batch).Int(n).Int(k).Double(1.0 / (k * tau))
            .Double(alpha).Double(tau).Double(k * tau * Math.Log(1000.0)).Data(loss).Data(u).Data(shift).Data(kind).Data(hard))
            launcher.Launch($"tk_svm_forward_{KernelNames.Type(scores.dtype)}_k{capacity}", (uint)KernelNames.Grid(batch), (uint)threads,
                KernelNames.EspSharedBytes(threads, k), args);
        ctx.save_for_backward(new List<Tensor> { scores, labels, u, shift, kind, hard });
        ctx.save_data("saved", new Saved(launcher, k, tau, alpha, capacity));
        return loss.to_type(scores.dtype);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (scores, labels, u, shift, kind, hard) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5]);
        var s = (Saved)ctx.get_data("saved");
        long batch = scores.shape[0];
        int n = (int)scores.shape[1], k = s.K, threads = KernelNames.Threads(k + 1), grid = KernelNames.Grid(batch);
        int checkpoints = KernelNames.Checkpoints(n, threads, s.Capacity);
        using var upstream = gradOutput.to_type(ScalarType.Float64).contiguous();
        using var scratch = empty((long)grid * threads * checkpoints * k, dtype: ScalarType.Float64, device: scores.device);
        var grad = empty_like(scores);
        using (var args = new KernelArgs().Data(scores).Data(labels).Int((int)batch).Int(n).Int(k).Double(1.0 / (k * s.Tau))
            .Double(s.Alpha).Data(u).Data(shift).Data(kind).Data(hard).Data(upstream).Data(scratch).Int(checkpoints).Data(grad))
            s.Launcher.Launch($"tk_svm_backward_{KernelNames.Type(scores.dtype)}_k{s.Capacity}", (uint)grid, (uint)threads,
                KernelNames.EspSharedBytes(threads, k), args);
        return new List<Tensor> { grad, null!, null!, null!, null!, null!, null! };
    }
}
