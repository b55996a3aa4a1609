using TopKLoss.Noised;
using TopKLoss.Tests.Support;

namespace TopKLoss.Tests.Noised;

/// <summary>
/// The noised losses' hinge fused into the kernel against the same hinge as tensor ops on the same
/// draws (the same generator state): value and gradient bit for bit, for the balanced and the
/// imbalanced form, active and inactive rows, float32 and float64.
/// </summary>
public class FusedHingeTests
{
    private static (double[] Value, double[] Grad) Run(Tensor x, Func<Tensor, Tensor> hinge, Tensor weights)
    {
        using var scope = NewDisposeScope();
        var leaf = x.detach().requires_grad_();
        var value = hinge(leaf);
        Assert.Equal(new[] { x.shape[0] }, value.shape);
        Assert.Equal(x.dtype, value.dtype);
        var grad = torch.autograd.grad(new[] { (value * weights).sum() }, new[] { leaf })[0];
        return (Close.ToArray(value), Close.ToArray(grad));
    }

    [Theory]
    [InlineData(ScalarType.Float32, false)]
    [InlineData(ScalarType.Float64, false)]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.Float64, true)]
    public void Fused_hinge_equals_the_tensor_hinge_on_the_same_draws_bit_for_bit(ScalarType dtype, bool imbalanced)
    {
        var random = new Random(imbalanced ? 11 : 7);
        int activeRows = 0, inactiveRows = 0;
        for (int trial = 0; trial < 60; trial++)
        {
            using var scope = NewDisposeScope();
            int batch = random.Next(1, 9), n = random.Next(3, 300), k = random.Next(1, Math.Min(n, 8));
            int samples = new[] { 1, 2, 5, 10 }[random.Next(4)];
            double epsilon = new[] { 0.0, 0.2, 1.0 }[random.Next(3)], scale = imbalanced ? new[] { 1.0, 7.5, 30.0 }[random.Next(3)] : 1.0;
            var generator = new Generator((ulong)trial);
            // integer scores in every third trial: ties between the label's score and the k-th
            var x = trial % 3 == 0
                ? randint(-2, 3, new long[] { batch, n }, generator: generator).to_type(dtype)
                : (randn(batch, n, dtype: ScalarType.Float64, generator: generator) * 2).to_type(dtype);
            var labels = randint(0, n, new long[] { batch }, generator: generator);
            // lift the label's score in about half the rows, so that their hinge is inactive
            var lift = (rand(batch, generator: generator) < 0.5).to_type(dtype) * 8;
            x = x.scatter_add(1, labels.unsqueeze(1), lift.unsqueeze(1));
            var margins = imbalanced ? rand(n, dtype: ScalarType.Float64, generator: generator) * 3 - 1 : null;
            var weights = rand(batch, dtype: dtype, generator: generator) + 0.5;
            ulong seed = (ulong)(1000 + trial);
            var fused = Run(x, t => PerturbedTopK.DrawHinge(t, labels, k, epsilon, samples, new Generator(seed), margins, scale), weights);
            var composed = Run(x, t => PerturbedTopK.Hinge(t, labels, PerturbedTopK.DrawPerturbedTopK(t, k, epsilon, samples, new Generator(seed)), margins, scale), weights);
            string what = $"trial {trial}: {dtype} b {batch} n {n} k {k} B {samples} ε {epsilon} scale {scale}";
            Assert.True(composed.Value.SequenceEqual(fused.Value), $"{what}: values {string.Join(", ", fused.Value)} vs {string.Join(", ", composed.Value)}");
            Assert.True(composed.Grad.SequenceEqual(fused.Grad), $"{what}: gradients differ");
            activeRows += fused.Value.Count(v => v > 0);
            inactiveRows += fused.Value.Count(v => v == 0);
        }
        Assert.True(activeRows > 20 && inactiveRows > 20, $"both sides of the hinge exercised: {activeRows} active, {inactiveRows} inactive");
    }

    [Fact]
    public void A_row_with_NaN_gives_NaN_and_a_NaN_gradient_row_as_the_tensor_hinge_does()
    {
        using var scope = NewDisposeScope();
        var x = randn(3, 20, generator: new Generator(4));
        x[1, 7] = tensor(float.NaN);
        var labels = tensor(new long[] { 2, 3, 4 });
        var weights = ones(3);
        var fused = Run(x, t => PerturbedTopK.DrawHinge(t, labels, 3, 1.0, 5, new Generator(2)), weights);
        var composed = Run(x, t => PerturbedTopK.Hinge(t, labels, PerturbedTopK.DrawPerturbedTopK(t, 3, 1.0, 5, new Generator(2))), weights);
        Assert.True(double.IsNaN(fused.Value[1]) && double.IsNaN(composed.Value[1]));
        Assert.Equal(composed.Grad.Select(double.IsNaN), fused.Grad.Select(double.IsNaN));
        Assert.True(fused.Grad.Skip(20).Take(20).All(double.IsNaN));
        Assert.Equal(composed.Value.Where(v => !double.IsNaN(v)), fused.Value.Where(v => !double.IsNaN(v)));
    }

    [Fact]
    public void Strided_int32_labels_give_the_same_hinge_as_the_tensor_path()
    {
        using var scope = NewDisposeScope();
        var x = randn(5, 30, generator: new Generator(6));
        var labels = randint(0, 30, new long[] { 10 }, generator: new Generator(7)).to_type(ScalarType.Int32)[TensorIndex.Slice(step: 2)];
        Assert.False(labels.is_contiguous());
        var weights = rand(5, generator: new Generator(8)) + 0.5;
        var fused = Run(x, t => PerturbedTopK.DrawHinge(t, labels, 3, 1.0, 4, new Generator(2)), weights);
        var composed = Run(x, t => PerturbedTopK.Hinge(t, labels, PerturbedTopK.DrawPerturbedTopK(t, 3, 1.0, 4, new Generator(2))), weights);
        Assert.Equal(composed.Value, fused.Value);
        Assert.Equal(composed.Grad, fused.Grad);
    }

    [Fact]
    public void Margins_that_require_grad_keep_their_gradient_through_the_tensor_path()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, 10, generator: new Generator(5));
        var labels = tensor(new long[] { 0, 3, 3, 9 });
        var margins = full(10, 2.0).requires_grad_();
        var loss = PerturbedTopK.DrawHinge(x, labels, 2, 0.5, 4, new Generator(3), margins, 1.0).sum();
        var grad = torch.autograd.grad(new[] { loss }, new[] { margins })[0];
        Assert.Equal(new[] { 1.0, 0, 0, 2, 0, 0, 0, 0, 0, 1 }, Close.ToArray(grad));
    }
}
