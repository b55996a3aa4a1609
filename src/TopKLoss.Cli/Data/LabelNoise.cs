namespace TopKLoss.Cli.Data;

/// <summary>
/// Label noise on the training split (docs/derivations.md §8). Each training sample is decided once, in
/// sample order, from a seeded generator: with probability p its label is redrawn. Test and
/// validation labels are never touched (callers apply this to the training split only).
/// </summary>
public static class LabelNoise
{
    /// <summary>Noisy labels, the share that actually changed, and a one-line description for reports.</summary>
    public sealed record Result(int[] Labels, double RealizedFlipRate, string Description);

    /// <summary>
    /// What both published codes run: ℓ ↦ ℓ − (ℓ mod 5) + u with u uniform over the block of 5
    /// consecutive labels, so the new label equals the old one a fifth of the time (expected flip
    /// rate 0.8·p). When the class count is not a multiple of 5, the last block is shorter and u is
    /// uniform over its members.
    /// </summary>
    public static Result Published(IReadOnlyList<int> labels, int classCount, double p, Random rng)
    {
        const int block = 5;
        return Redraw(labels, p, rng, label =>
            {
                int start = label - label % block, size = Math.Min(block, classCount - start);
                return start + rng.Next(size);
            },
            $"published protocol: with p = {p} a label is redrawn uniformly within its block of 5 consecutive labels (may stay the same)");
    }

    /// <summary>
    /// The papers' text: with probability p the label is replaced by another class of the same
    /// superclass, drawn uniformly among the other members (never the old label, so the expected
    /// flip rate is p; a class alone in its group keeps its label).
    /// </summary>
    public static Result WithinGroups(IReadOnlyList<int> labels, Groups groups, double p, Random rng, string groupsName)
    {
        var members = groups.Members();
        return Redraw(labels, p, rng, label => OtherThan(label, members[groups.SuperclassOf[label]], rng),
            $"within-group protocol ({groupsName}): with p = {p} a label is replaced by another class of its superclass");
    }

    /// <summary>No groups: with probability p the label is replaced by another class drawn uniformly over all classes.</summary>
    public static Result Uniform(IReadOnlyList<int> labels, int classCount, double p, Random rng)
    {
        var all = Enumerable.Range(0, classCount).ToArray();
        return Redraw(labels, p, rng, label => OtherThan(label, all, rng),
            $"uniform protocol (no groups): with p = {p} a label is replaced by another class drawn over all classes");
    }

    /// <summary>Sample by sample, in order: with probability p the label becomes <paramref name="redraw"/>(label).</summary>
    private static Result Redraw(IReadOnlyList<int> labels, double p, Random rng, Func<int, int> redraw, string description)
    {
        var noisy = new int[labels.Count];
        int changed = 0;
        for (int i = 0; i < noisy.Length; i++)
        {
            int label = labels[i];
            noisy[i] = rng.NextDouble() < p ? redraw(label) : label;
            if (noisy[i] != label) changed++;
        }
        return new Result(noisy, Rate(changed, noisy.Length), description);
    }

    /// <summary>A member of <paramref name="group"/> (sorted, containing <paramref name="label"/>) other than <paramref name="label"/>, uniformly.</summary>
    private static int OtherThan(int label, int[] group, Random rng)
    {
        if (group.Length < 2) return label;
        int pick = rng.Next(group.Length - 1);
        int position = Array.BinarySearch(group, label);
        return group[pick >= position ? pick + 1 : pick];
    }

    private static double Rate(int changed, int count) => count == 0 ? 0 : (double)changed / count;
}
