using TopKLoss.Cli.Commands;
using TopKLoss.Cli.Data;

namespace TopKLoss.Cli.Tests.Support;

/// <summary>Runs the CLI in-process with captured output, plain progress and a fixed clock.</summary>
internal static class CliRunner
{
    /// <summary>10 classes in 5 superclasses, 20 training and 10 test samples per class, 8 features: trains in well under a second.</summary>
    public const string TinyData = "synthetic:classes=10,groups=5,train=20,test=10,dim=8";

    public static readonly CliEnvironment Environment = new(DataSources.Open, () => new DateTime(2026, 1, 2, 3, 4, 5), Interactive: false);

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr, Environment);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs and asserts success, showing stderr on failure.</summary>
    public static string RunOk(params string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        return output;
    }
}

/// <summary>A fresh temporary folder, deleted at the end of the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "topk-cli-tests", Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
