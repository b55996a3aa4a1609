using static TorchSharp.torch;

namespace TopKLoss.Validation;

/// <summary>
/// The one input-validation path of the library. Every public entry point validates here, before
/// any native call (some libtorch errors abort the process instead of throwing), and every message
/// names the argument and the allowed range.
/// </summary>
internal static class Check
{
    /// <summary>scores: 2-D floating point, batch ≥ 1, at least <paramref name="minClasses"/> columns.</summary>
    public static void Scores(Tensor scores, long minClasses = 2, string name = "scores")
    {
        ArgumentNullException.ThrowIfNull(scores, name);
        if (scores.dim() != 2)
            throw new ArgumentException($"{name} must be 2-D [batch, classes]; got shape [{string.Join(", ", scores.shape)}].", name);
        if (!scores.is_floating_point())
            throw new ArgumentException($"{name} must be floating point (float16, bfloat16, float32 or float64); got {scores.dtype}.", name);
        if (scores.shape[0] < 1)
            throw new ArgumentException($"{name} must hold at least one sample (batch ≥ 1); got an empty batch.", name);
        if (scores.shape[1] < minClasses)
            throw new ArgumentException($"{name} must have at least {minClasses} classes; got {scores.shape[1]}.", name);
    }

    /// <summary>labels: 1-D integer tensor of length batch, on the scores' device, values in [0, classes).</summary>
    public static void Labels(Tensor labels, Tensor scores, string name = "labels")
    {
        ArgumentNullException.ThrowIfNull(labels, name);
        if (labels.dim() != 1)
            throw new ArgumentException($"{name} must be 1-D [batch]; got shape [{string.Join(", ", labels.shape)}].", name);
        if (labels.is_floating_point() || labels.is_complex() || labels.dtype == ScalarType.Bool)
            throw new ArgumentException($"{name} must be an integer tensor (int64, int32, int16, int8 or uint8); got {labels.dtype}.", name);
        SameBatch(labels, scores, name);
        SameDevice(labels, scores, name);
        long n = scores.shape[1];
        if (labels.device_type != TorchSharp.DeviceType.CPU && !TopK.ValidateDeviceLabels) return;
        // One copy of [min, max] to the host: on a GPU a single sync per call, not one per .item().
        // Int64 first: data<long>() needs it (uint8/int8/int16/int32 labels would crash there).
        using var scope = NewDisposeScope();
        var range = stack(new[] { labels.min(), labels.max() }).to_type(ScalarType.Int64).cpu().data<long>();
        long min = range[0], max = range[1];
        if (min < 0 || max >= n)
            throw new ArgumentOutOfRangeException(name, $"{name} must lie in [0, {n}) for {n} classes; got values in [{min}, {max}].");
    }

    public static void SameBatch(Tensor other, Tensor scores, string name)
    {
        if (other.shape[0] != scores.shape[0])
            throw new ArgumentException($"{name} has batch size {other.shape[0]} but scores has {scores.shape[0]}; they must match.", name);
    }

    public static void SameDevice(Tensor other, Tensor scores, string name)
    {
        if (other.device.type != scores.device.type || other.device.index != scores.device.index)
            throw new ArgumentException($"{name} is on {other.device} but scores is on {scores.device}; they must be on the same device.", name);
    }

    /// <summary>
    /// 1 ≤ k ≤ classes − 1: the top-k SVMs need a (k+1)-th class to compare with, and the noised
    /// losses' top_{k+1} needs k + 1 ≤ n; both are k &lt; n.
    /// </summary>
    public static void K(int k, long classes, string name = "k")
    {
        if (k < 1 || k >= classes)
            throw new ArgumentOutOfRangeException(name, k, $"{name} must satisfy 1 ≤ {name} < n = {classes} (the number of classes); got {k}.");
    }

    public static void Positive(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and > 0; got {value}.");
    }

