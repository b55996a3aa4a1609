#!/usr/bin/env python3
"""Writes src/TopKLoss/SmoothSvm/Cpu/PackedEspInRegisters.g.cs: PackedEsp's recursions with σ and the
adjoint held in W named vector locals (W = 2, 4, 8, 16, 24), one method per width.

C# cannot index locals, and the JIT keeps a local in a register only when every access has a
constant position, so the unrolled code is generated rather than written by hand.
Run from the repository root: python3 tools/generate-packed-esp-in-registers.py
"""
import pathlib

WIDTHS = (2, 4, 8, 16, 24)
OUT = pathlib.Path(__file__).resolve().parent.parent / "src/TopKLoss/SmoothSvm/Cpu/PackedEspInRegisters.g.cs"


def save(dest, values, indent):
    """destination[t] = values[t] for t < destination.Length, without a call (a call spills every vector register)."""
    pad = " " * indent
    return "".join(f"{pad}if ({dest}.Length > {t}) {dest}[{t}] = {v};\n" for t, v in enumerate(values))


def forward(w):
    s = [f"s{t}" for t in range(1, w + 1)]
    state = ["one"] + s[:-1]  # σ_0 .. σ_{W-1}
    pair = []
    for t in range(w, 1, -1):
        lower2 = "one" if t == 2 else f"s{t - 2}"
        pair.append(f"s{t} = L.Fma(product, {lower2}, L.Fma(sum, s{t - 1}, s{t}));")
    pair.append("s1 = L.Add(s1, sum);")
    single = [f"s{t} = L.Fma(ei, {'one' if t == 1 else f's{t - 1}'}, s{t});" for t in range(w, 0, -1)]
    out = f"""    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // tier-0 code of these loops is ~20x slower
    private static void Continue{w}(ReadOnlySpan<V> e, Span<V> sigma, Span<V> checkpoints)
    {{
        int K = sigma.Length - 1, n = e.Length, block = PackedEsp<V, L>.Block;
        V zero = L.Broadcast(0), one = L.Broadcast(1);
{chr(10).join(f"        V s{t} = Pick(sigma, {t}, zero);" for t in range(1, w + 1))}
        bool save = !checkpoints.IsEmpty;
        int i = 0;
        for (; i + 1 < n; i += 2)
        {{
            if (save && i % block == 0)
            {{
                var checkpoint = checkpoints.Slice(i / block * K, K);
{save("checkpoint", state, 16)}            }}
            V a = e[i], b = e[i + 1];
            V sum = L.Add(a, b), product = L.Multiply(a, b);
{"".join(" " * 12 + line + chr(10) for line in pair)}        }}
        if (i < n)
        {{
            if (save && i % block == 0)
            {{
                var checkpoint = checkpoints.Slice(i / block * K, K);
{save("checkpoint", state, 16)}            }}
            V ei = e[i];
{"".join(" " * 12 + line + chr(10) for line in single)}        }}
{save("sigma", state + [f"s{w}"], 8)}    }}
"""
    return out


