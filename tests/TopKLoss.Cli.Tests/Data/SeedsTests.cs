using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

public class SeedsTests
{
    [Fact]
    public void Derive_IsStable_AndSeparatesPurposesSeedsAndIndices()
    {
        Assert.Equal(Seeds.Derive(1234, "noise"), Seeds.Derive(1234, "noise"));
        var values = new HashSet<int>();
        foreach (var purpose in new[] { "noise", "validation", "subset", "shuffle" })
            for (int seed = 0; seed < 20; seed++)
                for (int index = 0; index < 20; index++)
                    values.Add(Seeds.Derive(seed * 65536, purpose, index));
        Assert.Equal(4 * 20 * 20, values.Count); // no collisions, even for seeds that differ only in high bits
        Assert.All(values, v => Assert.True(v >= 0));
    }
}
