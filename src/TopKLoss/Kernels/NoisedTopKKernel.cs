using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.Kernels;

/// <summary>
/// Fused CPU perturbed k-th largest (Garcin et al. 2022, methods.md §2) as a TorchSharp autograd
/// function: out[b] = (1/B)·Σ_s top_k(x[b,:] + ε·z(b,:,s)), the normals drawn inside the pass by
/// <see cref="NoiseStream"/>; backward adds grad_out[b]/B at the recorded index of each sample's
/// k-th largest. Only the [batch, B] indices are kept between the passes, never a [batch, n, B]
/// tensor. Arithmetic follows the tensor-ops formula in the input's dtype: p = x + (T)ε·z.
/// <para>Exact pruning: every normal satisfies |z| ≤ R = <see cref="BoxMuller.Bound"/>, so every
/// perturbed entry lies in [x_i − εR, x_i + εR] (rounding is monotone) and each sample's k-th largest
/// is ≥ top_k(x) − εR. An entry with x_j + εR &lt; top_k(x) − εR can never reach a top k: its noise is
/// not drawn at all. With trained logits and small ε (0.01 to 0.2 in the paper) this leaves a
/// handful of candidates per row; with ε large against the score spread it prunes nothing.</para>
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

/// <summary>The per-row work of <see cref="NoisedTopKKernel"/> in the storage type T.</summary>
internal static unsafe class NoisedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Candidates per noise chunk: their normals (≤ 128·(B/4 + 2) blocks) stay in L1.</summary>
    private const int Chunk = 128;

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
                values[r] = Row(x, r, k, epsilon, samples, noise, scratch, rowIndices);
            }
        });
    }

    private sealed class Scratch(int n, int k, int samples)
    {
        public readonly bool UseBuffer = k <= Selection.BufferLimit;
        public readonly int[] Candidates = new int[n];
        public readonly long[] Blocks = new long[Chunk * ((samples + 3) / 4 + 2)];
        public readonly int[] FirstBlock = new int[Chunk];
        public readonly T[] Normals = new T[Chunk * ((samples + 3) / 4 + 2) * NoiseStream.PerBlock];
        public readonly T[] TopValues = new T[samples * k];
        public readonly int[] TopIndices = new int[samples * k];
        public readonly int[] Counts = new int[samples];
        public readonly T[] Thresholds = new T[samples];
        // Large k only: every candidate's perturbed value per sample, and a sort permutation.
        public readonly T[] Perturbed = k <= Selection.BufferLimit ? [] : new T[(long)samples * n];
        public readonly int[] Permutation = k <= Selection.BufferLimit ? [] : new int[n];
    }

    /// <summary>Mean over samples of the k-th largest of x + ε·z; records each sample's index.</summary>
    private static double Row(ReadOnlySpan<T> x, long row, int k, T epsilon, int samples, NoiseStream noise,
        Scratch s, Span<int> rowIndices)
    {
        int m = Candidates(x, k, epsilon, s);
        s.Counts.AsSpan().Clear();
        s.Thresholds.AsSpan().Fill(T.NegativeInfinity);
        for (int c0 = 0; c0 < m; c0 += Chunk)
        {
            int c1 = Math.Min(m, c0 + Chunk);
            DrawChunk(row, samples, s, c0, c1, noise);
            if (s.UseBuffer) OfferChunk(x, k, epsilon, samples, s, c0, c1);
            else StoreChunk(x, epsilon, samples, m, s, c0, c1);
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

    /// <summary>Columns that some draw could lift into a top k (all of them for large k); returns their count.</summary>
    private static int Candidates(ReadOnlySpan<T> x, int k, T epsilon, Scratch s)
    {
        int n = x.Length, m = 0;
        if (!s.UseBuffer)
        {
            for (int j = 0; j < n; j++) s.Candidates[j] = j;
            return n;
        }
        T kth = Selection.KthLargest(x, s.TopValues.AsSpan(0, k), s.TopIndices.AsSpan(0, k));
        T reach = epsilon * T.CreateTruncating(BoxMuller.Bound);
        T lower = kth - reach;
        for (int j = 0; j < n; j++)
            if (!(x[j] + reach < lower)) s.Candidates[m++] = j;
        return m;
    }

    /// <summary>Generates the normals of candidates c0..c1−1: the blocks their flat indices t = j·B + s fall in.</summary>
    private static void DrawChunk(long row, int samples, Scratch s, int c0, int c1, NoiseStream noise)
    {
        int count = 0;
        long last = -1;
        for (int i = c0; i < c1; i++)
        {
            long t0 = (long)s.Candidates[i] * samples;
            long q0 = t0 >> 2, q1 = (t0 + samples - 1) >> 2;
            s.FirstBlock[i - c0] = q0 == last ? count - 1 : count;
            for (long q = Math.Max(q0, last + 1); q <= q1; q++) s.Blocks[count++] = q;
            last = q1;
        }
        var blocks = s.Blocks.AsSpan(0, count);
        var normals = s.Normals.AsSpan(0, count * NoiseStream.PerBlock);
        if (blocks[^1] - blocks[0] == count - 1) noise.FillRange(row, blocks[0], count, normals);
        else noise.Fill(row, blocks, normals);
    }

    private static void OfferChunk(ReadOnlySpan<T> x, int k, T epsilon, int samples, Scratch s, int c0, int c1)
    {
        var thresholds = s.Thresholds;
        var counts = s.Counts;
        for (int i = c0; i < c1; i++)
        {
            int j = s.Candidates[i];
            T xj = x[j];
            var z = s.Normals.AsSpan(s.FirstBlock[i - c0] * NoiseStream.PerBlock + (int)(((long)j * samples) & 3), samples);
            for (int q = 0; q < samples; q++)
            {
                T v = xj + epsilon * z[q];
                if (!(v > thresholds[q]) && counts[q] == k) continue;
                var topValues = s.TopValues.AsSpan(q * k, k);
                Selection.Offer(topValues, s.TopIndices.AsSpan(q * k, k), ref counts[q], v, j);
                if (counts[q] == k) thresholds[q] = topValues[k - 1];
            }
        }
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
        foreach (T v in x) if (T.IsNaN(v)) return true;
        return false;
    }
}
