namespace TopKLoss.Cli.Data;

/// <summary>
/// Index bookkeeping for the experiments of docs/derivations.md §9: the validation hold-out, balanced
/// reduced training sets and the long-tail profile. All draws come from <see cref="Seeds"/>.
/// </summary>
public static class TrainingSplits
{
    /// <summary>Indices (into <paramref name="labels"/>) of each class, in increasing order.</summary>
    public static int[][] IndicesByClass(IReadOnlyList<int> labels, int classCount)
    {
        var lists = new List<int>[classCount];
        for (int c = 0; c < classCount; c++) lists[c] = [];
        for (int i = 0; i < labels.Count; i++) lists[labels[i]].Add(i);
        return lists.Select(l => l.ToArray()).ToArray();
    }

    /// <summary>
    /// Holds <paramref name="validationSize"/> samples out, stratified: class c gives its
    /// proportional share (largest remainders, so the total is exact), drawn from a seeded shuffle
    /// of the class. The published CIFAR-100 runs hold out 5,000 random images; stratifying keeps
    /// the same count and every class's share equal. Returns sorted index arrays.
    /// </summary>
    public static (int[] Train, int[] Validation) HoldOut(IReadOnlyList<int> labels, int classCount, int validationSize, int seed)
    {
        if (validationSize < 0 || validationSize >= labels.Count)
            throw new UsageException($"--validation-size must be in [0, {labels.Count}) for {labels.Count} training samples; got {validationSize}");
        var byClass = IndicesByClass(labels, classCount);
        var quota = Apportion(byClass.Select(c => (long)c.Length).ToArray(), validationSize);
        var train = new List<int>(labels.Count - validationSize);
        var validation = new List<int>(validationSize);
        for (int c = 0; c < classCount; c++)
        {
            var shuffled = Shuffled(byClass[c], Seeds.For(seed, "validation", c));
            validation.AddRange(shuffled.Take(quota[c]));
            train.AddRange(shuffled.Skip(quota[c]));
        }
        train.Sort();
        validation.Sort();
        return (train.ToArray(), validation.ToArray());
    }

    /// <summary>
    /// Splits <paramref name="total"/> over classes in proportion to <paramref name="sizes"/>
    /// (floor, then one more to the largest remainders, ties to the lower class index).
    /// </summary>
    public static int[] Apportion(long[] sizes, int total)
    {
        long sum = sizes.Sum();
        var share = new int[sizes.Length];
        if (sum == 0) return share;
        var remainders = new (double Remainder, int Class)[sizes.Length];
        int given = 0;
        for (int c = 0; c < sizes.Length; c++)
        {
            double exact = (double)total * sizes[c] / sum;
            share[c] = (int)Math.Floor(exact);
            given += share[c];
            remainders[c] = (exact - share[c], c);
        }
        foreach (var (_, c) in remainders.OrderByDescending(r => r.Remainder).ThenBy(r => r.Class).Take(total - given))
            share[c]++;
        return share;
    }

    /// <summary>
    /// The CIFAR-LT profile (Cao et al. 2019): class c keeps ⌊n_max·ρ^(−c/(C−1))⌋ images
    /// (10,847 images for n_max = 500, C = 100, ρ = 100). Class 0 is the head, class C−1 the tail.
    /// </summary>
    public static int[] LongTailCounts(int nMax, int classCount, double rho)
    {
        if (!(rho >= 1) || !double.IsFinite(rho))
            throw new UsageException($"--long-tail must be a finite ratio ≥ 1; got {rho}");
        var counts = new int[classCount];
        for (int c = 0; c < classCount; c++)
            counts[c] = classCount == 1 ? nMax : (int)Math.Floor(nMax * Math.Pow(1.0 / rho, c / (classCount - 1.0)));
        return counts;
    }

    /// <summary>Balanced reduced training set: ⌊trainSize / C⌋ per class.</summary>
    public static int[] BalancedCounts(int trainSize, int classCount)
    {
        if (trainSize < classCount)
            throw new UsageException($"--train-size must be at least the number of classes ({classCount}) so every class keeps an image; got {trainSize}");
        return Enumerable.Repeat(trainSize / classCount, classCount).ToArray();
    }

    /// <summary>
    /// Keeps <paramref name="perClass"/>[c] samples of class c, the first of a shuffle seeded by
    /// (seed, class) as Berrada's subsets (seed + class); a class with fewer samples is an error.
    /// Returns sorted indices into <paramref name="labels"/>.
    /// </summary>
    public static int[] Take(IReadOnlyList<int> labels, int classCount, int[] perClass, int seed, string option)
    {
        var byClass = IndicesByClass(labels, classCount);
        var kept = new List<int>(perClass.Sum());
        for (int c = 0; c < classCount; c++)
        {
            if (perClass[c] > byClass[c].Length)
                throw new UsageException($"{option}: class {c} needs {perClass[c]} training images but has only {byClass[c].Length} after the validation hold-out");
            kept.AddRange(Shuffled(byClass[c], Seeds.For(seed, "subset", c)).Take(perClass[c]));
        }
        kept.Sort();
        return kept.ToArray();
    }

    /// <summary>Fisher–Yates shuffle of a copy.</summary>
    public static int[] Shuffled(int[] items, Random rng)
    {
        var copy = (int[])items.Clone();
        for (int i = copy.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return copy;
    }
}