def reverse(w):
    a = [f"a{t}" for t in range(1, w + 1)]
    p = [f"p{t}" for t in range(0, w)]
    picks_a = "".join(f"            V a{t} = Pick(w, {t - 1}, zero);\n" for t in range(1, w + 1))
    picks_p = "".join(f"            V p{t} = Pick(checkpoint, {t}, zero);\n" for t in range(0, w))
    states = [f"p{t} = L.Fma(ej, p{t - 1}, p{t});" for t in range(w - 1, 0, -1)]
    # The slope in the in-memory order: odd degrees into slope, even ones into slope2, ascending.
    slope = ["V before0 = Pick(before, 0, zero), before1 = Pick(before, 1, zero);",
             "V slope = L.Fma(a1, before0, zero), slope2 = L.Fma(a2, before1, zero);"]
    for t in range(3, w + 1, 2):
        slope.append(f"slope = L.Fma(a{t}, Pick(before, {t - 1}, zero), slope); slope2 = L.Fma(a{t + 1}, Pick(before, {t}, zero), slope2);")
    slope.append("slope = L.Add(slope, slope2);")
    updates = [f"a{t} = L.Fma(ei, a{t + 1}, a{t});" for t in range(1, w)]
    body = lambda lines, indent: "".join(" " * indent + line + "\n" for line in lines)
    return f"""    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Reverse{w}(Span<V> e, Span<V> adjoint, ReadOnlySpan<V> checkpoints, Span<V> states)
    {{
        int K = adjoint.Length - 1, n = e.Length, block = PackedEsp<V, L>.Block;
        V zero = L.Broadcast(0);
        // The adjoint lives in w between blocks and in registers within one: held across the state
        // recomputation as well, adjoint and state would need {2 * w} registers (AVX-512 has 32).
        var w = adjoint[1..];
        for (int start = (n - 1) / block * block; start >= 0; start -= block)
        {{
            int length = Math.Min(block, n - start);
            // The prefix states inside this block, from its checkpoint (states j·K .. j·K + K − 1).
            var checkpoint = checkpoints.Slice(start / block * K, K);
{picks_p}            var first = states[..K];
{save("first", p, 12)}            for (int j = 1; j < length; j++)
            {{
                V ej = e[start + j - 1];
{body(states, 16)}                var state = states.Slice(j * K, K);
{save("state", p, 16)}            }}
{picks_a}            for (int j = length - 1; j >= 0; j--)
            {{
                ReadOnlySpan<V> before = states.Slice(j * K, K);
                V ei = e[start + j];
{body(slope, 16)}{body(updates, 16)}                e[start + j] = L.Multiply(ei, slope);
            }}
{save("w", a, 12)}        }}
    }}
"""


def main():
    dispatch_f = "".join(f"        {'else ' if i else ''}if (K <= {w}) Continue{w}(e, sigma, checkpoints);\n" for i, w in enumerate(WIDTHS))
    dispatch_r = "".join(f"        {'else ' if i else ''}if (K <= {w}) Reverse{w}(e, adjoint, checkpoints, states);\n" for i, w in enumerate(WIDTHS))
    text = f"""// <auto-generated> by tools/generate-packed-esp-in-registers.py; edit the script, not this file. </auto-generated>
using System.Runtime.CompilerServices;

namespace TopKLoss.Kernels;

/// <summary>
/// <see cref="PackedEsp{{V,L}}"/>'s recursions for K ≤ {WIDTHS[-1]} with σ and the adjoint held in
/// {", ".join(map(str, WIDTHS[:-1]))} or {WIDTHS[-1]} vector locals (the smallest width ≥ K), which the JIT keeps in registers
/// (AVX-512 has 32): the general code keeps them in memory, and its inner loops are mostly loads,
/// stores and loop overhead. Degrees above K are padded with zeros (adjoint) or computed and
/// discarded (σ), so every σ_t, t ≤ K, and every gradient comes from the same fused multiply-adds
/// in the same order as the general code: the results are bit-identical. Nothing inside the loops
/// is a call: a call would force every vector register to memory (all of them are caller-saved).
/// </summary>
internal static class PackedEspInRegisters<V, L> where V : struct where L : ILanes<V>
{{
    public const int MaxK = {WIDTHS[-1]};

    /// <summary>As <see cref="PackedEsp{{V,L}}.Continue"/>, for sigma.Length − 1 ≤ <see cref="MaxK"/>.</summary>
    public static void Continue(ReadOnlySpan<V> e, Span<V> sigma, Span<V> checkpoints)
    {{
        int K = sigma.Length - 1;
{dispatch_f}        else throw new ArgumentOutOfRangeException(nameof(sigma), K, $"K must be at most {{MaxK}}");
    }}

    /// <summary>As <see cref="PackedEsp{{V,L}}.Reverse"/> (adjoint consumed), for adjoint.Length − 1 ≤ <see cref="MaxK"/>.</summary>
    public static void Reverse(Span<V> e, Span<V> adjoint, ReadOnlySpan<V> checkpoints, Span<V> states)
    {{
        int K = adjoint.Length - 1;
{dispatch_r}        else throw new ArgumentOutOfRangeException(nameof(adjoint), K, $"K must be at most {{MaxK}}");
    }}

    /// <summary>values[t], or zero past the end (a padded degree).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V Pick(ReadOnlySpan<V> values, int t, V zero) => t < values.Length ? values[t] : zero;

{chr(10).join(forward(w) + chr(10) + reverse(w) for w in WIDTHS)}}}
"""
    OUT.write_text(text)


if __name__ == "__main__":
    main()
