using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Cli.Training;

/// <summary>What a loss factory may use: the options, the training class counts and a generator for noise.</summary>
public sealed record LossContext(LossOptions Options, long[] TrainClassCounts, torch.Generator Generator)
{
    public int ClassCount => TrainClassCounts.Length;
}

/// <summary>
/// Loss name → factory. Every entry builds a loss of the TopKLoss library (or TorchSharp's
/// cross-entropy); nothing is re-implemented here. Defaults follow the papers' settings
/// (docs/derivations.md §5 and §11) and are listed in <see cref="Describe"/> for --help.
/// </summary>
public static class LossRegistry
{
    private sealed record Entry(string Summary, Func<LossContext, nn.Module<Tensor, Tensor, Tensor>> Create);

    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal)
    {
        ["ce"] = new("cross-entropy", _ => nn.CrossEntropyLoss()),
        ["smooth-svm"] = new("smooth top-k SVM (Berrada et al. 2018): --k, --tau (1), --alpha (1)",
            c => TopK.SmoothTopKSvmLoss(c.Options.K, c.Options.Tau ?? 1.0, c.Options.Alpha ?? 1.0)),
        ["hard-svm"] = new("hard top-k SVM: --k, --alpha (1)",
            c => TopK.HardTopKSvmLoss(c.Options.K, c.Options.Alpha ?? 1.0)),
        ["noised"] = new("noised top-k hinge (Garcin et al. 2022): --k, --epsilon (1), --samples (5)",
            c => TopK.NoisedTopKLoss(c.Options.K, c.Options.Epsilon ?? 1.0, c.Options.Samples ?? 5, c.Generator)),
        ["imbalanced-noised"] = new("imbalanced noised top-k hinge with class margins from the training counts: --k, --epsilon (0.01), " +
            "--samples (5), --max-margin (0.2), --scale (50); meant with --normed-head",
            c => TopK.ImbalancedNoisedTopKLoss(c.Options.K, c.Options.Epsilon ?? 0.01, c.TrainClassCounts, c.Options.MaxMargin ?? 0.2,
                c.Options.Scale ?? 50.0, c.Options.Samples ?? 5, c.Generator)),
        ["focal"] = new("focal loss (Lin et al. 2017): --gamma (2)", c => TopK.FocalLoss(c.Options.Gamma ?? 2.0)),
        ["ldam"] = new("LDAM (Cao et al. 2019) with margins from the training counts: --max-margin (0.2), --scale (30); meant with --normed-head",
            c => TopK.LdamLoss(c.TrainClassCounts, c.Options.MaxMargin ?? 0.2, c.Options.Scale ?? 30.0)),
        ["balanced-softmax"] = new("balanced softmax (Ren et al. 2020): CE(s + log n_c) with the training counts",
            c => TopK.BalancedSoftmaxLoss(c.TrainClassCounts)),
        ["logit-adjusted"] = new("logit-adjusted cross-entropy (Menon et al. 2021): CE(s + τ·log π_c) with the training counts: --tau (1)",
            c => TopK.LogitAdjustedLoss(c.TrainClassCounts, c.Options.Tau ?? 1.0)),
        ["multi-k-svm"] = new($"mixture of smooth top-k SVMs Σ w_i·L_(k_i,τ): {KMixSpec.Option} k:w,... (e.g. 1:0.5,5:0.5), --tau (1), --alpha (1)",
            c =>
            {
                var (ks, weights) = KMixSpec.For(c.Options.KMix, c.ClassCount, "multi-k-svm");
                return TopK.MultiKSmoothTopKSvmLoss(ks, weights, c.Options.Tau ?? 1.0, c.Options.Alpha ?? 1.0);
            }),
    };

    public static IReadOnlyCollection<string> Names => Entries.Keys;

    /// <summary>One line per loss, for --help.</summary>
    public static string Describe() => string.Join("; ", Entries.Select(e => $"{e.Key} = {e.Value.Summary}"));

    /// <summary>
    /// Builds loss <paramref name="name"/>. Unknown names and a k out of range for the class count
    /// are user errors (<see cref="UsageException"/>); other bad values surface as the library's
    /// ArgumentException, which names the argument and its range.
    /// </summary>
    public static nn.Module<Tensor, Tensor, Tensor> Create(string name, LossContext context)
    {
        if (!Entries.TryGetValue(name, out var entry))
            throw new UsageException($"--loss: unknown loss '{name}'; known losses: {string.Join(", ", Entries.Keys)}.");
        CheckK(name, context.Options.K, context.ClassCount);
        return entry.Create(context);
    }

    /// <summary>Checks the k range of a loss against a class count without building it.</summary>
    public static void Validate(string name, int k, int classCount)
    {
        if (!Entries.TryGetValue(name, out var entry))
            throw new UsageException($"--loss: unknown loss '{name}'; known losses: {string.Join(", ", Entries.Keys)}.");
        CheckK(name, k, classCount);
    }

    /// <summary>Checks the options a loss needs beyond k (the --k-mix of multi-k-svm) against a class count.</summary>
    public static void ValidateOptions(string name, LossOptions options, int classCount)
    {
        if (name == "multi-k-svm") KMixSpec.For(options.KMix, classCount, name);
    }

    /// <summary>
    /// The library's rule (1 ≤ k ≤ n − 1) for every loss: the top-k SVMs compare with a (k+1)-th
    /// class, the noised losses use top_{k+1}, which exists for k + 1 ≤ n.
    /// </summary>
    private static void CheckK(string name, int k, int classCount)
    {
        int max = classCount - 1;
        if (k < 1 || k > max)
            throw new UsageException($"--k must be in [1, {max}] for loss {name} on {classCount} classes; got {k}.");
    }
}
