using TorchSharp;

namespace TopKLoss;

/// <summary>
/// The library never lets TorchSharp make a <see cref="Scalar"/> it does not hold.
/// <para>
/// TorchSharp 0.107 turns numbers into native Scalars implicitly — <c>x.clamp_min(0)</c>,
/// <c>full(shape, 1.0)</c>, <c>x * 0.5</c>, <c>1.0 - x</c>, and also <c>a + b</c> of two tensors, whose
/// alpha 1 it converts itself — then reads the Scalar's handle and passes it to libtorch, leaving
/// the managed Scalar unreachable during the native call. A garbage collection started by another
/// thread then can finalize it while libtorch reads it: "Expected false to be true ... Scalar.h",
/// "Unknown scalar type", a wrong value, or a crash.
/// </para>
/// <para>
/// So every Scalar the library passes is one of the constants below (static, never collected) or a
/// <c>using var s = value.ToScalar();</c> local (alive until the end of its scope), and tensor
/// arithmetic with a number, or an addition, is written as the method call TorchSharp's operator
/// makes: <c>a + b</c> is <c>a.add(b, Scalars.One)</c>, <c>x * c</c> is <c>x.mul(c)</c>,
/// <c>c + x</c> is <c>x.add(c, Scalars.One)</c>, each number converted from the same .NET type as
/// before. The native calls and their arguments are the same, so results are bit for bit those of
/// the operators. Tensor − tensor, tensor · tensor and tensor / tensor take no Scalar and stay
/// operators. tests/TopKLoss.Tests/Support/ScalarAudit.cs finds any call that would make an
/// unheld Scalar (Threading/ScalarLifetimeTests).
/// </para>
/// <para>
/// A caller's <see cref="torch.Generator"/> has a finalizer too and may be a temporary
/// (<c>perturbed_topk(x, 3, generator: new Generator(42))</c>): the draws keep it alive with
/// <c>GC.KeepAlive</c> after the native call. Tensors need nothing: every entry point computes inside
/// its own dispose scope, which holds the intermediate tensors.
/// </para>
/// </summary>
internal static class Scalars
{
    /// <summary>The integer 1: the alpha TorchSharp's <c>add(Tensor)</c> and <c>add(Scalar)</c> pass, the step of <c>arange(stop)</c>.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>The integer 0: <c>clamp_min(0)</c>, the start of <c>arange(stop)</c>.</summary>
    public static readonly Scalar Zero = 0.ToScalar();
}
