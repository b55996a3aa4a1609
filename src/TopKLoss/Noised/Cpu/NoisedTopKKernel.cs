using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Kernels;

/// <summary>
/// Fused CPU perturbed k-th largest (Garcin et al. 2022, docs/derivations.md §5–7) as a TorchSharp autograd
/// function: out[b] = (1/B)·Σ_s top_k(x[b,:] + ε·z(b,:,s)), the normals drawn inside the pass by
/// <see cref="NoiseStream"/>; backward adds grad_out[b]/B at the recorded index of each sample's
/// k-th largest. Only the [batch, B] indices are kept between the passes, never a [batch, n, B]
/// tensor. Arithmetic follows the tensor-ops formula in the input's dtype: p = x + (T)ε·z.
/// <para>The rows are computed by <see cref="NoisedRows{T}"/>, which generates only the leading 16
/// bits of most draws and completes, provably, only those that can be a sample's k-th largest:
/// the result is bit-for-bit what drawing everything gives.</para>
/// Rows containing NaN give NaN and a NaN gradient row (as cross_entropy does).
/// </summary>
internal sealed class NoisedTopKKernel : autograd.SingleTensorFunction<NoisedTopKKernel>
{
    /// <summary>
    /// The noised losses' hinge, fused after the perturbed k-th largest v_b, in the dtype T and in
    /// the order of the tensor expression relu(((v + m) − x.gather(y))·scale):
    /// <code>
    /// h_b = ((v_b + (T)Margins[b]) − x[b, Labels[b]])·(T)Scale,   out[b] = relu(h_b)
    /// ∂out[b]/∂x[b, j] = [h_b > 0]·Scale·((1/B)·#{s : j is sample s's index} − [j = Labels[b]])
    /// </code>
    /// (the balanced loss: margins 1, scale 1, a multiplication by one being exact). One pass and one
    /// gradient tensor instead of gather, add, sub, relu and their backward ops.
    /// </summary>
    internal sealed record Hinge(long[] Labels, double[] Margins, double Scale);

    private sealed record Saved(long Batch, int N, int Samples, ScalarType Dtype, int[] Indices, bool[] NaNRows, Hinge? Hinge, bool[]? Active);

    public override string Name => nameof(NoisedTopKKernel);

    /// <summary>x: contiguous-able CPU float32/float64 [batch, n]; 1 ≤ k ≤ n; ε ≥ 0; samples ≥ 1; labels in [0, n).</summary>
    public static Tensor Apply(Tensor x, int k, double epsilon, int samples, ulong seed, ulong stream, Hinge? hinge = null) =>
        apply(x, k, epsilon, samples, seed, stream, hinge!);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = ((Tensor)vars[0]).contiguous();
        int k = (int)vars[1];
        double epsilon = (double)vars[2];
        int samples = (int)vars[3];
        var noise = new NoiseStream((ulong)vars[4], (ulong)vars[5]);
        long batch = x.shape[0];
        int n = (int)x.shape[1];
        var values = new double[batch];
        var indices = new int[batch * samples];
        var nanRows = new bool[batch];
        if (x.dtype == ScalarType.Float32)
            NoisedRows<float>.Run(CpuRows.Pointer(x), batch, n, k, (float)epsilon, samples, noise, values, indices, nanRows);
        else
            NoisedRows<double>.Run(CpuRows.Pointer(x), batch, n, k, epsilon, samples, noise, values, indices, nanRows);
        var hinge = (Hinge?)vars[6];
        bool[]? active = null;
        if (hinge is not null)
        {
            active = new bool[batch];
            if (x.dtype == ScalarType.Float32) ApplyHinge<float>(CpuRows.Pointer(x), n, hinge, values, active);
            else ApplyHinge<double>(CpuRows.Pointer(x), n, hinge, values, active);
        }
        ctx.save_data("saved", new Saved(batch, n, samples, x.dtype, indices, nanRows, hinge, active));
        return tensor(values, dtype: x.dtype);
    }

    /// <summary>values[b] ← relu(h_b) (see <see cref="Hinge"/>), each step rounded to T; active[b] ← h_b > 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ApplyHinge<T>(nint xPtr, int n, Hinge hinge, double[] values, bool[] active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.CreateTruncating(hinge.Scale);
        for (int b = 0; b < values.Length; b++)
        {
            T v = T.CreateTruncating(values[b]), labelScore = ((T*)xPtr)[(long)b * n + hinge.Labels[b]];
            T h = (v + T.CreateTruncating(hinge.Margins[b]) - labelScore) * scale;
            active[b] = h > T.Zero;
            values[b] = double.CreateTruncating(active[b] || T.IsNaN(h) ? h : T.Zero); // relu keeps NaN
        }
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var s = (Saved)ctx.get_data("saved");
        double[] upstream = Upstream(gradOutput);
        var grad = zeros(s.Batch, s.N, dtype: s.Dtype);
        if (s.Dtype == ScalarType.Float32) Scatter<float>(CpuRows.Pointer(grad), s, upstream);
        else Scatter<double>(CpuRows.Pointer(grad), s, upstream);
        return new List<Tensor> { grad, null!, null!, null!, null!, null!, null! };
    }

    /// <summary>
    /// grad_out as float64 values. A CPU float32/float64 gradient (often a stride-0 expansion, from a
    /// mean) is read where it lies; anything else is converted first.
    /// </summary>
    private static double[] Upstream(Tensor gradOutput)
    {
        if (gradOutput.device_type == DeviceType.CPU && gradOutput.dtype == ScalarType.Float64) return gradOutput.data<double>().ToArray();
        if (gradOutput.device_type == DeviceType.CPU && gradOutput.dtype == ScalarType.Float32)
            return Array.ConvertAll(gradOutput.data<float>().ToArray(), v => (double)v);
        using var converted = gradOutput.to_type(ScalarType.Float64).cpu();
        return converted.data<double>().ToArray();
    }

    /// <summary>
    /// grad[b, index(b, s)] += c_b/B for every sample s, in the dtype (as the one-hot mean does),
    /// c_b = grad_out[b]; with a hinge c_b = [h_b > 0]·(grad_out[b]·scale), then grad[b, label] −= c_b
    /// (the order in which autograd sums the two paths).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Scatter<T>(nint gradPtr, Saved s, double[] upstream) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long b = 0; b < s.Batch; b++)
        {
            var row = new Span<T>((T*)gradPtr + b * s.N, s.N);
            if (s.NaNRows[b]) { row.Fill(T.NaN); continue; }
            T c = T.CreateTruncating(upstream[b]);
            if (s.Hinge is not null)
            {
                if (!s.Active![b]) continue;
                c *= T.CreateTruncating(s.Hinge.Scale);
            }
            var share = T.CreateTruncating(double.CreateTruncating(c) / s.Samples);
            for (int q = 0; q < s.Samples; q++) row[s.Indices[b * s.Samples + q]] += share;
            if (s.Hinge is not null) row[(int)s.Hinge.Labels[b]] += -c;
        }
    }
}
