using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace TopKLoss.Tests.Support;

/// <summary>
/// Finds, in an assembly's IL, every call that makes a TorchSharp <see cref="Scalar"/> the caller does
/// not hold: an implicit conversion (<c>x.mul(0.5)</c>, <c>full(shape, 1.0)</c>) or a TorchSharp method
/// that converts a number itself (<c>x * 0.5</c>, <c>1.0 - x</c>, <c>x.clamp_min(0)</c> through its
/// int/double overloads). TorchSharp 0.107 reads such a Scalar's handle and then lets it go, so a
/// collection on another thread can finalize it while libtorch reads it (src/TopKLoss/Scalars.cs).
/// </summary>
internal static class ScalarAudit
{
    private static readonly Dictionary<short, OpCode> Codes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static readonly Assembly TorchSharpAssembly = typeof(Scalar).Assembly;
    private static readonly Dictionary<MethodBase, bool> Converting = new();

    /// <summary>"file:line Type.Method → TorchSharp call" for each such call in <paramref name="assembly"/>, sorted.</summary>
    public static List<string> UnheldScalars(Assembly assembly, Func<Type, bool>? types = null)
    {
        using var lines = new SourceLines(assembly);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes().Where(types ?? (_ => true)))
            foreach (var method in Methods(type))
                foreach (var (callee, offset) in Callees(method))
                    if (IsImplicitScalar(callee) || (callee.DeclaringType?.Assembly == TorchSharpAssembly && Converts(callee)))
                        found.Add($"{lines.At(method, offset)} {Name(method)} → {Name(callee)}({string.Join(", ", callee.GetParameters().Select(p => p.ParameterType.Name))})");
        return found.ToList();
    }

    private static bool IsImplicitScalar(MethodBase m) =>
        m.Name == "op_Implicit" && m is MethodInfo { ReturnType: var r } && r == typeof(Scalar);

    private static bool IsScalarFactory(MethodBase m) =>
        IsImplicitScalar(m) || (m.DeclaringType == typeof(ScalarExtensionMethods) && m.Name.StartsWith("To", StringComparison.Ordinal)
                                && m is MethodInfo { ReturnType: var r } && r == typeof(Scalar));

    /// <summary>Whether a TorchSharp method makes a Scalar from a number (itself or through the TorchSharp methods it calls).</summary>
    public static bool Converts(MethodBase m)
    {
        lock (Converting)
        {
            if (Converting.TryGetValue(m, out bool known)) return known;
            Converting[m] = false; // cycles
        }
        bool converts = false;
        if (!IsScalarFactory(m) || IsImplicitScalar(m))
            foreach (var (callee, _) in Callees(m))
                if (IsScalarFactory(callee) || (callee.DeclaringType?.Assembly == TorchSharpAssembly && Converts(callee)))
                { converts = true; break; }
        lock (Converting) Converting[m] = converts;
        return converts;
    }

    private static IEnumerable<MethodBase> Methods(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Cast<MethodBase>()
            .Concat(type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly));

    /// <summary>The methods <paramref name="method"/>'s IL calls, constructs or takes the address of, with the IL offsets.</summary>
    private static IEnumerable<(MethodBase Callee, int Offset)> Callees(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is InvalidOperationException or BadImageFormatException) { il = null; }
        if (il is null) yield break;
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            int start = i;
            OpCode op = il[i] == 0xFE ? Codes[unchecked((short)(0xFE00 | il[i + 1]))] : Codes[il[i]];
            i += op.Size;
            if (op.OperandType == OperandType.InlineMethod)
            {
                MethodBase? callee = null;
                try { callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArgs, methodArgs); }
                catch (ArgumentException) { }
                if (callee is not null) yield return (callee, start);
            }
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
    }

    private static string Name(MethodBase m) => $"{m.DeclaringType?.FullName?.Replace('+', '.')}.{m.Name}";

    /// <summary>Source lines from the assembly's portable PDB (embedded, or next to it); "?" without one.</summary>
    private sealed class SourceLines : IDisposable
    {
        private readonly MetadataReaderProvider? _provider;
        private readonly MetadataReader? _reader;

        public SourceLines(Assembly assembly)
        {
            using var pe = new PEReader(File.OpenRead(assembly.Location));
            var embedded = pe.ReadDebugDirectory().FirstOrDefault(e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
            string pdb = Path.ChangeExtension(assembly.Location, ".pdb");
            _provider = embedded.DataSize > 0 ? pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded)
                : File.Exists(pdb) ? MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(pdb)) : null;
            _reader = _provider?.GetMetadataReader();
        }

        public string At(MethodBase method, int offset)
        {
            if (_reader is null) return "?";
            var info = _reader.GetMethodDebugInformation(MetadataTokens.MethodDefinitionHandle(method.MetadataToken & 0xFFFFFF));
            SequencePoint? last = null;
            foreach (var point in info.GetSequencePoints())
                if (!point.IsHidden && point.Offset <= offset) last = point;
            return last is { } p ? $"{Path.GetFileName(_reader.GetString(_reader.GetDocument(p.Document).Name))}:{p.StartLine}" : "?";
        }

        public void Dispose() => _provider?.Dispose();
    }
}
