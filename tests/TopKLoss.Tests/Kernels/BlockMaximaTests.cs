using TopKLoss.Kernels;

namespace TopKLoss.Tests.Kernels;

/// <summary>The noised kernel's vector block maxima (four columns per Philox block) against a plain loop.</summary>
public class BlockMaximaTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(17)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(1001)]
    public void Each_block_gets_the_maximum_of_its_four_columns(int n)
    {
        var random = new Random(n);
        var x = new double[n];
        for (int i = 0; i < n; i++) x[i] = random.Next(4) == 0 ? -0.0 : random.NextDouble() * 200 - 100;
        var expected = new double[(n + 3) / 4];
        for (int b = 0; b < expected.Length; b++) expected[b] = x.Skip(4 * b).Take(4).Max();

        var maxima = new double[expected.Length];
        NoisedRows<double>.BlockMaxima(x, maxima);
        Assert.Equal(expected, maxima);

        var floats = x.Select(v => (float)v).ToArray();
        var floatMaxima = new float[expected.Length];
        NoisedRows<float>.BlockMaxima(floats, floatMaxima);
        Assert.Equal(expected.Select(v => (float)v).ToArray(), floatMaxima);
    }
}
