using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cuda;

/// <summary>
/// The perturbed k-th largest on the GPU (Kernels/noised_topk.cu) as an autograd function, with
/// the noised losses' hinge optionally fused as on CPU (Kernels/NoisedTopKKernel.cs): the kernel
/// draws z(seed, stream, row, column, sample) with the CPU kernel's Philox layout, so the same
/// (seed, stream) selects the same indices. Kept for the backward: the [batch, B] indices and
/// O(batch) row facts; the backward is a scatter.
/// </summary>
internal sealed class CudaNoisedTopK : autograd.SingleTensorFunction<CudaNoisedTopK>
{
    /// <summary>The hinge h_b = ((v_b + m_b) − x[b, y_b])·scale, out = relu(h) (margins [batch] float64 on the device, already in x's dtype's rounding).</summary>
    internal sealed record Hinge(Tensor Labels, Tensor Margins, double Scale);

    private sealed record Saved(IKernelLauncher Launcher, long Batch, int N, int Samples, ScalarType Dtype, double Scale, bool WithHinge);

    public override string Name => nameof(CudaNoisedTopK);

    /// <summary>
    /// [batch] in x's dtype, or null when k exceeds the kernels' capacity. <paramref name="key"/>:
    /// int64 (seed, stream) on x's device, read by the kernel (drawing it needs no host round trip).
    /// </summary>
    public static Tensor? TryApply(IKernelLauncher launcher, Tensor x, int k, double epsilon, int samples, Tensor key, Hinge? hinge = null)
    {
        if (KernelNames.Capacity(KernelNames.NoisedCapacities, k) is not int capacity) return null;
        return apply(x, k, epsilon, samples, key, hinge!, launcher, capacity);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = ((Tensor)vars[0]).contiguous();
        int k = (int)vars[1], samples = (int)vars[3], capacity = (int)vars[7];
        double epsilon = (double)vars[2];
        var key = ((Tensor)vars[4]).to_type(ScalarType.Int64).contiguous();
        var hinge = (Hinge?)vars[5];
        var launcher = (IKernelLauncher)vars[6];
        long batch = x.shape[0];
        int n = (int)x.shape[1], threads = KernelNames.Threads(k);
        var device = x.device;
        var values = empty(batch, dtype: ScalarType.Float64, device: device);
        var indices = empty(batch * samples, dtype: ScalarType.Int32, device: device);
        var nanRows = empty(batch, dtype: ScalarType.Int32, device: device);
        var active = empty(batch, dtype: ScalarType.Int32, device: device);
        var labels = hinge?.Labels.to_type(ScalarType.Int64).contiguous();
        var margins = hinge?.Margins.to_type(ScalarType.Float64).contiguous();
        using (var args = new KernelArgs().Data(x).Int((int)batch).Int(n).Int(k).Double(epsilon).Int(samples).Data(key)
            .Data(labels).Data(margins).Double(hinge?.Scale ?? 1.0).Data(values).Data(indices).Data(nanRows).Data(active))
            launcher.Launch($"tk_noised_forward_{KernelNames.Type(x.dtype)}_k{capacity}", (uint)KernelNames.Grid(batch), (uint)threads,
                KernelNames.NoisedSharedBytes(threads, k), args);
        var keep = new List<Tensor> { indices, nanRows, active };
        if (labels is not null) keep.Add(labels);
        ctx.save_for_backward(keep);
        ctx.save_data("saved", new Saved(launcher, batch, n, samples, x.dtype, hinge?.Scale ?? 1.0, hinge is not null));
        return values.to_type(x.dtype);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var s = (Saved)ctx.get_data("saved");
        var (indices, nanRows, active) = (saved[0], saved[1], saved[2]);
        var labels = s.WithHinge ? saved[3] : null;
        using var upstream = gradOutput.to_type(ScalarType.Float64).contiguous();
        var grad = zeros(new[] { s.Batch, s.N }, dtype: s.Dtype, device: indices.device);
        using (var args = new KernelArgs().Int((int)s.Batch).Int(s.N).Int(s.Samples).Data(indices).Data(nanRows).Data(labels)
            .Data(active).Double(s.Scale).Data(upstream).Data(grad))
            s.Launcher.Launch($"tk_noised_backward_{KernelNames.Type(s.Dtype)}", (uint)KernelNames.Grid(s.Batch), 32, 0, args);
        return new List<Tensor> { grad, null!, null!, null!, null!, null!, null!, null! };
    }
}
