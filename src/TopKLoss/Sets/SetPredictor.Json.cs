using System.Text.Json;
using System.Text.Json.Serialization;

namespace TopKLoss.Sets;

public sealed partial class SetPredictor
{
    /// <summary>The stored form: every field named, infinite thresholds written as "Infinity".</summary>
    private sealed record State(string Rule, int NumClasses, int K, double SetSize, double Alpha, double Lambda, int KReg,
        bool ClassConditional, int? Seed, long CalibrationSamples, double[] Thresholds);

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectRequiredConstructorParameters = true,
    };

    private static readonly Dictionary<SetRule, string> RuleNames = new()
    {
        [SetRule.TopK] = "top-k", [SetRule.AverageK] = "average-k", [SetRule.Aps] = "aps", [SetRule.Raps] = "raps",
    };

    /// <summary>The predictor as JSON (rule, parameters, thresholds); doubles round-trip exactly.</summary>
    public string ToJson() => JsonSerializer.Serialize(
        new State(RuleNames[Rule], NumClasses, K, SetSize, Alpha, Lambda, KReg, ClassConditional, Seed, CalibrationSamples, _thresholds), Options);

    /// <summary>Reads a predictor written by <see cref="ToJson"/>; a malformed or inconsistent one is an <see cref="InvalidDataException"/> that says what is wrong.</summary>
    public static SetPredictor FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        State? state;
        try { state = JsonSerializer.Deserialize<State>(json, Options); }
        catch (JsonException e) { throw new InvalidDataException($"set predictor: not a valid predictor file ({e.Message})."); }
        if (state is null) throw new InvalidDataException("set predictor: the file holds null.");
        var rule = RuleNames.FirstOrDefault(r => r.Value == state.Rule).Key;
        if (!RuleNames.ContainsValue(state.Rule ?? ""))
            throw new InvalidDataException($"set predictor: unknown rule '{state.Rule}'; known: {string.Join(", ", RuleNames.Values)}.");
        try
        {
            var predictor = rule switch
            {
                SetRule.TopK => ForTopK(state.K, state.NumClasses),
                _ => new SetPredictor(rule, state.NumClasses, state.K, state.SetSize, state.Alpha, state.Lambda, state.KReg,
                    state.ClassConditional, state.Seed, state.CalibrationSamples, state.Thresholds ?? []),
            };
            predictor.Validate();
            return predictor;
        }
        catch (ArgumentException e) { throw new InvalidDataException($"set predictor: {e.Message}"); }
    }

    /// <summary>The invariants a fitted predictor holds, checked again on load.</summary>
    private void Validate()
    {
        if (NumClasses < 1) throw new InvalidDataException($"set predictor: num_classes must be ≥ 1; got {NumClasses}.");
        int expected = Rule switch
        {
            SetRule.TopK => 0,
            SetRule.AverageK => 1,
            _ => ClassConditional ? NumClasses : 1,
        };
        if (_thresholds.Length != expected)
            throw new InvalidDataException($"set predictor: a {RuleNames[Rule]} predictor{(ClassConditional ? " (class-conditional)" : "")} " +
                $"on {NumClasses} classes holds {expected} threshold(s); got {_thresholds.Length}.");
        if (_thresholds.Any(double.IsNaN)) throw new InvalidDataException("set predictor: a threshold is NaN.");
        if (Rule == SetRule.AverageK) Validation.SetCheck.SetSize(SetSize, NumClasses);
        if (Rule is SetRule.Aps or SetRule.Raps)
        {
            Validation.SetCheck.Alpha(Alpha);
            Validation.Check.NonNegative(Lambda, "lambda");
            if (KReg < 0 || KReg > NumClasses) throw new InvalidDataException($"set predictor: k_reg must lie in [0, {NumClasses}]; got {KReg}.");
        }
    }
}
