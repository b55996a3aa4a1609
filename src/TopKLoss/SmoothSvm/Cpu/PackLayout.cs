namespace TopKLoss.Kernels;

/// <summary>
/// Where a pack's vectors lie when one packed call computes several <i>members</i> for the same
/// rows: the terms k_1, k_2, … of a multi-k smooth SVM (one member for a single k, and for
/// log_esp). Member m has its degree K_m and its scale (1/(k_m·τ), or 1), hence its own
/// exponentials e_m = exp(x·scale_m − shift_m), σ_m (K_m + 1 vectors), checkpoints and adjoint
/// (K_m + 1). With more than one member the scores are read into one part buffer x and every
/// member's exponentials are taken from it: the scores are read and transposed once per pass.
/// <para>What the forward keeps for the backward lies in the pack's region of the kept buffer,
/// member after member: [e_m (n vectors) if the exponentials are kept] [σ_m, checkpoints_m] if the
/// state is kept. Everything else lies in the pack's scratch: [x (a part, when members &gt; 1)],
/// then per member [e_m (a part) unless kept] [σ_m, checkpoints_m unless kept] [adjoint_m], then
/// the reverse sweep's block states (<see cref="PackedEsp{V,L}.BlockLength"/> of the largest K).</para>
/// <para>Exponentials by power: where member b's k is r times member a's (2 ≤ r ≤ <see cref="MaxPower"/>;
/// scale_a = r·scale_b), e_a = exp(z·scale_a − shift_a) is computed as e_b^r by ⌊log₂ r⌋ + popcount(r) − 1
/// multiplies instead of another exp: for k = 1 and 5, e_1 = e_5^5 in 3 multiplies. It equals the exp up
/// to ~r ulp (r roundings of e_b's ≤ 2 ulp, plus the multiplies' own) and a shift that differs from
/// shift_a by its rounding (≤ 1 ulp of shift_a); the loss and its gradient stay within 1e-14 relative
/// of the single-k calls (tested at 1e-12). The source member's exponentials are always an exp (no chains).</para>
/// </summary>
internal sealed class PackLayout
{
    /// <summary>Largest power r taken (≤ 3 squarings and 3 multiplies; the error grows like r ulp).</summary>
    public const int MaxPower = 8;

    private readonly int[] degree, e, sigma, checkpoints, checkpointLength, adjoint, source, power;
    private readonly double[] scale;
    private readonly int block;

    /// <summary>The layout of packs of <typeparamref name="L"/>'s width.</summary>
    /// <param name="n">Row length.</param>
    /// <param name="degrees">K_m per member.</param>
    /// <param name="scales">The factor of each member's exponentials.</param>
    /// <param name="withCheckpoints">Whether the forward records checkpoints (only a backward needs them).</param>
    /// <param name="keepExponentials">e_m of all n columns in the kept region (implies <paramref name="keepState"/>).</param>
    /// <param name="keepState">σ_m and the checkpoints in the kept region.</param>
    public static PackLayout For<V, L>(int n, int[] degrees, double[] scales, bool withCheckpoints, bool keepExponentials, bool keepState)
        where V : struct where L : ILanes<V> =>
        new(n, degrees, scales, degrees.Select(K => withCheckpoints ? PackedEsp<V, L>.CheckpointLength(n, K) : 0).ToArray(),
            PackedEsp<V, L>.BlockLength(degrees.Max()), keepExponentials, keepState, L.Count);

    private PackLayout(int n, int[] degrees, double[] scales, int[] checkpointLengths, int blockStates, bool keepExponentials, bool keepState, int lanes)
    {
        N = n;
        Lanes = lanes;
        Part = PackStream.PartLength(n);
        ExponentialsKept = keepExponentials;
        StateKept = keepState || keepExponentials;
        (degree, scale) = (degrees, scales);
        int members = degrees.Length;
        checkpointLength = checkpointLengths;
        (e, sigma, checkpoints, adjoint) = (new int[members], new int[members], new int[members], new int[members]);
        (source, power) = PowerSources(degrees);
        int kept = 0, scratch = members > 1 ? Part : 0; // x first
        for (int m = 0; m < members; m++)
        {
            int K = degrees[m];
            if (ExponentialsKept) { e[m] = kept; kept += n; }
            else { e[m] = scratch; scratch += Part; }
            ref int state = ref StateKept ? ref kept : ref scratch;
            sigma[m] = state;
            checkpoints[m] = state + K + 1;
            state += K + 1 + checkpointLength[m];
            adjoint[m] = scratch;
            scratch += K + 1;
        }
        block = scratch;
        scratch += blockStates;
        (KeptLength, ScratchLength) = (StateKept ? kept : 0, scratch);
    }

