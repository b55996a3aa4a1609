namespace TopKLoss.Cli.Training;

/// <summary>
/// Which losses train with the cosine classifier head (TopK.NormedLinear) unless --normed-head
/// says otherwise. LDAM (Cao et al. 2019) and the imbalanced noised top-k hinge (Garcin et al.
/// 2022) scale cosine scores by s = 30 / 50: on an unnormalized linear head the same scale blows the
/// scores up and the run stays at chance (observed: train loss 710 → 920, top-1 at 1 %).
/// </summary>
public static class CosineHead
{
    public static readonly IReadOnlySet<string> DefaultFor = new HashSet<string>(StringComparer.Ordinal) { "ldam", "imbalanced-noised" };

    /// <summary>The head a run uses: the explicit --normed-head choice, else the loss's published one.</summary>
    public static bool Uses(bool? choice, string loss) => choice ?? DefaultFor.Contains(loss);
}
