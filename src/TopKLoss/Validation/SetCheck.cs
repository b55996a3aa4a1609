using static TorchSharp.torch;

namespace TopKLoss.Validation;

/// <summary>
/// Validation of the set-valued prediction, calibration and long-tail APIs (issue 15), kept apart from
/// <see cref="Check"/> so that both can change independently. Every message names the argument and the range.
/// </summary>
internal static class SetCheck
{
    /// <summary>0 &lt; alpha &lt; 1: a miscoverage level.</summary>
    public static void Alpha(double alpha, string name = "alpha")
    {
        if (!(alpha > 0 && alpha < 1))
            throw new ArgumentOutOfRangeException(name, alpha, $"{name} must lie in (0, 1) (target coverage 1 − {name}); got {alpha}.");
    }

    /// <summary>0 &lt; set_size ≤ classes: an average set size.</summary>
    public static void SetSize(double setSize, long classes, string name = "set_size")
    {
        if (!(setSize > 0 && setSize <= classes))
            throw new ArgumentOutOfRangeException(name, setSize, $"{name} must lie in (0, {classes}] (the number of classes); got {setSize}.");
    }

    /// <summary>Every score finite: sets and calibration are undefined for NaN or infinite scores.</summary>
    public static void Finite(double[] values, string name = "scores")
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name} must be finite for set prediction and calibration; element {i} is {values[i]}.", name);
    }

    /// <summary>sets: 2-D bool [batch, classes] membership mask.</summary>
    public static void Sets(Tensor sets, string name = "sets")
    {
        ArgumentNullException.ThrowIfNull(sets, name);
        if (sets.dim() != 2 || sets.dtype != ScalarType.Bool)
            throw new ArgumentException($"{name} must be a 2-D bool mask [batch, classes]; got {sets.dtype} of shape [{string.Join(", ", sets.shape)}].", name);
        if (sets.shape[0] < 1 || sets.shape[1] < 1)
            throw new ArgumentException($"{name} must hold at least one sample and one class; got shape [{string.Join(", ", sets.shape)}].", name);
    }

    /// <summary>class_counts for a long-tail split: one count ≥ 0 per class.</summary>
    public static void TrainingCounts(long[] counts, int classes, string name = "class_counts")
    {
        ArgumentNullException.ThrowIfNull(counts, name);
        if (counts.Length != classes)
            throw new ArgumentException($"{name} must hold one training count per class ({classes}); got {counts.Length}.", name);
        for (int c = 0; c < counts.Length; c++)
            if (counts[c] < 0)
                throw new ArgumentOutOfRangeException(name, counts[c], $"{name} must all be ≥ 0; class {c} has {counts[c]}.");
    }

    /// <summary>ks and weights of a mixture: same length ≥ 1, distinct k in [1, classes), weights finite and &gt; 0.</summary>
    public static void KMix(int[] ks, double[] weights, long classes)
    {
        ArgumentNullException.ThrowIfNull(ks, nameof(ks));
        ArgumentNullException.ThrowIfNull(weights, nameof(weights));
        if (ks.Length < 1)
            throw new ArgumentException("ks must list at least one k; got none.", nameof(ks));
        if (weights.Length != ks.Length)
            throw new ArgumentException($"weights must hold one weight per k ({ks.Length}); got {weights.Length}.", nameof(weights));
        if (ks.Distinct().Count() != ks.Length)
            throw new ArgumentException($"ks must be distinct; got {{{string.Join(", ", ks)}}}.", nameof(ks));
        foreach (int k in ks) Check.K(k, classes, name: nameof(ks));
        foreach (double w in weights) Check.Positive(w, nameof(weights));
    }
}
