using TopKLoss.Tests.Support;
using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests.Baselines;

/// <summary>baselines.json: focal (float64, 1e-9) and LDAM (float32 from CUDA, 1e-5) from the published code.</summary>
public class BaselineReferenceTests
{
    private const string File = "baselines.json";

    public static IEnumerable<object[]> FocalCases => ReferenceData.Indices(File, c => c.GetProperty("kind").GetString() == "focal");
    public static IEnumerable<object[]> LdamCases => ReferenceData.Indices(File, c => c.GetProperty("kind").GetString() == "ldam");

    [Theory, MemberData(nameof(FocalCases))]
    public void Focal_loss_and_gradient_match_published(int index)
    {
        var c = ReferenceData.Cases(File)[index];
        using var scope = NewDisposeScope();
        var x = ReferenceData.Tensor(c.GetProperty("x")).requires_grad_();
        var y = ReferenceData.Labels(c.GetProperty("y"));
        var loss = F.focal_loss(x, y, c.GetProperty("gamma").GetDouble());
        loss.backward();
        Close.Relative(c.GetProperty("loss").GetDouble(), loss.ToDouble(), 1e-9, $"case {index} loss");
        Close.ScaledByMax(ReferenceData.Flat(c.GetProperty("grad")), Close.ToArray(x.grad!), 1e-9, $"case {index} gradient");
    }

    [Theory, MemberData(nameof(LdamCases))]
    public void Ldam_loss_and_gradient_match_published(int index)
    {
        var c = ReferenceData.Cases(File)[index];
        using var scope = NewDisposeScope();
        var x = ReferenceData.Tensor(c.GetProperty("x"), ScalarType.Float32).requires_grad_();
        var y = ReferenceData.Labels(c.GetProperty("y"));
        var counts = ReferenceData.Flat(c.GetProperty("class_counts")).Select(v => (long)v).ToArray();
        var margins = F.class_margins(counts, c.GetProperty("max_m").GetDouble());
        var loss = F.ldam_loss(x, y, margins, c.GetProperty("scale").GetDouble());
        loss.backward();
        Assert.Equal(ScalarType.Float32, loss.dtype);
        Close.Relative(c.GetProperty("loss").GetDouble(), loss.ToDouble(), 1e-5, $"case {index} loss");
        Close.ScaledByMax(ReferenceData.Flat(c.GetProperty("grad")), Close.ToArray(x.grad!), 1e-5, $"case {index} gradient");
    }

    [Fact]
    public void Ldam_module_matches_the_functional_form_on_the_reference_case()
    {
        var c = ReferenceData.Cases(File).First(e => e.GetProperty("kind").GetString() == "ldam");
        using var scope = NewDisposeScope();
        var x = ReferenceData.Tensor(c.GetProperty("x"), ScalarType.Float32);
        var y = ReferenceData.Labels(c.GetProperty("y"));
        var counts = ReferenceData.Flat(c.GetProperty("class_counts")).Select(v => (long)v).ToArray();
        var module = TopK.LdamLoss(counts, c.GetProperty("max_m").GetDouble(), c.GetProperty("scale").GetDouble());
        Close.Relative(c.GetProperty("loss").GetDouble(), module.call(x, y).ToDouble(), 1e-5, "module loss");
    }
}
