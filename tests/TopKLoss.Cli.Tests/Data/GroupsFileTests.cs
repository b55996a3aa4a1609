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
    public void Names_with_spaces_are_read_on_lines_without_commas_too()
    {
        var groups = GroupsFile.Parse("g.txt", ["tops: T-shirt/top Pullover Coat Shirt", "footwear: Sandal Sneaker Ankle boot", "other: 1 3 8"], Names);
        Assert.Equal(Groups.FashionMnist.SuperclassOf, groups.SuperclassOf);

        string[] synthetic = SyntheticData.ClassNames(12);
        var byName = GroupsFile.Parse("g.txt", ["a: class 0 class 3 CLASS 6 9", "b: class 1, class 4, class 7, class 10", "c: 2 class 5 class 8 class 11"], synthetic);
        Assert.Equal(Enumerable.Range(0, 12).Select(c => c % 3), byName.SuperclassOf);
        var e = Assert.Throws<UsageException>(() => GroupsFile.Parse("g.txt", ["class 0 klass 1"], synthetic));
        Assert.Contains("g.txt:1: unknown class \"klass\"", e.Message);
    }

    [Fact]
    public void Synthetic_names_of_earlier_versions_are_aliases()
    {
        string[] names = SyntheticData.ClassNames(6), legacy = SyntheticData.LegacyClassNames(6, 2);
        var groups = GroupsFile.Parse("g.txt", ["even: g00-c000, g00-c002, class 4", "odd: g01-c001 G01-C003 5"], names, legacy);
        Assert.Equal([0, 1, 0, 1, 0, 1], groups.SuperclassOf);
        // Without the aliases (any other dataset) the old names are unknown.
        Assert.Contains("unknown class \"g00-c000\"", Assert.Throws<UsageException>(() => GroupsFile.Parse("g.txt", ["g00-c000"], names)).Message);
    }

    [Fact]
    public void MissingFile_IsUsageError()
    {
        var e = Assert.Throws<UsageException>(() => GroupsFile.Read("/nonexistent/groups.txt", Names));
        Assert.Contains("--groups: cannot read /nonexistent/groups.txt", e.Message);
    }
}
