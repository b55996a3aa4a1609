using System.Runtime.Intrinsics.X86;

namespace TopKLoss.Tests.Support;

/// <summary>x86 instruction sets a test can require (what the kernels branch on).</summary>
public enum Isa { Avx2, Avx512F, Avx512BW, Avx512VL, Avx512Vbmi2 }

/// <summary>Whether this process may use an instruction set (the runtime's answer: DOTNET_EnableAVX512F=0 and the like count).</summary>
public static class IsaSupport
{
    public static bool IsSupported(Isa isa) => isa switch
    {
        Isa.Avx2 => Avx2.IsSupported,
        Isa.Avx512F => Avx512F.IsSupported,
        Isa.Avx512BW => Avx512BW.IsSupported,
        Isa.Avx512VL => Avx512F.VL.IsSupported,
        Isa.Avx512Vbmi2 => Avx512Vbmi2.IsSupported,
        _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown instruction set"),
    };

    /// <summary>The skip reason for a test that needs <paramref name="required"/>, or null when every one is there.</summary>
    public static string? SkipReason(Isa[] required)
    {
        var missing = required.Where(isa => !IsSupported(isa)).ToArray();
        return missing.Length == 0 ? null
            : $"needs {string.Join(", ", missing)}, which this CPU (or the runtime's DOTNET_Enable* settings) does not offer";
    }
}

/// <summary>
/// A fact that exercises code written with the intrinsics of <see cref="Isa"/>: skipped, with the
/// missing instruction sets named, where they are absent (such code would throw
/// PlatformNotSupportedException there, and returning early would pass a test that ran nothing).
/// </summary>
public sealed class IsaFactAttribute : FactAttribute
{
    public IsaFactAttribute(params Isa[] required) => Skip = IsaSupport.SkipReason(required);
}

/// <summary>The theory form of <see cref="IsaFactAttribute"/>: the whole theory is skipped, with the reason.</summary>
public sealed class IsaTheoryAttribute : TheoryAttribute
{
    public IsaTheoryAttribute(params Isa[] required) => Skip = IsaSupport.SkipReason(required);
}