    public int N { get; }
    /// <summary>Rows per pack.</summary>
    public int Lanes { get; }
    /// <summary>Columns per pass (<see cref="PackStream.PartLength"/>).</summary>
    public int Part { get; }
    public int Members => degree.Length;
    public bool ExponentialsKept { get; }
    public bool StateKept { get; }
    /// <summary>Vectors per pack in the kept buffer (0 when nothing is kept).</summary>
    public int KeptLength { get; }
    /// <summary>Vectors per pack of scratch.</summary>
    public int ScratchLength { get; }
    public int Degree(int m) => degree[m];

    /// <summary>The factor of member m's exponentials.</summary>
    public double Scale(int m) => scale[m];

    /// <summary>The member whose exponentials member m's are a power of (−1: m's are an exp), and that power.</summary>
    public (int Member, int Power) Source(int m) => (source[m], power[m]);

    /// <summary>Whether a pack computes some member's exponentials as a power of another's (see the class summary); tests and benchmarks turn it off.</summary>
    internal static bool Powers { get; set; } = true;

    /// <summary>
    /// For each member, a source member with k r times its own (2 ≤ r ≤ <see cref="MaxPower"/>, the
    /// smallest r) among the members whose exponentials are an exp; members are looked at from the
    /// largest k down (a larger k's status is settled first), so the largest k is always an exp.
    /// </summary>
    private static (int[] Source, int[] Power) PowerSources(int[] degrees)
    {
        int members = degrees.Length;
        var (source, power) = (Enumerable.Repeat(-1, members).ToArray(), new int[members]);
        if (!Powers) return (source, power);
        foreach (int a in Enumerable.Range(0, members).OrderByDescending(m => degrees[m]))
            for (int r = 2; r <= MaxPower && source[a] < 0; r++)
                for (int b = 0; b < members; b++)
                    if (b != a && source[b] < 0 && degrees[b] == r * degrees[a]) { (source[a], power[a]) = (b, r); break; }
        return (source, power);
    }

    /// <summary>A pack's vectors: its region of the kept buffer (empty when nothing is kept) and its scratch.</summary>
    public PackBuffers<V> Buffers<V>(Span<V> kept, Span<V> scratch) where V : struct => new(this, kept, scratch);

    internal int EOffset(int m) => e[m];
    internal int SigmaOffset(int m) => sigma[m];
    internal int CheckpointOffset(int m) => checkpoints[m];
    internal int CheckpointLength(int m) => checkpointLength[m];
    internal int AdjointOffset(int m) => adjoint[m];
    internal int BlockOffset => block;
}

/// <summary>One pack's member vectors, as <see cref="PackLayout"/> places them.</summary>
internal readonly ref struct PackBuffers<V> where V : struct
{
    private readonly Span<V> kept, scratch;

    public PackBuffers(PackLayout layout, Span<V> kept, Span<V> scratch)
    {
        Layout = layout;
        this.kept = kept;
        this.scratch = scratch;
    }

    public PackLayout Layout { get; }

    /// <summary>The scores of one part, shared by the members (only when there are several).</summary>
    public Span<V> X => scratch[..Layout.Part];

    /// <summary>Member m's exponentials: n vectors when kept, else one part.</summary>
    public Span<V> E(int m) => Layout.ExponentialsKept ? kept.Slice(Layout.EOffset(m), Layout.N) : scratch.Slice(Layout.EOffset(m), Layout.Part);

    public Span<V> Sigma(int m) => State.Slice(Layout.SigmaOffset(m), Layout.Degree(m) + 1);

    /// <summary>Member m's checkpoints (empty when the forward records none).</summary>
    public Span<V> Checkpoints(int m) => State.Slice(Layout.CheckpointOffset(m), Layout.CheckpointLength(m));

    public Span<V> Adjoint(int m) => scratch.Slice(Layout.AdjointOffset(m), Layout.Degree(m) + 1);

    /// <summary>The reverse sweep's block states.</summary>
    public Span<V> Block => scratch[Layout.BlockOffset..];

    private Span<V> State => Layout.StateKept ? kept : scratch;
}
