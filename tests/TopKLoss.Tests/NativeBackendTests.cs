using System.Runtime.CompilerServices;
using TopKLoss.Native;

namespace TopKLoss.Tests;

internal static class TestSetup
{
    // Tests may touch torch before any TopKLoss type: apply the platform fix first.
    [ModuleInitializer]
    internal static void Init() => NativeBackend.EnsureLoaded();
}

public class NativeBackendTests
{
    [Fact]
    public void TorchSharp_loads_and_computes_matmul_and_autograd()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 1, 2, 3, 4 }).reshape(2, 2).requires_grad_();
        var b = tensor(new double[] { 5, 6, 7, 8 }).reshape(2, 2);
        var c = a.mm(b);
        Assert.Equal(new double[] { 19, 22, 43, 50 }, c.data<double>().ToArray());
        c.sum().backward();
        // d(sum(a·b))/da[i,j] = sum_k b[j,k]
        Assert.Equal(new double[] { 11, 15, 11, 15 }, a.grad!.data<double>().ToArray());
        Assert.DoesNotContain("failed", NativeBackend.Status);
    }

    [Fact]
    public void Patcher_marks_only_the_named_version_weak_and_is_idempotent()
    {
        string original = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(original)) original = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(original), "libLibTorchSharp.so next to the test assembly");
        byte[] bytes = File.ReadAllBytes(original);
        byte[] copy = (byte[])bytes.Clone();
        Assert.True(ElfVersionPatcher.MarkVersionWeak(copy, "GLIBCXX_3.4.32"));
        Assert.False(ElfVersionPatcher.MarkVersionWeak(copy, "GLIBCXX_3.4.32"));
        Assert.False(ElfVersionPatcher.MarkVersionWeak(copy, "GLIBCXX_9.9.99"));
        int differing = bytes.Zip(copy).Count(p => p.First != p.Second);
        Assert.Equal(1, differing); // one flags byte
        Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.MarkVersionWeak(new byte[100], "x"));
    }
}