    public static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || !double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and ≥ 0; got {value}.");
    }

    public static void AtLeast(long value, long min, string name)
    {
        if (value < min)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be ≥ {min}; got {value}.");
    }

    public static void Reduction(nn.Reduction reduction)
    {
        if (reduction is not (nn.Reduction.None or nn.Reduction.Mean or nn.Reduction.Sum))
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "reduction must be None, Mean or Sum.");
    }

    // ---- Noised top-k losses, baselines and metrics (issue 3) ----

    /// <summary>1 ≤ k ≤ n: the k-th largest of n values exists (perturbed_topk, metrics).</summary>
    public static void KthLargest(int k, long classes, string name = "k")
    {
        if (k < 1 || k > classes)
            throw new ArgumentOutOfRangeException(name, k, $"{name} must satisfy 1 ≤ {name} ≤ n = {classes} (the number of classes); got {k}.");
    }

    /// <summary>noise: floating point [batch, n, B] with B ≥ 1, on x's device.</summary>
    public static void Noise(Tensor noise, Tensor x, string name = "noise")
    {
        ArgumentNullException.ThrowIfNull(noise, name);
        long batch = x.shape[0], n = x.shape[1];
        if (noise.dim() != 3 || noise.shape[0] != batch || noise.shape[1] != n || noise.shape[2] < 1)
            throw new ArgumentException(
                $"{name} must have shape [batch, n, B] = [{batch}, {n}, B] with B ≥ 1 samples; got [{string.Join(", ", noise.shape)}].", name);
        if (!noise.is_floating_point())
            throw new ArgumentException($"{name} must be floating point; got {noise.dtype}.", name);
        SameDevice(noise, x, name);
    }

    /// <summary>A generator must live on the device it draws for (a CPU generator cannot fill a CUDA tensor).</summary>
    public static void GeneratorDevice(Generator? generator, Tensor x, string name = "generator")
    {
        if (generator is not null && generator.device.type != x.device.type)
            throw new ArgumentException($"{name} is a {generator.device.type} generator but the scores are on {x.device}; they must match.", name);
    }

    /// <summary>margins: 1-D floating point of length n (one per class), on the scores' device.</summary>
    public static void Margins(Tensor margins, Tensor scores, string name = "margins")
    {
        ArgumentNullException.ThrowIfNull(margins, name);
        long n = scores.shape[1];
        if (margins.dim() != 1 || margins.shape[0] != n)
            throw new ArgumentException($"{name} must be 1-D with one margin per class, shape [{n}]; got [{string.Join(", ", margins.shape)}].", name);
        if (!margins.is_floating_point())
            throw new ArgumentException($"{name} must be floating point; got {margins.dtype}.", name);
        SameDevice(margins, scores, name);
    }

    /// <summary>class_counts: at least one class, every count ≥ 1 (margins use n_c^(−1/4)).</summary>
    public static void ClassCounts(long[] class_counts, string name = "class_counts")
    {
        ArgumentNullException.ThrowIfNull(class_counts, name);
        if (class_counts.Length < 1)
            throw new ArgumentException($"{name} must hold one count per class (length ≥ 1); got an empty array.", name);
        for (int c = 0; c < class_counts.Length; c++)
            if (class_counts[c] < 1)
                throw new ArgumentOutOfRangeException(name, class_counts[c], $"{name} must all be ≥ 1 (training examples per class); class {c} has {class_counts[c]}.");
    }

    /// <summary>
    /// Something sized for <paramref name="expected"/> classes (<paramref name="what"/>) used with scores of
    /// another width; <paramref name="name"/> is the argument blamed.
    /// </summary>
    public static void ClassesMatch(long expected, Tensor scores, string what, string name = "scores")
    {
        if (scores.shape[1] != expected)
            throw new ArgumentException($"scores has {scores.shape[1]} classes but {what} is {expected}; they must match.", name);
    }

    /// <summary>ks: at least one k, each 1 ≤ k ≤ num_classes.</summary>
    public static void Ks(int[] ks, long classes, string name = "ks")
    {
        ArgumentNullException.ThrowIfNull(ks, name);
        if (ks.Length < 1)
            throw new ArgumentException($"{name} must list at least one k (e.g. 1, 3, 5); got none.", name);
        foreach (int k in ks) KthLargest(k, classes, name);
    }
}
