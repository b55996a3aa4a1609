using TorchSharp;
using static TorchSharp.torch;

namespace TopKLoss.SmoothSvm;

/// <summary>
/// The smooth and hard top-k SVM written with plain TorchSharp tensor ops and autograd:
/// device-agnostic (the CUDA path) and the oracle the fused CPU kernels are tested against.
/// log σ_j is computed by multiplying the degree-1 factors (1 + e_i X) pairwise in a balanced
/// tree, truncated at degree K, in log space (docs/derivations.md §3); gradients come from autograd
/// through the tree, which is exact (no cancellation).
/// </summary>
internal static class SmoothSvmOps
{
    // A finite stand-in for log 0: −inf would turn logsumexp's backward into NaN (exp(−inf − −inf)).
    // Products only add these, and log2(n) levels of doubling stay far inside float32's range.
    private const double LogZero = -1e30;

    /// <summary>log σ_j(exp x) for j = 0..K, x [batch, m] → [batch, K+1]; −inf where j > m.</summary>
    public static Tensor LogEsp(Tensor x, int K)
    {
        long batch = x.shape[0], m = x.shape[1];
        // Leaves: the polynomials 1 + e_i X as log coefficients [0, x_i, LogZero, ...].
        var poly = LogPolynomial(x.unsqueeze(-1), K);
        while (poly.shape[1] > 1)
        {
            if (poly.shape[1] % 2 == 1) // pad with the polynomial 1
                poly = cat(new[] { poly, LogPolynomial(null, K, batch, x) }, dim: 1);
            var a = poly[.., TensorIndex.Slice(0, null, 2)];
            var b = poly[.., TensorIndex.Slice(1, null, 2)];
            var coefficients = new Tensor[K + 1];
            for (int c = 0; c <= K; c++)
            {
                // coefficient c of a·b = Σ_{i+j=c} a_i b_j, i.e. a logsumexp of sums in log space
                var terms = stack(Enumerable.Range(0, c + 1).Select(i => a[.., .., i].add(b[.., .., c - i], Scalars.One)).ToArray(), dim: -1);
                coefficients[c] = terms.logsumexp(-1);
            }
            poly = stack(coefficients, dim: -1);
        }
        var result = poly.squeeze(1);
        if (K > m)
        {
            using Scalar degrees = (K + 1).ToScalar(), rowLength = m.ToScalar(), minusInfinity = double.NegativeInfinity.ToScalar();
            var absent = arange(Scalars.Zero, degrees, Scalars.One, device: x.device).gt(rowLength).unsqueeze(0).expand(batch, K + 1);
            result = result.masked_fill(absent, minusInfinity);
        }
        return result;
    }

    /// <summary>[0, linear, LogZero…] up to degree K: 1 + e·X in log space, or the constant 1 when linear is null.</summary>
    private static Tensor LogPolynomial(Tensor? linear, int K, long batch = 0, Tensor? like = null)
    {
        var proto = linear ?? like!;
        long b = linear?.shape[0] ?? batch, m = linear?.shape[1] ?? 1;
        var parts = new List<Tensor> { zeros(new[] { b, m, 1 }, dtype: proto.dtype, device: proto.device) };
        int filled = 1;
        if (linear is not null) { parts.Add(linear); filled = 2; }
        if (K + 1 > filled)
        {
            using var logZero = LogZero.ToScalar();
            parts.Add(full(new[] { b, m, K + 1 - filled }, logZero, dtype: proto.dtype, device: proto.device));
        }
        return cat(parts.ToArray(), dim: -1);
    }

    /// <summary>Per-sample smooth top-k SVM with the published hard/smooth switch.</summary>
    public static Tensor SmoothLoss(Tensor s, Tensor y, int k, double tau, double alpha)
    {
        var smooth = SmoothOnly(s, y, k, tau, alpha);
        var hard = HardLoss(s, y, k, alpha);
        return where(UseHard(s, k, tau), hard, smooth);
    }

    /// <summary>Rows whose k-th and (k+1)-th largest scores are ≥ kτ·ln(1000) apart take the hard loss.</summary>
    public static Tensor UseHard(Tensor s, int k, double tau)
    {
        var top = s.detach().topk(k + 1, dim: 1).values;
        using var threshold = (k * tau * Math.Log(1000.0)).ToScalar();
        return (top[.., k - 1] - top[.., k]).ge(threshold);
    }

    /// <summary>L = τ·softplus(α/τ + log σ_k(e) − log σ_{k−1}(e) − s_y/(kτ)), e_j = exp(s_j/(kτ)), j ≠ y.</summary>
    public static Tensor SmoothOnly(Tensor s, Tensor y, int k, double tau, double alpha)
    {
        using Scalar kTau = (k * tau).ToScalar(), alphaOverTau = (alpha / tau).ToScalar(), tauScalar = tau.ToScalar();
        var x = s.div(kTau);
        var others = OtherClasses(x, y);
        var logSigma = LogEsp(others, k);
        var u = logSigma[.., k].add(alphaOverTau, Scalars.One) - logSigma[.., k - 1] - x.gather(1, y.unsqueeze(1)).squeeze(1);
        // softplus without torch's threshold shortcut: max(u, 0) + log1p(exp(−|u|))
        return u.clamp_min(Scalars.Zero).add(u.abs().neg().exp().log1p(), Scalars.One).mul(tauScalar);
    }

    /// <summary>l_k = max(0, α + (top_k(s₋) − s_y)/k), s₋ the scores of the other classes.</summary>
    public static Tensor HardLoss(Tensor s, Tensor y, int k, double alpha)
    {
        var others = OtherClasses(s, y);
        var kth = others.topk(k, dim: 1).values[.., k - 1];
        using Scalar kScalar = k.ToScalar(), alphaScalar = alpha.ToScalar();
        return (kth - s.gather(1, y.unsqueeze(1)).squeeze(1)).div(kScalar).add(alphaScalar, Scalars.One).clamp_min(Scalars.Zero);
    }

    /// <summary>Row i without column y_i: [batch, n] → [batch, n − 1].</summary>
    public static Tensor OtherClasses(Tensor x, Tensor y)
    {
        long n = x.shape[1];
        using var stop = (n - 1).ToScalar();
        var j = arange(Scalars.Zero, stop, Scalars.One, device: x.device).unsqueeze(0);
        var index = j.add(j.ge(y.unsqueeze(1)).to_type(ScalarType.Int64), Scalars.One);
        return x.gather(1, index);
    }
}
