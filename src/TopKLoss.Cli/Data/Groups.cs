namespace TopKLoss.Cli.Data;

/// <summary>Superclasses: the group of each class, and the groups' names.</summary>
public sealed record Groups(int[] SuperclassOf, IReadOnlyList<string> Names)
{
    public int Count => Names.Count;

    /// <summary>Classes of each group, in increasing order.</summary>
    public int[][] Members()
    {
        var members = new List<int>[Count];
        for (int g = 0; g < Count; g++) members[g] = [];
        for (int c = 0; c < SuperclassOf.Length; c++) members[SuperclassOf[c]].Add(c);
        return members.Select(m => m.ToArray()).ToArray();
    }

    /// <summary>
    /// Fashion-MNIST's built-in groups (issue 4): tops = T-shirt/top 0, pullover 2, coat 4, shirt 6;
    /// footwear = sandal 5, sneaker 7, ankle boot 9; other = trouser 1, dress 3, bag 8.
    /// </summary>
    public static readonly Groups FashionMnist = new([0, 2, 0, 2, 0, 1, 0, 1, 2, 1], ["tops", "footwear", "other"]);

    public static readonly string[] FashionMnistClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
}
