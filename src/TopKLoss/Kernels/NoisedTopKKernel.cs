using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Kernels;

/// <summary>
/// Fused CPU perturbed k-th largest (Garcin et al. 2022, methods.md §2) as a TorchSharp autograd
/// function: out[b] = (1/B)·Σ_s top_k(x[b,:] + ε·z(b,:,s)), the normals drawn inside the pass by
/// <see cref="NoiseStream"/>; backward adds grad_out[b]/B at the recorded index of each sample's
/// k-th largest. Only the [batch, B] indices are kept between the passes, never a [batch, n, B]
/// tensor. Arithmetic follows the tensor-ops formula in the input's dtype: p = x + (T)ε·z.
/// <para>Exact pruning (see <see cref="NoisedRows{T}"/>): every normal satisfies |z| ≤ R =
/// <see cref="BoxMuller.Bound"/> and rounding is monotone, so an entry that cannot reach a lower
/// bound of every sample's k-th largest is never offered; its noise is skipped where the bound
/// shows it (no normal at all when x_j + εR is below it; no log/sincos when the raw Philox word
/// already caps the Box–Muller radius). The result is bit-for-bit what drawing everything gives.
/// With trained logits and small ε (0.01 to 0.2 in the paper) most of a row is skipped; with ε
/// large against the score spread (ε = 1 on unit-variance scores) Philox still runs for every entry.</para>
/// Rows containing NaN give NaN and a NaN gradient row (as cross_entropy does).
/// </summary>
internal sealed class NoisedTopKKernel : autograd.SingleTensorFunction<NoisedTopKKernel>
{
    private sealed record Saved(long Batch, int N, int Samples, ScalarType Dtype, int[] Indices, bool[] NaNRows);

    public override string Name => nameof(NoisedTopKKernel);

    /// <summary>x: contiguous-able CPU float32/float64 [batch, n]; 1 ≤ k ≤ n; ε ≥ 0; samples ≥ 1.</summary>
    public static Tensor Apply(Tensor x, int k, double epsilon, int samples, ulong seed, ulong stream) =>
        apply(x, k, epsilon, samples, seed, stream);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = ((Tensor)vars[0]).contiguous();
        int k = (int)vars[1];
        double epsilon = (double)vars[2];
        int samples = (int)vars[3];
        var noise = new NoiseStream((ulong)vars[4], (ulong)vars[5]);
        long batch = x.shape[0];
        int n = (int)x.shape[1];
        var values = new double[batch];
        var indices = new int[batch * samples];
        var nanRows = new bool[batch];
        if (x.dtype == ScalarType.Float32)
            NoisedRows<float>.Run(CpuRows.Pointer(x), batch, n, k, (float)epsilon, samples, noise, values, indices, nanRows);
        else
            NoisedRows<double>.Run(CpuRows.Pointer(x), batch, n, k, epsilon, samples, noise, values, indices, nanRows);
        ctx.save_data("saved", new Saved(batch, n, samples, x.dtype, indices, nanRows));
        return tensor(values, dtype: x.dtype);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var s = (Saved)ctx.get_data("saved");
        double[] upstream = gradOutput.to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        var grad = zeros(s.Batch, s.N, dtype: s.Dtype);
        if (s.Dtype == ScalarType.Float32) Scatter<float>(CpuRows.Pointer(grad), s, upstream);
        else Scatter<double>(CpuRows.Pointer(grad), s, upstream);
        return new List<Tensor> { grad, null!, null!, null!, null!, null! };
    }

    /// <summary>grad[b, index(b, s)] += grad_out[b]/B for every sample s, in the dtype (as the one-hot mean does).</summary>
    private static unsafe void Scatter<T>(nint gradPtr, Saved s, double[] upstream) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long b = 0; b < s.Batch; b++)
        {
            var row = new Span<T>((T*)gradPtr + b * s.N, s.N);
            if (s.NaNRows[b]) { row.Fill(T.NaN); continue; }
            var share = T.CreateTruncating(upstream[b] / s.Samples);
            for (int q = 0; q < s.Samples; q++) row[s.Indices[b * s.Samples + q]] += share;
        }
    }
}

