using F = TopKLoss.TopK.functional;

namespace TopKLoss.Tests;

/// <summary>
/// The label range check: one host transfer for GPU labels, switchable there
/// (<see cref="TopK.ValidateDeviceLabels"/>); CPU labels are always checked; no temporaries are
/// left in the caller's dispose scope.
/// </summary>
public class LabelValidationTests
{
    [Fact]
    public void Cpu_labels_are_checked_even_with_the_device_check_off()
    {
        using var scope = NewDisposeScope();
        var scores = randn(4, 6);
        var bad = tensor(new long[] { 0, 1, 6, 2 });
        bool saved = TopK.ValidateDeviceLabels;
        try
        {
            TopK.ValidateDeviceLabels = false;
            foreach (var loss in new Func<Tensor>[]
            {
                () => F.smooth_topk_svm_loss(scores, bad, 2), () => F.noised_topk_loss(scores, bad, 2),
                () => F.focal_loss(scores, bad), () => F.hard_topk_svm_loss(scores, bad, 2),
            })
            {
                var e = Assert.Throws<ArgumentOutOfRangeException>(() => loss());
                Assert.Equal("labels", e.ParamName);
                Assert.Contains("[0, 6)", e.Message);
            }
        }
        finally { TopK.ValidateDeviceLabels = saved; }
    }

    [Fact]
    public void The_check_leaves_no_tensor_in_the_callers_dispose_scope()
    {
        using var outer = NewDisposeScope();
        var scores = randn(5, 7);
        var labels = tensor(new int[] { 0, 6, 3, 2, 1 });
        using var inner = NewDisposeScope();
        int before = inner.DisposablesCount;
        TopKLoss.Validation.Check.Labels(labels, scores);
        Assert.Equal(before, inner.DisposablesCount);
    }
}
