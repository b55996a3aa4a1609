using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Data;

public class GroupsFileTests
{
    private static readonly string[] Names = Groups.FashionMnistClassNames;

    [Fact]
    public void ParsesNamesIndicesCommentsAndWhitespaceLines()
    {
        var groups = GroupsFile.Parse("g.txt",
        [
            "# Fashion-MNIST, as built in",
            "tops: 0, Pullover, coat, 6   # case-insensitive names",
            "",
            "footwear: Sandal, Sneaker, Ankle boot",
            "1 3 8",
        ], Names);
        Assert.Equal(Groups.FashionMnist.SuperclassOf, groups.SuperclassOf);
        Assert.Equal(["tops", "footwear", "group2"], groups.Names);
        Assert.Equal([[1, 3, 8]], groups.Members().Skip(2));
    }

    [Theory]
    [InlineData(new[] { "0 1 2 3 4", "5 6 7 8 10" }, "g.txt:2: class index 10 is out of range [0, 10)")]
    [InlineData(new[] { "0 1 2 3 4", "5, 6, 7, 8, Boot" }, "g.txt:2: unknown class \"Boot\"")]
    [InlineData(new[] { "0 1 2 3 4", "4 5 6 7 8 9" }, "g.txt:2: class 4 (Coat) is already in group \"group0\" (line 1)")]
    [InlineData(new[] { "0 1 2 3 4", "5 6 7 8" }, "g.txt: 1 class(es) are in no group, e.g. 9 (Ankle boot)")]
    [InlineData(new[] { "a: 0 1 2 3 4 5 6 7 8 9", "empty:" }, "g.txt:2: group \"empty\" has no classes")]
    [InlineData(new[] { "# nothing" }, "g.txt: no groups")]
    public void Errors_NameFileAndLine(string[] lines, string expected)
    {
        var e = Assert.Throws<UsageException>(() => GroupsFile.Parse("g.txt", lines, Names));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void NumericNamesOutOfIndexRange_AreNames()
    {
        var groups = GroupsFile.Parse("g.txt", ["1355868, 1", "2"], ["1355868", "1355920", "1356022"]);
        Assert.Equal([0, 0, 1], groups.SuperclassOf);
    }

    [Fact]
    public void MissingFile_IsUsageError()
    {
        var e = Assert.Throws<UsageException>(() => GroupsFile.Read("/nonexistent/groups.txt", Names));
        Assert.Contains("--groups: cannot read /nonexistent/groups.txt", e.Message);
    }
}
