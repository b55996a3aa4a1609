using System.Runtime.Intrinsics.X86;
using TopKLoss.Tests.Support;

namespace TopKLoss.Tests;

/// <summary>The hardware skip attributes skip exactly when the hardware is missing, and say which.</summary>
public class SkipAttributeTests
{
    public static TheoryData<Isa, bool> Sets => new()
    {
        { Isa.Avx2, Avx2.IsSupported },
        { Isa.Avx512F, Avx512F.IsSupported },
        { Isa.Avx512BW, Avx512BW.IsSupported },
        { Isa.Avx512VL, Avx512F.VL.IsSupported },
        { Isa.Avx512Vbmi2, Avx512Vbmi2.IsSupported },
    };

    [Theory, MemberData(nameof(Sets))]
    public void IsaFact_skips_exactly_when_the_instruction_set_is_absent_and_names_it(Isa isa, bool supported)
    {
        Assert.Equal(Enum.GetValues<Isa>().Length, Sets.Count);
        foreach (var skip in new[] { new IsaFactAttribute(isa).Skip, new IsaTheoryAttribute(isa).Skip })
        {
            if (supported) Assert.Null(skip);
            else Assert.Contains($"needs {isa},", skip);
        }
    }

    [Fact]
    public void IsaFact_names_only_the_missing_sets_and_needs_all()
    {
        var (present, absent) = (Enum.GetValues<Isa>().Where(IsaSupport.IsSupported).ToArray(), Enum.GetValues<Isa>().Where(i => !IsaSupport.IsSupported(i)).ToArray());
        Assert.Null(new IsaFactAttribute(present).Skip);
        Assert.Null(new IsaFactAttribute().Skip);
        // Present sets are not named: the reason is that of the absent ones alone (null when none is absent).
        Assert.Equal(IsaSupport.SkipReason(absent), new IsaFactAttribute([.. present, .. absent]).Skip);
        Assert.Equal(absent.Length == 0, IsaSupport.SkipReason(absent) is null);
    }

    [Fact]
    public void CudaFact_skips_exactly_when_libtorch_sees_no_CUDA_device()
    {
        var skip = new CudaFactAttribute().Skip;
        if (cuda.is_available()) Assert.Null(skip);
        else Assert.Contains("needs a CUDA device", skip);
    }
}