/// <summary>
/// The per-row work of <see cref="NoisedTopKKernel"/> in the storage type T. For k ≤
/// <see cref="Selection.BufferLimit"/> a row takes two passes, both exact:
/// <list type="number">
/// <item>the 2k + 16 largest x_j get all their normals drawn and fill each sample's k-buffer; the
/// buffer's last entry T_s can only rise later, so T = min_s T_s bounds every final k-th from below;</item>
/// <item>every other column j is skipped outright if x_j + εR &lt; T (R = <see cref="BoxMuller.Bound"/>);
/// otherwise its Philox words are drawn, and a Box–Muller pair whose radius r = √(−2 ln u) is
/// certainly below d_j = (T − x_j)/ε (minus rounding margins) cannot lift either of its normals to T:
/// the test is u &gt; exp(−d_j²/2), one integer comparison on the raw word. Only groups of 8 blocks
/// with some pair passing the test get log, sqrt and sincos.</item>
/// </list>
/// Skipped normals are stored as −∞ (they are certified below every sample's k-th, so they would
/// never enter a buffer); nothing else differs from drawing everything.
/// </summary>
internal static unsafe class NoisedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Candidates per noise chunk: their normals (≤ 128·(B/4 + 2) blocks) stay in L1.</summary>
    private const int Chunk = 128;

    /// <summary>Needed pairs (of 16) from which a group of 8 blocks is transformed whole rather than compacted.</summary>
    private const int DenseGroup = 6;

    /// <summary>Relative size of one rounding of the storage type, doubled: the margin of the skip test.</summary>
    private static readonly double RoundingSlack = Math.ScaleB(1.0, typeof(T) == typeof(float) ? -21 : -50);

    public static void Run(nint xPtr, long batch, int n, int k, T epsilon, int samples, NoiseStream noise,
        double[] values, int[] indices, bool[] nanRows)
    {
        CpuRows.For(batch, (long)n * samples * 8, 0, (first, end, _) =>
        {
            var scratch = new Scratch(n, k, samples);
            for (long r = first; r < end; r++)
            {
                var x = new ReadOnlySpan<T>((T*)xPtr + r * n, n);
                var rowIndices = indices.AsSpan((int)(r * samples), samples);
                if (HasNaN(x)) { values[r] = double.NaN; nanRows[r] = true; rowIndices.Clear(); continue; }
                values[r] = epsilon == T.Zero ? Hard(x, k, scratch, rowIndices) : Row(x, r, k, epsilon, samples, noise, scratch, rowIndices);
            }
        });
    }

    private sealed class Scratch(int n, int k, int samples)
    {
        public readonly bool UseBuffer = k <= Selection.BufferLimit;
        public readonly int FirstPass = Math.Min(n, 2 * k + 16);
        public readonly int[] Candidates = new int[n];
        public readonly bool[] InFirstPass = new bool[n];
        public readonly T[] FirstValues = new T[Math.Min(n, 2 * k + 16)];
        public readonly int[] FirstColumns = new int[Math.Min(n, 2 * k + 16)];
        public readonly long[] Blocks = new long[BlocksPerChunk(samples)];
        public readonly int[] BlockLimit = new int[BlocksPerChunk(samples)];
        public readonly int[] FirstBlock = new int[Chunk];
        public readonly bool[] Live = new bool[BlocksPerChunk(samples)];
        public readonly PendingPairs Pending = new();
        public readonly T[] Normals = new T[BlocksPerChunk(samples) * NoiseStream.PerBlock];
        public readonly T[] TopValues = new T[samples * k];
        public readonly int[] TopIndices = new int[samples * k];
        public readonly int[] Counts = new int[samples];
        public readonly T[] Thresholds = new T[samples];
        public readonly int[] ThresholdIndices = new int[samples];
        // Large k only: every candidate's perturbed value per sample, and a sort permutation.
        public readonly T[] Perturbed = k <= Selection.BufferLimit ? [] : new T[(long)samples * n];
        public readonly int[] Permutation = k <= Selection.BufferLimit ? [] : new int[n];

        private T[] denseNormals = [];

        /// <summary>A buffer of at least <paramref name="length"/> normals for <see cref="Dense"/>.</summary>
        public Span<T> DenseNormals(int length)
        {
            if (denseNormals.Length < length) denseNormals = new T[length];
            return denseNormals.AsSpan(0, length);
        }

        private static int BlocksPerChunk(int samples) => Chunk * ((samples + 3) / 4 + 2) + 8;
    }

    /// <summary>ε = 0: x + 0·z = x, so every sample picks the hard k-th largest (no noise drawn).</summary>
    private static double Hard(ReadOnlySpan<T> x, int k, Scratch s, Span<int> rowIndices)
    {
        var values = s.FirstValues.Length >= k ? s.FirstValues.AsSpan(0, k) : new T[k];
        var indices = s.Candidates.AsSpan(0, k);
        int count = 0;
        for (int j = 0; j < x.Length; j++)
            if (count < k || x[j] > values[k - 1]) Selection.Offer(values, indices, ref count, x[j], j);
        rowIndices.Fill(indices[k - 1]);
        return double.CreateTruncating(values[k - 1]);
    }

    /// <summary>Mean over samples of the k-th largest of x + ε·z; records each sample's index.</summary>
    private static double Row(ReadOnlySpan<T> x, long row, int k, T epsilon, int samples, NoiseStream noise,
        Scratch s, Span<int> rowIndices)
    {
        s.Counts.AsSpan().Clear();
        s.Thresholds.AsSpan().Fill(T.NegativeInfinity);
        int m;
        if (s.UseBuffer)
        {
            m = FirstPassCandidates(x, s);
            if (PruningIsHopeless(x, s.FirstValues[k - 1], epsilon))
            {
                foreach (int j in s.FirstColumns) s.InFirstPass[j] = false;
                return Dense(x, row, k, epsilon, samples, noise, s, rowIndices);
            }
            for (int c0 = 0; c0 < m; c0 += Chunk)
            {
                int c1 = Math.Min(m, c0 + Chunk);
                DrawChunk(x, row, samples, s, c0, c1, noise, T.NegativeInfinity, epsilon);
                OfferChunk(x, k, epsilon, samples, s, c0, c1);
            }
            T floor = T.PositiveInfinity;
            foreach (T t in s.Thresholds) floor = T.Min(floor, t);
            m = SecondPassCandidates(x, epsilon, floor, s);
            for (int c0 = 0; c0 < m; c0 += Chunk)
            {
                int c1 = Math.Min(m, c0 + Chunk);
                DrawChunk(x, row, samples, s, c0, c1, noise, floor, epsilon);
                OfferChunk(x, k, epsilon, samples, s, c0, c1);
            }
            foreach (int j in s.FirstColumns) s.InFirstPass[j] = false;
        }
        else
        {
            m = x.Length;
            for (int j = 0; j < m; j++) s.Candidates[j] = j;
            for (int c0 = 0; c0 < m; c0 += Chunk)
            {
                int c1 = Math.Min(m, c0 + Chunk);
                DrawChunk(x, row, samples, s, c0, c1, noise, T.NegativeInfinity, epsilon);
                StoreChunk(x, epsilon, samples, m, s, c0, c1);
            }
        }
        double sum = 0;
        for (int q = 0; q < samples; q++)
        {
            var (value, index) = s.UseBuffer
                ? (s.TopValues[q * k + k - 1], s.TopIndices[q * k + k - 1])
                : Selection.KthBySort(s.Perturbed, q * m, s.Candidates, m, k, s.Permutation);
            sum += double.CreateTruncating(value);
            rowIndices[q] = index;
        }
        return sum / samples;
    }

    /// <summary>
    /// Whether pruning would keep most columns anyway: a column can only matter if x_j + εR reaches
    /// the floor, which is at least x_(k) − εR (R the bound of |z|). When over three quarters of
    /// the row lies within 2εR of the k-th largest (noise as wide as the scores' spread), the
    /// bookkeeping costs more than it saves and <see cref="Dense"/> is faster. Either way the
    /// result is the same. <paramref name="kthLargest"/> comes from the first pass's sorted values.
    /// </summary>
    private static bool PruningIsHopeless(ReadOnlySpan<T> x, T kthLargest, T epsilon)
    {
        if (x.Length < 64) return false;
        T reach = kthLargest - T.CreateTruncating(2.0) * epsilon * T.CreateTruncating(BoxMuller.Bound);
        int within = 0;
        foreach (T v in x) if (v >= reach) within++;
        return within * 4 > x.Length * 3;
    }

    /// <summary>
    /// Every normal of the row (one contiguous counter range, t = j·B + s), then per sample the k-th
    /// largest of x_j + ε·z_t offered in ascending j: the same draws and the same tie order as the
    /// pruned path, without its per-column bookkeeping.
    /// </summary>
    private static double Dense(ReadOnlySpan<T> x, long row, int k, T epsilon, int samples, NoiseStream noise,
        Scratch s, Span<int> rowIndices)
    {
        int n = x.Length;
        int blocks = (int)(((long)n * samples + NoiseStream.PerBlock - 1) / NoiseStream.PerBlock);
        var z = s.DenseNormals(blocks * NoiseStream.PerBlock);
        noise.FillRange<T>(row, 0, blocks, z);
        double sum = 0;
        for (int q = 0; q < samples; q++)
        {
            var values = s.TopValues.AsSpan(q * k, k);
            var indices = s.TopIndices.AsSpan(q * k, k);
            int count = 0, j = 0;
            for (; j < k; j++) Selection.Offer(values, indices, ref count, x[j] + epsilon * z[j * samples + q], j);
            // Almost every entry fails this one comparison (ascending j: an equal value ranks after).
            T threshold = values[k - 1];
            for (int t = j * samples + q; j < n; j++, t += samples)
            {
                T v = x[j] + epsilon * z[t];
                if (v > threshold)
                {
                    Selection.Offer(values, indices, ref count, v, j);
                    threshold = values[k - 1];
                }
            }
            sum += double.CreateTruncating(threshold);
            rowIndices[q] = indices[k - 1];
        }
        return sum / samples;
    }

    /// <summary>The FirstPass largest x_j (value-descending, index-ascending) → candidates, ascending.</summary>
    private static int FirstPassCandidates(ReadOnlySpan<T> x, Scratch s)
    {
        int m = s.FirstPass, count = 0;
        var columns = s.FirstColumns.AsSpan();
        var values = s.FirstValues.AsSpan();
        for (int j = 0; j < x.Length; j++)
            if (count < m || x[j] > values[m - 1]) // ascending j: an equal value never ranks before
                Selection.Offer(values, columns, ref count, x[j], j);
        columns.Sort();
        columns.CopyTo(s.Candidates);
        foreach (int j in columns) s.InFirstPass[j] = true;
        return m;
    }

    /// <summary>Columns outside the first pass that some draw could lift to the floor: x_j + εR ≥ floor.</summary>
    private static int SecondPassCandidates(ReadOnlySpan<T> x, T epsilon, T floor, Scratch s)
    {
        T reach = epsilon * T.CreateTruncating(BoxMuller.Bound);
        int m = 0;
        for (int j = 0; j < x.Length; j++)
            if (!(x[j] + reach < floor) && !s.InFirstPass[j]) s.Candidates[m++] = j;
        return m;
    }

    /// <summary>
    /// Normals of candidates c0..c1−1 (the blocks their flat indices t = j·B + s fall in) into
    /// s.Normals; with a finite floor, groups of 8 blocks whose every Box–Muller pair is certified
    /// unable to reach it are left as −∞ without log, sqrt or sincos.
    /// </summary>
    private static void DrawChunk(ReadOnlySpan<T> x, long row, int samples, Scratch s, int c0, int c1, NoiseStream noise,
        T floor, T epsilon)
    {
        bool skipping = T.IsFinite(floor);
        int count = 0;
        long last = -1;
        for (int i = c0; i < c1; i++)
        {
            int j = s.Candidates[i];
            long t0 = (long)j * samples;
            long q0 = t0 >> 2, q1 = (t0 + samples - 1) >> 2;
            s.FirstBlock[i - c0] = q0 == last ? count - 1 : count;
            int limit = skipping ? Limit(double.CreateTruncating(x[j]), double.CreateTruncating(floor), double.CreateTruncating(epsilon)) : int.MaxValue;
            if (q0 == last) s.BlockLimit[count - 1] = Math.Max(s.BlockLimit[count - 1], limit);
            for (long q = Math.Max(q0, last + 1); q <= q1; q++)
            {
                s.BlockLimit[count] = limit;
                s.Blocks[count++] = q;
            }
            last = q1;
        }
        int padded = (count + 7) / 8 * 8;
        for (int g = count; g < padded; g++) { s.BlockLimit[g] = -1; s.Blocks[g] = s.Blocks[count - 1]; }
        bool contiguous = s.Blocks[count - 1] - s.Blocks[0] == count - 1;
        var list = contiguous ? ReadOnlySpan<long>.Empty : s.Blocks.AsSpan(0, padded);
        long first = s.Blocks[0];
        for (int start = 0; start < count; start += 8)
        {
            noise.Group(row, list, first, count, start, out var w0, out var w1, out var w2, out var w3);
            var destination = s.Normals.AsSpan(start * NoiseStream.PerBlock, 8 * NoiseStream.PerBlock);
            uint first2 = 0, last2 = 0;
            if (skipping)
            {
                var limit = Vector256.Create<int>(s.BlockLimit.AsSpan(start, 8));
                first2 = Vector256.LessThanOrEqual((w0 >> 1).AsInt32(), limit).ExtractMostSignificantBits();
                last2 = Vector256.LessThanOrEqual((w2 >> 1).AsInt32(), limit).ExtractMostSignificantBits();
            }
            // Dense groups (or no floor yet): all 16 pairs in one vector pass is cheaper than compaction.
            if (!skipping || BitOperations.PopCount(first2) + BitOperations.PopCount(last2) >= DenseGroup)
            {
                s.Live.AsSpan(start, 8).Fill(true);
                if (typeof(T) == typeof(float)) BoxMuller.Normals8(w0, w1, w2, w3, MemoryMarshal.Cast<T, float>(destination));
                else BoxMuller.Normals8(w0, w1, w2, w3, MemoryMarshal.Cast<T, double>(destination));
                continue;
            }
            // Only pairs whose radius might reach the floor get log, sqrt and sincos; the rest stay −∞.
            destination.Fill(T.NegativeInfinity);
            for (int lane = 0; lane < 8; lane++) s.Live[start + lane] = (((first2 | last2) >> lane) & 1) != 0;
            for (; first2 != 0; first2 &= first2 - 1)
            {
                int lane = BitOperations.TrailingZeroCount(first2);
                s.Pending.Push(w0.GetElement(lane), w1.GetElement(lane), (start + lane) * NoiseStream.PerBlock, s.Normals);
            }
            for (; last2 != 0; last2 &= last2 - 1)
            {
                int lane = BitOperations.TrailingZeroCount(last2);
                s.Pending.Push(w2.GetElement(lane), w3.GetElement(lane), (start + lane) * NoiseStream.PerBlock + 2, s.Normals);
            }
        }
        s.Pending.Flush(s.Normals);
    }

    /// <summary>Box–Muller pairs waiting to be transformed eight at a time, each with the slot of its cosine normal (sine at +1).</summary>
    private sealed class PendingPairs
    {
        private readonly uint[] radius = new uint[8], angle = new uint[8];
        private readonly int[] at = new int[8];
        private readonly T[] cos = new T[8], sin = new T[8];
        private int count;

        public void Push(uint radiusWord, uint angleWord, int slot, T[] normals)
        {
            radius[count] = radiusWord;
            angle[count] = angleWord;
            at[count++] = slot;
            if (count == 8) Flush(normals);
        }

        public void Flush(T[] normals)
        {
            if (count == 0) return;
            for (int i = count; i < 8; i++) { radius[i] = radius[0]; angle[i] = angle[0]; }
            var r = Vector256.Create<uint>(radius);
            var a = Vector256.Create<uint>(angle);
            if (typeof(T) == typeof(float)) BoxMuller.Pairs8(r, a, MemoryMarshal.Cast<T, float>(cos.AsSpan()), MemoryMarshal.Cast<T, float>(sin.AsSpan()));
            else BoxMuller.Pairs8(r, a, MemoryMarshal.Cast<T, double>(cos.AsSpan()), MemoryMarshal.Cast<T, double>(sin.AsSpan()));
            for (int i = 0; i < count; i++) { normals[at[i]] = cos[i]; normals[at[i] + 1] = sin[i]; }
            count = 0;
        }
    }

    /// <summary>
    /// Largest raw half-word w >> 1 for which a pair's radius might reach d = (floor − x)/ε (shrunk
    /// by rounding margins): r ≥ d ⇔ u ≤ U = exp(−d²/2), u = ((w >> 1) + ½)·2⁻³¹. U is rounded up to
    /// a quarter power of two, 2^(⌈4·log₂U⌉/4), which needs no exp. int.MaxValue: always needed. The
    /// margins (10⁻⁴ relative on d, i.e. U·e^(10⁻⁴d²) ≥ U·(1 + 2.5·10⁻⁵) for d ≥ ½; two roundings of
    /// the sum) dwarf the float error of log, sqrt and sincos, so a skipped normal is certainly below the floor.
    /// </summary>
    private static int Limit(double x, double floor, double epsilon)
    {
        double gap = floor - x - (Math.Abs(floor) + Math.Abs(x)) * RoundingSlack;
        double d = gap / epsilon * (1 - 1e-4);
        if (!(d >= 0.5)) return int.MaxValue;
        double quarters = Math.Ceiling(-d * d * (2 / Math.Log(2))); // ⌈4·log₂U⌉ ≤ 0
        if (quarters < -4 * 40) return 0;
        int q = (int)quarters, whole = q >> 2; // floor division by 4
        double power = BitConverter.Int64BitsToDouble((long)(1023 + 31 + whole) << 52); // 2^(31 + whole), whole ≥ −40
        double limit = QuarterPowers[q - 4 * whole] * power + 1; // + 1: the ceiling, conservatively
        return limit >= int.MaxValue ? int.MaxValue : (int)limit;
    }

    /// <summary>2^(i/4), i = 0..3, rounded up.</summary>
    private static readonly double[] QuarterPowers = [1.0, 1.1892071150027212, 1.4142135623730954, 1.6817928305074292];

    private static void OfferChunk(ReadOnlySpan<T> x, int k, T epsilon, int samples, Scratch s, int c0, int c1)
    {
        var thresholds = s.Thresholds;
        int lanes = Vector256<T>.Count, wide = samples - samples % lanes;
        for (int i = c0; i < c1; i++)
        {
            int j = s.Candidates[i];
            int lane0 = (int)(((long)j * samples) & 3), block0 = s.FirstBlock[i - c0];
            if (!AnyLive(s.Live, block0, ((lane0 + samples - 1) >> 2) + 1)) continue; // all −∞
            T xj = x[j];
            var z = s.Normals.AsSpan(block0 * NoiseStream.PerBlock + lane0, samples);
            // Vector pre-test: a sample can only change its buffer if v ≥ its threshold (−∞ while not full).
            for (int q0 = 0; q0 < wide; q0 += lanes)
            {
                var v = Vector256.Create(xj) + Vector256.Create(epsilon) * Vector256.Create<T>(z.Slice(q0, lanes));
                if (Vector256.GreaterThanOrEqualAny(v, Vector256.Create<T>(thresholds.AsSpan(q0, lanes))))
                    for (int q = q0; q < q0 + lanes; q++) Offer(s, k, q, xj + epsilon * z[q], j);
            }
            for (int q = wide; q < samples; q++) Offer(s, k, q, xj + epsilon * z[q], j);
        }
    }

    private static bool AnyLive(bool[] live, int first, int count)
    {
        for (int b = first; b < first + count; b++) if (live[b]) return true;
        return false;
    }

    /// <summary>Offers v (column j) to sample q's buffer and refreshes its threshold once the buffer is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Offer(Scratch s, int k, int q, T v, int j)
    {
        if (s.Counts[q] == k && !Selection.Before(v, j, s.Thresholds[q], s.ThresholdIndices[q])) return;
        var topValues = s.TopValues.AsSpan(q * k, k);
        var topIndices = s.TopIndices.AsSpan(q * k, k);
        Selection.Offer(topValues, topIndices, ref s.Counts[q], v, j);
        if (s.Counts[q] == k) { s.Thresholds[q] = topValues[k - 1]; s.ThresholdIndices[q] = topIndices[k - 1]; }
    }

    private static void StoreChunk(ReadOnlySpan<T> x, T epsilon, int samples, int m, Scratch s, int c0, int c1)
    {
        for (int i = c0; i < c1; i++)
        {
            int j = s.Candidates[i];
            var z = s.Normals.AsSpan(s.FirstBlock[i - c0] * NoiseStream.PerBlock + (int)(((long)j * samples) & 3), samples);
            for (int q = 0; q < samples; q++) s.Perturbed[(long)q * m + i] = x[j] + epsilon * z[q];
        }
    }

    private static bool HasNaN(ReadOnlySpan<T> x)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<T>.Count <= x.Length; i += Vector256<T>.Count)
            {
                var v = Vector256.Create(x.Slice(i, Vector256<T>.Count));
                if (!Vector256.EqualsAll(v, v)) return true;
            }
        for (; i < x.Length; i++) if (T.IsNaN(x[i])) return true;
        return false;
    }
}
