using TopKLoss.Tests.Support;

namespace TopKLoss.Tests;

/// <summary>The reference vectors in the repository: complete, and the very bytes of their source.</summary>
public class ReferenceDataTests
{
    [Fact]
    public void Every_reference_file_holds_the_cases_its_README_counts()
    {
        Assert.Equal(ReferenceData.Files.Keys.Order(), Directory.GetFiles(ReferenceData.Folder, "*.json").Select(Path.GetFileName).Order()!);
        foreach (var (file, count) in ReferenceData.Files)
            Assert.True(ReferenceData.Cases(file).Length == count, $"{file}: {ReferenceData.Cases(file).Length} cases, README says {count}");
        Assert.Equal(69, ReferenceData.Files.Values.Sum());
    }

    [Fact]
    public void The_copy_the_tests_read_is_the_repositorys()
    {
        var repository = ReferenceData.RepositoryFolder;
        Assert.True(repository is not null && Directory.Exists(repository), $"tests/data/reference not found above {AppContext.BaseDirectory}");
        AssertSameJsonFiles(repository!, ReferenceData.Folder);
    }

    [FactWhenSharedReference]
    public void The_repositorys_copy_is_byte_identical_to_shared_testdata()
    {
        AssertSameJsonFiles(ReferenceData.SharedFolder!, ReferenceData.RepositoryFolder!);
    }

    private static void AssertSameJsonFiles(string expectedFolder, string actualFolder)
    {
        var expected = Directory.GetFiles(expectedFolder, "*.json").Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(expected, Directory.GetFiles(actualFolder, "*.json").Select(Path.GetFileName).Order().ToArray());
        foreach (var file in expected)
            Assert.True(File.ReadAllBytes(Path.Combine(expectedFolder, file!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actualFolder, file!))),
                $"{file} differs between {expectedFolder} and {actualFolder}");
    }
}
