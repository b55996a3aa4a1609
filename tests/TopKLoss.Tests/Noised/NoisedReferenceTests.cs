using System.Text.Json;
using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.Noised;

/// <summary>
/// noised.json: outputs of the published noised-topk code for given normal draws Z. Values and losses
/// to 1e-9 relative; gradients to 1e-7 of max|grad| (the published backward averages in float32).
/// </summary>
public class NoisedReferenceTests
{
    private const string File = "noised.json";
    private const double ValueTol = 1e-9, GradTol = 1e-7;

    public static IEnumerable<object[]> Cases => ReferenceData.Indices(File);

    private sealed record Case(Tensor X, Tensor Z, Tensor Y, int K, double Epsilon, JsonElement Json);

    private static Case Load(int index)
    {
        var c = ReferenceData.Cases(File)[index];
        return new Case(ReferenceData.Tensor(c.GetProperty("x")).requires_grad_(), ReferenceData.Tensor(c.GetProperty("Z")),
            ReferenceData.Labels(c.GetProperty("y")), c.GetProperty("k").GetInt32(), c.GetProperty("epsilon").GetDouble(), c);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Perturbed_topk_value_and_gradient_match_published(int index)
    {
        using var scope = NewDisposeScope();
        var c = Load(index);
        var value = F.perturbed_topk(c.X, c.K, c.Epsilon, c.Z);
        var expected = ReferenceData.Flat(c.Json.GetProperty("topk_value"));
        var actual = Close.ToArray(value);
        for (int b = 0; b < expected.Length; b++) Close.Relative(expected[b], actual[b], ValueTol, $"case {index} value[{b}]");
        (value * ReferenceData.Tensor(c.Json.GetProperty("upstream"))).sum().backward();
        Close.ScaledByMax(ReferenceData.Flat(c.Json.GetProperty("topk_grad")), Close.ToArray(c.X.grad!), GradTol, $"case {index} gradient");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Balanced_loss_and_gradient_match_published(int index)
    {
        using var scope = NewDisposeScope();
        var c = Load(index);
        var loss = F.noised_topk_loss(c.X, c.Y, c.K, c.Epsilon, c.Z);
        loss.backward();
        Close.Relative(c.Json.GetProperty("bal_loss").GetDouble(), loss.ToDouble(), ValueTol, $"case {index} loss");
        Close.ScaledByMax(ReferenceData.Flat(c.Json.GetProperty("bal_grad")), Close.ToArray(c.X.grad!), GradTol, $"case {index} gradient");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Imbalanced_loss_and_gradient_match_published(int index)
    {
        using var scope = NewDisposeScope();
        var c = Load(index);
        var counts = ReferenceData.Flat(c.Json.GetProperty("class_counts")).Select(v => (long)v).ToArray();
        var margins = F.class_margins(counts, c.Json.GetProperty("max_m").GetDouble());
        var loss = F.imbalanced_noised_topk_loss(c.X, c.Y, c.K, c.Epsilon, margins, c.Json.GetProperty("scale").GetDouble(), c.Z);
        loss.backward();
        double expected = c.Json.GetProperty("imbal_loss").GetDouble();
        if (expected == 0) Assert.Equal(0.0, loss.ToDouble());
        else Close.Relative(expected, loss.ToDouble(), ValueTol, $"case {index} loss");
        var expectedGrad = ReferenceData.Flat(c.Json.GetProperty("imbal_grad"));
        if (expectedGrad.All(g => g == 0)) Assert.All(Close.ToArray(c.X.grad!), g => Assert.Equal(0.0, g));
        else Close.ScaledByMax(expectedGrad, Close.ToArray(c.X.grad!), GradTol, $"case {index} gradient");
    }
}
