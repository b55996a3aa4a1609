using TopKLoss.Tests.Support;

namespace TopKLoss.Tests.Cuda;

/// <summary>
/// The papers' reference vectors (../shared/testdata/reference) through the emulated CUDA kernels,
/// at the tolerances of the reference README: the smooth SVM's float64 cases (loss 1e-9 relative,
/// gradient 1e-9·max|grad_exact|) and log_esp's log σ_(k−1), log σ_k.
/// </summary>
public class CudaReferenceTests
{
    [FactWhenEmulated]
    public void SmoothSvm_ReferenceVectors_ThroughTheKernels()
    {
        int count = 0;
        foreach (var c in ReferenceData.Cases("smooth_svm.json"))
        {
            if (c.GetProperty("kind").GetString() != "smooth_topk" || ReferenceData.DType(c) != ScalarType.Float64) continue;
            using var scope = NewDisposeScope();
            var x = ReferenceData.Tensor(c.GetProperty("x")).requires_grad_();
            var y = ReferenceData.Labels(c.GetProperty("y"));
            int k = c.GetProperty("k").GetInt32();
            using (Emulation.Route())
            {
                var loss = TopK.functional.smooth_topk_svm_loss(x, y, k, c.GetProperty("tau").GetDouble(), c.GetProperty("alpha").GetDouble());
                loss.backward();
                Close.Relative(c.GetProperty("loss").GetDouble(), loss.item<double>(), 1e-9, $"case {count} loss");
            }
            Close.ScaledByMax(ReferenceData.Flat(c.GetProperty("grad_exact")), Close.ToArray(x.grad!), 1e-9, $"case {count} gradient");
            count++;
        }
        Assert.True(count >= 10, $"only {count} float64 smooth_topk cases");
    }

    [FactWhenEmulated]
    public void LogEsp_ReferenceVectors_ThroughTheKernels()
    {
        foreach (var c in ReferenceData.Cases("esp.json"))
        {
            using var scope = NewDisposeScope();
            int k = c.GetProperty("k").GetInt32();
            using var route = Emulation.Route();
            var logs = Close.ToArray(TopK.functional.log_esp(ReferenceData.Tensor(c.GetProperty("x")), k));
            var km1 = ReferenceData.Flat(c.GetProperty("log_sigma_km1"));
            var kk = ReferenceData.Flat(c.GetProperty("log_sigma_k"));
            for (int r = 0; r < km1.Length; r++)
            {
                Close.Relative(km1[r], logs[r * (k + 1) + k - 1], 1e-9, $"row {r} log σ_(k−1)");
                Close.Relative(kk[r], logs[r * (k + 1) + k], 1e-9, $"row {r} log σ_k");
            }
        }
    }
}
