namespace TopKLoss.Cli.Data;

/// <summary>
/// Independent, reproducible random streams derived from the one --seed: the validation split, the
/// subsets and the noise must not share a generator, or changing one option (say --train-size)
/// would silently change the others' draws.
/// </summary>
public static class Seeds
{
    /// <summary>A generator for <paramref name="purpose"/> ("split", "noise", ...) under <paramref name="seed"/>. Stable across runs and .NET versions.</summary>
    public static Random For(int seed, string purpose, int index = 0) => new(Derive(seed, purpose, index));

    public static int Derive(int seed, string purpose, int index = 0)
    {
        // FNV-1a over the purpose (string.GetHashCode is randomized per process), mixed with seed and index.
        uint hash = 2166136261;
        foreach (char ch in purpose) hash = (hash ^ ch) * 16777619;
        ulong x = Mix(((ulong)hash << 32) | (uint)seed);
        x = Mix(x ^ ((ulong)(uint)index * 0x9E3779B97F4A7C15UL));
        return (int)(x & 0x7fffffff);
    }

    /// <summary>MurmurHash3's 64-bit finalizer: every input bit affects every output bit.</summary>
    private static ulong Mix(ulong x)
    {
        x ^= x >> 33; x *= 0xff51afd7ed558ccdUL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53UL; x ^= x >> 33;
        return x;
    }
}
