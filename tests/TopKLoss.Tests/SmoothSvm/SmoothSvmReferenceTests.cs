using System.Text.Json;
using TopKLoss.SmoothSvm;
using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.SmoothSvm;

/// <summary>smooth_svm.json and esp.json: outputs of the published smooth-topk code (README tolerances).</summary>
public class SmoothSvmReferenceTests
{
    private const string File = "smooth_svm.json";

    public static IEnumerable<object[]> SmoothCases => ReferenceData.Indices(File, c => c.GetProperty("kind").GetString()!.StartsWith("smooth"));
    public static IEnumerable<object[]> HardCases => ReferenceData.Indices(File, c => c.GetProperty("kind").GetString()!.StartsWith("hard"));
    public static IEnumerable<object[]> NaiveCases => ReferenceData.Indices(File, c => c.TryGetProperty("naive_loss_per_sample", out _));
    public static IEnumerable<object[]> EspCases => ReferenceData.Indices("esp.json");

    private static (double Loss, double Grad) Tolerance(JsonElement c) =>
        ReferenceData.DType(c) == ScalarType.Float32 ? (1e-5, 1e-4) : (1e-9, 1e-9);

    /// <summary>The gradient to match: grad_exact where the published backward is approximate.</summary>
    private static double[] ExpectedGrad(JsonElement c) =>
        ReferenceData.Flat(c.TryGetProperty("grad_exact", out var exact) ? exact : c.GetProperty("grad"));

    [Theory, MemberData(nameof(SmoothCases))]
    public void Fused_smooth_loss_and_gradient_match_published(int index) =>
        CheckSmooth(index, (x, y, c) => F.smooth_topk_svm_loss(x, y, c.K, c.Tau, c.Alpha));

    [Theory, MemberData(nameof(SmoothCases))]
    public void Tensor_ops_smooth_loss_and_gradient_match_published(int index) =>
        CheckSmooth(index, (x, y, c) => SmoothSvmOps.SmoothLoss(x, y, c.K, c.Tau, c.Alpha).mean());

    private record Params(int K, double Tau, double Alpha);

    private static void CheckSmooth(int index, Func<Tensor, Tensor, Params, Tensor> loss)
    {
        var c = ReferenceData.Cases(File)[index];
        var (lossTol, gradTol) = Tolerance(c);
        using var scope = NewDisposeScope();
        var x = ReferenceData.Tensor(c.GetProperty("x"), ReferenceData.DType(c)).requires_grad_();
        var y = ReferenceData.Labels(c.GetProperty("y"));
        var p = new Params(c.GetProperty("k").GetInt32(), c.GetProperty("tau").GetDouble(), c.GetProperty("alpha").GetDouble());
        var value = loss(x, y, p);
        value.backward();
        Assert.Equal(x.dtype, value.dtype);
        Close.Relative(c.GetProperty("loss").GetDouble(), value.ToDouble(), lossTol, $"case {index} loss");
        Close.ScaledByMax(ExpectedGrad(c), Close.ToArray(x.grad!), gradTol, $"case {index} gradient");
    }

    [Theory, MemberData(nameof(HardCases))]
    public void Hard_loss_and_gradient_match_published(int index)
    {
        var c = ReferenceData.Cases(File)[index];
        using var scope = NewDisposeScope();
        var x = ReferenceData.Tensor(c.GetProperty("x")).requires_grad_();
        var y = ReferenceData.Labels(c.GetProperty("y"));
        var value = F.hard_topk_svm_loss(x, y, c.GetProperty("k").GetInt32(), c.GetProperty("alpha").GetDouble());
        value.backward();
        Close.Relative(c.GetProperty("loss").GetDouble(), value.ToDouble(), 1e-12, $"case {index} loss");
        Close.ScaledByMax(ReferenceData.Flat(c.GetProperty("grad")), Close.ToArray(x.grad!), 1e-12, $"case {index} gradient");
    }

    [Theory, MemberData(nameof(NaiveCases))]
    public void Per_sample_losses_match_the_published_brute_force_sum(int index)
    {
        var c = ReferenceData.Cases(File)[index];
        using var scope = NewDisposeScope();
        var x = ReferenceData.Tensor(c.GetProperty("x"));
        var y = ReferenceData.Labels(c.GetProperty("y"));
        int k = c.GetProperty("k").GetInt32();
        double tau = c.GetProperty("tau").GetDouble(), alpha = c.GetProperty("alpha").GetDouble();
        var expected = ReferenceData.Flat(c.GetProperty("naive_loss_per_sample"));
        var hard = SmoothSvmOps.UseHard(x, k, tau).data<bool>().ToArray();
        var fused = Close.ToArray(F.smooth_topk_svm_loss(x, y, k, tau, alpha, nn.Reduction.None));
        var ops = Close.ToArray(SmoothSvmOps.SmoothOnly(x, y, k, tau, alpha));
        for (int i = 0; i < expected.Length; i++)
        {
            Close.Relative(expected[i], ops[i], 1e-9, $"case {index} sample {i} (tensor ops)");
            if (!hard[i]) Close.Relative(expected[i], fused[i], 1e-9, $"case {index} sample {i} (fused)");
        }
    }

    [Theory, MemberData(nameof(EspCases))]
    public void Log_esp_values_and_gradient_match_published(int index)
    {
        var c = ReferenceData.Cases("esp.json")[index];
        int k = c.GetProperty("k").GetInt32();
        var lowerExpected = ReferenceData.Flat(c.GetProperty("log_sigma_km1"));
        var upperExpected = ReferenceData.Flat(c.GetProperty("log_sigma_k"));
        foreach (var (name, esp) in new (string, Func<Tensor, int, Tensor>)[] { ("fused", F.log_esp), ("tensor ops", SmoothSvmOps.LogEsp) })
        {
            using var scope = NewDisposeScope();
            var x = ReferenceData.Tensor(c.GetProperty("x")).requires_grad_();
            var upstream = ReferenceData.Tensor(c.GetProperty("upstream"));
            var logSigma = esp(x, k);
            var lower = logSigma[.., k - 1];
            var upper = logSigma[.., k];
            for (int b = 0; b < lowerExpected.Length; b++)
            {
                Close.Relative(lowerExpected[b], lower[b].ToDouble(), 1e-12, $"{name} case {index} log σ_(k−1)[{b}]");
                Close.Relative(upperExpected[b], upper[b].ToDouble(), 1e-12, $"{name} case {index} log σ_k[{b}]");
            }
            (upstream[0] * lower + upstream[1] * upper).sum().backward();
            Close.ScaledByMax(ReferenceData.Flat(c.GetProperty("grad_exact")), Close.ToArray(x.grad!), 1e-9, $"{name} case {index} gradient");
        }
    }
}
